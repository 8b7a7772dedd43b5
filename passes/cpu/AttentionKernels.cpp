//===- AttentionKernels.cpp - attention and KV cache kernels --------------===//
//
// The cache of a sequence is one buffer [layers, streams, heads, capacity,
// dim]: each head's positions are contiguous, so attention streams through
// them. Each work item attends a tile of query rows (the heads of one KV head
// over consecutive tokens) against blocks of keys, keeping each row's running
// maximum and denominator (online softmax), so scores are never materialised
// beyond one vector per row and block.
//
//===----------------------------------------------------------------------===//
#include "passes/cpu/KernelBuilder.h"
#include "passes/cpu/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace lmc::cpu;
using namespace lmc::tfm;

/// The all-zero vector of `type`.
static Value accZeroOf(ImplicitLocOpBuilder &b, VectorType type) {
  return arith::ConstantOp::create(b, DenseElementsAttr::get(type, b.getF32FloatAttr(0.0f)));
}

MemRefType lmc::cpu::getCacheMemRefType(KVCacheType cache) {
  return MemRefType::get({cache.getLayers(), cache.getStreams(),
                          cache.getHeads(), ShapedType::kDynamic, cache.getDim()},
                         cache.getElementType());
}

std::string lmc::cpu::getCacheKernelKey(KVCacheType cache) {
  return std::to_string(cache.getLayers()) + "x" +
         std::to_string(cache.getStreams()) + "x" +
         std::to_string(cache.getHeads()) + "x" + std::to_string(cache.getDim()) +
         (cache.getElementType().isF32() ? "" : "_f16");
}

/// Query rows one work item attends at once: the query heads sharing a KV
/// head times consecutive tokens, about this many. Each block of keys and
/// values is then loaded from L2 once per tile and reused from L1 by every
/// row, instead of once per query (prefill was L2-bandwidth-bound).
static constexpr int64_t kRowsPerTile = 16;

/// With one tile per KV head (decode), the keys are split into parts of
/// about this many, each a work item of its own, and the parts' softmax
/// states merged after: a decode step has only as many items as KV heads
/// otherwise (8 for Qwen3 and gpt-oss), too few for a machine of many cores.
static constexpr int64_t kSplitKeys = 1024;
static constexpr int64_t kMaxSplits = 64;

/// Tiles of at most this many rows read an f16 cache directly (vcvtph2ps
/// per row); larger ones widen each block once into a stack buffer that all
/// rows read. Decode attention at 32K positions (lmc-attention-bench, 16
/// heads over 8): 2 rows widening 21 GB/s, reading directly 30 GB/s; 8 rows
/// both 15 GB/s.
static constexpr int64_t kDirectRows = 4;
/// Keys per block when reading directly: one softmax update (maximum,
/// rescale, exp) per 64 keys instead of per 16.
static constexpr int64_t kDirectBlockKeys = 64;
/// A decode step attends all the heads of a KV head at once when their
/// queries fit the registers (32 x 16 floats): cache-resident, gpt-oss's 8
/// heads of 64 gain 1.3x; 8 of 128 (spilling) do not.
static constexpr int64_t kOneTokenQueryFloats = 512;

func::FuncOp lmc::cpu::getAttentionKernel(OpBuilder &builder, ModuleOp module,
                                          int64_t queryHeads, KVCacheType cache,
                                          bool withSinks) {
  MLIRContext *ctx = module.getContext();
  int64_t dim = cache.getDim(), kvHeads = cache.getHeads();
  int64_t group = queryHeads / kvHeads;
  int64_t tileTokens = std::max<int64_t>(1, kRowsPerTile / group);
  int64_t tileRows = tileTokens * group;
  Type f32 = Float32Type::get(ctx), index = IndexType::get(ctx);
  auto act = MemRefType::get({ShapedType::kDynamic, queryHeads, dim}, f32);
  SmallVector<Type> args{act, getCacheMemRefType(cache), act, index, index,
                         index, f32};
  if (withSinks)
    args.push_back(MemRefType::get({queryHeads}, f32));
  std::string name = "lmc_attention_" + std::to_string(queryHeads) + "_" +
                     getCacheKernelKey(cache) + (withSinks ? "_sinks" : "");
  return getOrCreateKernel(
      builder, module, name, args, [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value q = a[0], kv = a[1], out = a[2], layer = a[3], start = a[4],
              window = a[5], scale = a[6];
        VectorType vec = VectorType::get({dim}, f32);
        // Keys are taken a block at a time: their scores form one vector, so
        // the softmax update (and its exp) is vectorized across them.
        int64_t lanes = std::min<int64_t>(16, vectorWidthFor(dim));
        int64_t keyBlock = lanes;
        VectorType blockVec = VectorType::get({keyBlock}, f32);
        Value minusInf = constF32(b, -std::numeric_limits<float>::infinity());
        auto splat = [&](ImplicitLocOpBuilder &lb, Value scalar) -> Value {
          return vector::BroadcastOp::create(lb, blockVec, scalar);
        };
        auto slice = [&](ImplicitLocOpBuilder &lb, Value v, int64_t c) -> Value {
          return vector::ExtractStridedSliceOp::create(lb, v, ArrayRef<int64_t>{c},
                                                       ArrayRef<int64_t>{lanes},
                                                       ArrayRef<int64_t>{1});
        };
        auto ceilDiv = [](ImplicitLocOpBuilder &lb, Value x, Value y) -> Value {
          return arith::CeilDivUIOp::create(lb, x, y);
        };
        Value zero = constIndex(b, 0), one = constIndex(b, 1);
        Value tokens = memref::DimOp::create(b, q, 0);
        Value tiles = ceilDiv(b, tokens, constIndex(b, tileTokens));
        // Keys [first, end) that the query at position `pos` sees: up to
        // itself, and within the window when there is one.
        auto keyRange = [&](ImplicitLocOpBuilder &lb, Value pos) {
          Value end = arith::AddIOp::create(lb, pos, one);
          Value windowed = arith::CmpIOp::create(lb, arith::CmpIPredicate::ugt, window, zero);
          Value fits = arith::CmpIOp::create(lb, arith::CmpIPredicate::ugt, end, window);
          Value first = arith::SelectOp::create(
              lb, arith::AndIOp::create(lb, windowed, fits),
              arith::SubIOp::create(lb, end, window), zero);
          return std::pair<Value, Value>{first, end};
        };
        // Key splits, only with one tile per KV head.
        Value wantedSplits = arith::MinUIOp::create(
            b, constIndex(b, kMaxSplits),
            ceilDiv(b, arith::AddIOp::create(b, start, tokens), constIndex(b, kSplitKeys)));
        Value oneTile = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tiles, one);
        Value splits = arith::SelectOp::create(b, oneTile, wantedSplits, one);
        Value split = arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, splits, one);
        Value work = arith::MulIOp::create(
            b, arith::MulIOp::create(b, tiles, constIndex(b, kvHeads)), splits);
        // Split items' unnormalised results (empty unless split): the
        // accumulators, and each row's running maximum and denominator.
        Value partials = arith::SelectOp::create(b, split, work, zero);
        auto align = b.getI64IntegerAttr(64);
        Value partialAccs = allocBuffer(
            b, b.getLoc(), MemRefType::get({ShapedType::kDynamic, tileRows, dim}, f32),
            ValueRange{partials});
        Value partialStats = allocBuffer(
            b, b.getLoc(), MemRefType::get({ShapedType::kDynamic, tileRows, 2}, f32),
            ValueRange{partials});
        // Row r of a tile is token t0 + r / group of query head
        // kvHead * group + r % group.
        auto rowToken = [&](ImplicitLocOpBuilder &lb, Value t0, Value r) -> Value {
          return arith::AddIOp::create(lb, t0, arith::DivUIOp::create(lb, r, constIndex(lb, group)));
        };
        auto rowHead = [&](ImplicitLocOpBuilder &lb, Value kvHead, Value r) -> Value {
          return arith::AddIOp::create(
              lb, arith::MulIOp::create(lb, kvHead, constIndex(lb, group)),
              arith::RemUIOp::create(lb, r, constIndex(lb, group)));
        };
        buildParallelLoop(b, work, [&](ImplicitLocOpBuilder &pb, Value item) {
          // KV-head-major, so the tiles a thread takes in turn read the same
          // keys and values.
          Value part = arith::RemUIOp::create(pb, item, splits);
          Value tileItem = arith::DivUIOp::create(pb, item, splits);
          Value kvHead = arith::DivUIOp::create(pb, tileItem, tiles);
          Value t0 = arith::MulIOp::create(
              pb, arith::RemUIOp::create(pb, tileItem, tiles), constIndex(pb, tileTokens));
          Value tileEnd = arith::MinUIOp::create(
              pb, tokens, arith::AddIOp::create(pb, t0, constIndex(pb, tileTokens)));
          Value rows = arith::MulIOp::create(pb, arith::SubIOp::create(pb, tileEnd, t0),
                                             constIndex(pb, group));
          // This item's keys: its part of the tile's, whole blocks each (of
          // either size).
          Value tileFirst = keyRange(pb, arith::AddIOp::create(pb, start, t0)).first;
          Value tileKeysEnd = arith::AddIOp::create(pb, start, tileEnd);
          Value perPart = arith::MulIOp::create(
              pb,
              ceilDiv(pb,
                      ceilDiv(pb, arith::SubIOp::create(pb, tileKeysEnd, tileFirst), splits),
                      constIndex(pb, kDirectBlockKeys)),
              constIndex(pb, kDirectBlockKeys));
          Value keysBegin = arith::MinUIOp::create(
              pb, tileKeysEnd,
              arith::AddIOp::create(pb, tileFirst, arith::MulIOp::create(pb, part, perPart)));
          Value keysEnd = arith::MinUIOp::create(
              pb, tileKeysEnd, arith::AddIOp::create(pb, keysBegin, perPart));
          // Per-row online-softmax state, in L1 across the key blocks.
          Value accs = memref::AllocaOp::create(pb, MemRefType::get({tileRows, dim}, f32),
                                                ValueRange{}, align);
          Value maxes = memref::AllocaOp::create(pb, MemRefType::get({tileRows}, f32),
                                                 ValueRange{}, align);
          // Denominators stay per lane until the end: no horizontal sum per block.
          Value denoms = memref::AllocaOp::create(
              pb, MemRefType::get({tileRows, keyBlock}, f32), ValueRange{}, align);
          bool halfCache = !cache.getElementType().isF32();
          Value widened;
          if (halfCache)
            widened = memref::AllocaOp::create(
                pb, MemRefType::get({2, keyBlock, dim}, f32), ValueRange{}, align);
          Value accZero = arith::ConstantOp::create(
              pb, DenseElementsAttr::get(vec, pb.getF32FloatAttr(0.0f)));
          // A sink is a key with a fixed logit and no value: the running
          // maximum starts at it and the denominator at exp(0) = 1, in the
          // first part only.
          Value firstPart = arith::CmpIOp::create(pb, arith::CmpIPredicate::eq, part, zero);
          buildForLoop(pb, zero, rows, one, ValueRange{},
                       [&](ImplicitLocOpBuilder &lb, Value r, ValueRange) {
                         Value maxInit = minusInf;
                         Value denomInit = arith::ConstantOp::create(
                             lb, DenseElementsAttr::get(blockVec, lb.getF32FloatAttr(0.0f)));
                         if (withSinks) {
                           maxInit = arith::SelectOp::create(
                               lb, firstPart,
                               memref::LoadOp::create(lb, a[7], ValueRange{rowHead(lb, kvHead, r)}),
                               minusInf);
                           denomInit = vector::InsertOp::create(
                               lb, arith::SelectOp::create(lb, firstPart, constF32(lb, 1.0f),
                                                           constF32(lb, 0.0f)),
                               denomInit, ArrayRef<int64_t>{0});
                         }
                         memref::StoreOp::create(lb, maxInit, maxes, ValueRange{r});
                         vector::StoreOp::create(lb, denomInit, denoms, ValueRange{r, zero});
                         vector::StoreOp::create(lb, accZero, accs, ValueRange{r, zero});
                         return SmallVector<Value>{};
                       });
          VectorType laneIndex = VectorType::get({lanes}, index);
          // Positions of the `blockKeys` keys from j0: keys past the item's
          // last one read it again, and each row masks what it must not see.
          auto blockPositions = [&](ImplicitLocOpBuilder &kb, Value j0, int64_t blockKeys) {
            Value last = arith::SubIOp::create(kb, keysEnd, one);
            SmallVector<Value> keys;
            for (int64_t i = 0; i < blockKeys; ++i)
              keys.push_back(arith::MinUIOp::create(
                  kb, arith::AddIOp::create(kb, j0, constIndex(kb, i)), last));
            return keys;
          };
          auto cacheRow = [&](ImplicitLocOpBuilder &lb, int64_t stream, Value key) -> Value {
            return loadAsF32(lb, vec, kv, ValueRange{layer, constIndex(lb, stream), kvHead, key, zero});
          };
          // Which keys of the sub-block at key0 a row that sees [first, end)
          // may look at.
          auto visibleKeys = [&](ImplicitLocOpBuilder &lb, Value key0, Value first, Value end) {
            auto splatIndex = [&](Value v) { return vector::BroadcastOp::create(lb, laneIndex, v); };
            Value position =
                arith::AddIOp::create(lb, splatIndex(key0), vector::StepOp::create(lb, laneIndex));
            return arith::AndIOp::create(
                lb, arith::CmpIOp::create(lb, arith::CmpIPredicate::ult, position, splatIndex(end)),
                arith::CmpIOp::create(lb, arith::CmpIPredicate::uge, position, splatIndex(first)));
          };
          auto queryOf = [&](ImplicitLocOpBuilder &lb, Value t, Value h) {
            Value query = vector::LoadOp::create(lb, vec, q, ValueRange{t, h, zero});
            SmallVector<Value> slices;
            for (int64_t c = 0; c < dim; c += lanes)
              slices.push_back(slice(lb, query, c));
            return slices;
          };
          // One key's dot product with a query, as `lanes` partial sums.
          auto partialDot = [&](ImplicitLocOpBuilder &lb, ArrayRef<Value> query, Value key) {
            Value dot = arith::MulFOp::create(lb, query[0], slice(lb, key, 0));
            for (int64_t c = 1; c * lanes < dim; ++c)
              dot = vector::FMAOp::create(lb, query[c], slice(lb, key, c * lanes), dot);
            return dot;
          };
          // The scaled scores of a sub-block from its keys' partial dots,
          // -inf where the row must not look.
          auto subBlockScores = [&](ImplicitLocOpBuilder &lb, Value sums, Value valid) -> Value {
            return arith::SelectOp::create(lb, valid, arith::MulFOp::create(lb, sums, splat(lb, scale)),
                                           splat(lb, minusInf));
          };
          // Row r's online-softmax step over one block's scores: stores its
          // new maximum and denominator; returns the factor its accumulator
          // is rescaled by and the keys' weights, per sub-block.
          auto softmaxStep = [&](ImplicitLocOpBuilder &lb, Value r, ArrayRef<Value> scores,
                                 ArrayRef<Value> valid) {
            Value blockMaxes = scores[0];
            for (Value s : scores.drop_front())
              blockMaxes = arith::MaxNumFOp::create(lb, blockMaxes, s);
            Value maxSoFar = memref::LoadOp::create(lb, maxes, ValueRange{r});
            Value denom = vector::LoadOp::create(lb, blockVec, denoms, ValueRange{r, zero});
            // No NaN handling in the maximum (a tree of vmaxps, not a serial
            // chain): a NaN score reaches the output through its weight anyway.
            Value blockMax = vector::ReductionOp::create(
                lb, f32, vector::CombiningKindAttr::get(ctx, vector::CombiningKind::MAXNUMF),
                blockMaxes, Value(), arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::nnan));
            Value newMax = arith::MaxNumFOp::create(lb, maxSoFar, blockMax);
            Value rescale = math::ExpOp::create(lb, arith::SubFOp::create(lb, maxSoFar, newMax));
            Value newDenom = arith::MulFOp::create(lb, denom, splat(lb, rescale));
            SmallVector<Value> weights;
            for (auto [s, v] : llvm::zip_equal(scores, valid)) {
              Value w = math::ExpOp::create(lb, arith::SubFOp::create(lb, s, splat(lb, newMax)));
              weights.push_back(arith::SelectOp::create(lb, v, w, splat(lb, constF32(lb, 0))));
              newDenom = arith::AddFOp::create(lb, newDenom, weights.back());
            }
            memref::StoreOp::create(lb, newMax, maxes, ValueRange{r});
            vector::StoreOp::create(lb, newDenom, denoms, ValueRange{r, zero});
            return std::pair{rescale, weights};
          };
          // Key i's weight, broadcast to multiply its value row.
          auto weightOf = [&](ImplicitLocOpBuilder &lb, ArrayRef<Value> weights, int64_t i) -> Value {
            return vector::BroadcastOp::create(
                lb, vec, vector::ExtractOp::create(lb, weights[i / lanes], ArrayRef<int64_t>{i % lanes}));
          };
          // The blocks of `blockKeys` keys (sub-blocks of `lanes`, one score
          // vector each) for any rows, one row at a time, each block's keys
          // and values read directly or from the block widened once.
          auto attendBlocks = [&](ImplicitLocOpBuilder &ab, bool widen, int64_t blockKeys) {
            int64_t subBlocks = blockKeys / lanes;
            buildForLoop(
                ab, keysBegin, keysEnd, constIndex(ab, blockKeys), ValueRange{},
                [&](ImplicitLocOpBuilder &kb, Value j0, ValueRange) {
                  Value j1 = arith::AddIOp::create(kb, j0, constIndex(kb, blockKeys));
                  SmallVector<Value> keys = blockPositions(kb, j0, blockKeys);
                  // Key (stream 0) or value (stream 1) i of the block, as f32.
                  auto blockRow = [&](ImplicitLocOpBuilder &lb, int64_t stream,
                                      int64_t i) -> Value {
                    if (widen)
                      return vector::LoadOp::create(
                          lb, vec, widened,
                          ValueRange{constIndex(lb, stream), constIndex(lb, i), zero});
                    return cacheRow(lb, stream, keys[i]);
                  };
                  if (widen)
                    for (int64_t stream = 0; stream < 2; ++stream)
                      for (int64_t i = 0; i < blockKeys; ++i)
                        vector::StoreOp::create(
                            kb, cacheRow(kb, stream, keys[i]), widened,
                            ValueRange{constIndex(kb, stream), constIndex(kb, i), zero});
                  buildForLoop(kb, zero, rows, one, ValueRange{}, [&](ImplicitLocOpBuilder &rb,
                                                                       Value r, ValueRange) {
                    Value t = rowToken(rb, t0, r), h = rowHead(rb, kvHead, r);
                    auto [rowFirst, rowEnd] = keyRange(rb, arith::AddIOp::create(rb, start, t));
                    Value first = arith::MaxUIOp::create(rb, rowFirst, keysBegin);
                    Value end = arith::MinUIOp::create(rb, rowEnd, keysEnd);
                    // Blocks wholly outside the row's keys leave it as it is.
                    Value overlaps = arith::AndIOp::create(
                        rb, arith::CmpIOp::create(rb, arith::CmpIPredicate::ult, j0, end),
                        arith::CmpIOp::create(rb, arith::CmpIPredicate::ugt, j1, first));
                    scf::IfOp::create(rb, overlaps, [&](OpBuilder &nb, Location loc) {
                      ImplicitLocOpBuilder lb(loc, nb);
                      SmallVector<Value> query = queryOf(lb, t, h);
                      SmallVector<Value> scores, valid;
                      for (int64_t sb = 0; sb < subBlocks; ++sb) {
                        SmallVector<Value> partialDots;
                        for (int64_t i = sb * lanes; i < (sb + 1) * lanes; ++i)
                          partialDots.push_back(partialDot(lb, query, blockRow(lb, 0, i)));
                        Value key0 = arith::AddIOp::create(lb, j0, constIndex(lb, sb * lanes));
                        valid.push_back(visibleKeys(lb, key0, first, end));
                        scores.push_back(
                            subBlockScores(lb, reduceAddEach(lb, partialDots), valid.back()));
                      }
                      auto [rescale, weights] = softmaxStep(lb, r, scores, valid);
                      // Two chains of value products (even and odd
                      // sub-blocks), so a long block is not one serial chain.
                      Value acc[2] = {
                          arith::MulFOp::create(
                              lb, vector::LoadOp::create(lb, vec, accs, ValueRange{r, zero}),
                              vector::BroadcastOp::create(lb, vec, rescale)),
                          accZero};
                      for (int64_t i = 0; i < blockKeys; ++i)
                        acc[i / lanes % 2] = vector::FMAOp::create(
                            lb, weightOf(lb, weights, i), blockRow(lb, 1, i), acc[i / lanes % 2]);
                      Value sum = subBlocks > 1 ? arith::AddFOp::create(lb, acc[0], acc[1]).getResult()
                                                : acc[0];
                      vector::StoreOp::create(lb, sum, accs, ValueRange{r, zero});
                      scf::YieldOp::create(lb);
                    });
                    return SmallVector<Value>{};
                  });
                  return SmallVector<Value>{};
                });
          };
          // A tile of one token (decode): its `group` rows see the same keys,
          // so each key and value is read and widened once for all of them,
          // and one mask serves every row (16 heads over 8 at 2048 positions,
          // cache-resident: ~135 -> ~100 us per layer; the flushed case is
          // bound by memory, not by these instructions).
          auto attendOneToken = [&](ImplicitLocOpBuilder &ab) {
            int64_t blockKeys = kDirectBlockKeys, subBlocks = blockKeys / lanes;
            auto [tokenFirst, tokenEnd] = keyRange(ab, arith::AddIOp::create(ab, start, t0));
            Value first = arith::MaxUIOp::create(ab, tokenFirst, keysBegin);
            Value end = arith::MinUIOp::create(ab, tokenEnd, keysEnd);
            SmallVector<SmallVector<Value>> queries;
            for (int64_t r = 0; r < group; ++r)
              queries.push_back(queryOf(ab, t0, rowHead(ab, kvHead, constIndex(ab, r))));
            buildForLoop(
                ab, keysBegin, keysEnd, constIndex(ab, blockKeys), ValueRange{},
                [&](ImplicitLocOpBuilder &kb, Value j0, ValueRange) {
                  SmallVector<Value> keys = blockPositions(kb, j0, blockKeys);
                  SmallVector<SmallVector<Value>> scores(group);
                  SmallVector<Value> valid;
                  for (int64_t sb = 0; sb < subBlocks; ++sb) {
                    Value key0 = arith::AddIOp::create(kb, j0, constIndex(kb, sb * lanes));
                    valid.push_back(visibleKeys(kb, key0, first, end));
                    SmallVector<ReduceAddEachInOrder> sums(group);
                    for (int64_t i = sb * lanes; i < (sb + 1) * lanes; ++i) {
                      Value key = cacheRow(kb, 0, keys[i]);
                      for (int64_t r = 0; r < group; ++r)
                        sums[r].push(kb, partialDot(kb, queries[r], key));
                    }
                    for (int64_t r = 0; r < group; ++r)
                      scores[r].push_back(subBlockScores(kb, sums[r].finish(kb), valid.back()));
                  }
                  // One accumulator chain per row: `group` rows are
                  // independent chains enough, except for a single row.
                  SmallVector<SmallVector<Value>> weights;
                  SmallVector<Value> acc;
                  for (int64_t r = 0; r < group; ++r) {
                    Value row = constIndex(kb, r);
                    auto [rescale, w] = softmaxStep(kb, row, scores[r], valid);
                    weights.push_back(w);
                    acc.push_back(arith::MulFOp::create(
                        kb, vector::LoadOp::create(kb, vec, accs, ValueRange{row, zero}),
                        vector::BroadcastOp::create(kb, vec, rescale)));
                  }
                  Value single = group == 1 ? accZero : Value();
                  for (int64_t i = 0; i < blockKeys; ++i) {
                    Value value = cacheRow(kb, 1, keys[i]);
                    for (int64_t r = 0; r < group; ++r) {
                      Value &chain = single && i / lanes % 2 ? single : acc[r];
                      chain = vector::FMAOp::create(kb, weightOf(kb, weights[r], i), value, chain);
                    }
                  }
                  if (single)
                    acc[0] = arith::AddFOp::create(kb, acc[0], single);
                  for (int64_t r = 0; r < group; ++r)
                    vector::StoreOp::create(kb, acc[r], accs, ValueRange{constIndex(kb, r), zero});
                  return SmallVector<Value>{};
                });
          };
          // Decode reads each block once for all the heads of a KV head
          // (unless their queries do not fit the registers); other tiles of
          // few rows read the cache directly in long blocks, a row at a
          // time; more rows share each block of an f16 cache widened once.
          auto ifElse = [&](ImplicitLocOpBuilder &ib, Value condition,
                            function_ref<void(ImplicitLocOpBuilder &)> then,
                            function_ref<void(ImplicitLocOpBuilder &)> otherwise) {
            scf::IfOp::create(
                ib, condition,
                [&](OpBuilder &nb, Location loc) {
                  ImplicitLocOpBuilder tb(loc, nb);
                  then(tb);
                  scf::YieldOp::create(tb);
                },
                [&](OpBuilder &nb, Location loc) {
                  ImplicitLocOpBuilder eb(loc, nb);
                  otherwise(eb);
                  scf::YieldOp::create(eb);
                });
          };
          auto attendManyRows = [&](ImplicitLocOpBuilder &ab) {
            Value fewRows =
                arith::CmpIOp::create(ab, arith::CmpIPredicate::ule, rows, constIndex(ab, kDirectRows));
            ifElse(
                ab, fewRows, [&](ImplicitLocOpBuilder &db) { attendBlocks(db, false, kDirectBlockKeys); },
                [&](ImplicitLocOpBuilder &wb) { attendBlocks(wb, halfCache, keyBlock); });
          };
          if (group * dim <= kOneTokenQueryFloats)
            ifElse(pb, arith::CmpIOp::create(pb, arith::CmpIPredicate::eq, rows, constIndex(pb, group)),
                   attendOneToken, attendManyRows);
          else
            attendManyRows(pb);
          // A whole tile's rows are final; a part's go to the merge.
          buildForLoop(pb, zero, rows, one, ValueRange{},
                       [&](ImplicitLocOpBuilder &lb, Value r, ValueRange) {
                         Value denom = reduceAdd(
                             lb, vector::LoadOp::create(lb, blockVec, denoms, ValueRange{r, zero}));
                         Value acc = vector::LoadOp::create(lb, vec, accs, ValueRange{r, zero});
                         scf::IfOp::create(
                             lb, split,
                             [&](OpBuilder &nb, Location loc) {
                               ImplicitLocOpBuilder sb(loc, nb);
                               vector::StoreOp::create(sb, acc, partialAccs,
                                                       ValueRange{item, r, zero});
                               memref::StoreOp::create(
                                   sb, memref::LoadOp::create(sb, maxes, ValueRange{r}),
                                   partialStats, ValueRange{item, r, zero});
                               memref::StoreOp::create(sb, denom, partialStats,
                                                       ValueRange{item, r, one});
                               scf::YieldOp::create(sb);
                             },
                             [&](OpBuilder &nb, Location loc) {
                               ImplicitLocOpBuilder sb(loc, nb);
                               Value result = arith::DivFOp::create(
                                   sb, acc, vector::BroadcastOp::create(sb, vec, denom));
                               vector::StoreOp::create(
                                   sb, result, out,
                                   ValueRange{rowToken(sb, t0, r), rowHead(sb, kvHead, r), zero});
                               scf::YieldOp::create(sb);
                             });
                         return SmallVector<Value>{};
                       });
        });
        // The parts of each row (one tile: token t = r / group): rescaled to
        // their common maximum and summed.
        scf::IfOp::create(b, split, [&](OpBuilder &nb, Location loc) {
          ImplicitLocOpBuilder mb(loc, nb);
          Value rows = arith::MulIOp::create(mb, tokens, constIndex(mb, group));
          buildForLoop(mb, zero, constIndex(mb, kvHeads), one, ValueRange{},
                       [&](ImplicitLocOpBuilder &hb, Value kvHead, ValueRange) {
            Value item0 = arith::MulIOp::create(hb, kvHead, splits);
            buildForLoop(hb, zero, rows, one, ValueRange{},
                         [&](ImplicitLocOpBuilder &rb, Value r, ValueRange) {
              auto stat = [&](ImplicitLocOpBuilder &lb, Value s, int64_t which) -> Value {
                return memref::LoadOp::create(
                    lb, partialStats,
                    ValueRange{arith::AddIOp::create(lb, item0, s), r, constIndex(lb, which)});
              };
              Value best = buildForLoop(
                  rb, zero, splits, one, ValueRange{minusInf},
                  [&](ImplicitLocOpBuilder &lb, Value s, ValueRange carried) {
                    return SmallVector<Value>{
                        arith::MaxNumFOp::create(lb, carried[0], stat(lb, s, 0))};
                  })[0];
              ValueRange sums = buildForLoop(
                  rb, zero, splits, one, ValueRange{constF32(rb, 0.0f), accZeroOf(rb, vec)},
                  [&](ImplicitLocOpBuilder &lb, Value s, ValueRange carried) {
                    Value weight = math::ExpOp::create(
                        lb, arith::SubFOp::create(lb, stat(lb, s, 0), best));
                    Value acc = vector::LoadOp::create(
                        lb, vec, partialAccs,
                        ValueRange{arith::AddIOp::create(lb, item0, s), r, zero});
                    return SmallVector<Value>{
                        arith::AddFOp::create(
                            lb, carried[0], arith::MulFOp::create(lb, weight, stat(lb, s, 1))),
                        vector::FMAOp::create(lb, vector::BroadcastOp::create(lb, vec, weight),
                                              acc, carried[1])};
                  });
              Value result = arith::DivFOp::create(
                  rb, sums[1], vector::BroadcastOp::create(rb, vec, sums[0]));
              vector::StoreOp::create(rb, result, out,
                                      ValueRange{rowToken(rb, zero, r), rowHead(rb, kvHead, r), zero});
              return SmallVector<Value>{};
            });
            return SmallVector<Value>{};
          });
          scf::YieldOp::create(mb);
        });
      });
}

func::FuncOp lmc::cpu::getCacheWriteKernel(OpBuilder &builder, ModuleOp module,
                                           KVCacheType cache) {
  MLIRContext *ctx = module.getContext();
  Type index = IndexType::get(ctx);
  Type f32 = Float32Type::get(ctx);
  auto values = MemRefType::get({ShapedType::kDynamic, cache.getHeads(), cache.getDim()}, f32);
  SmallVector<Type> args{values, getCacheMemRefType(cache), index, index, index};
  return getOrCreateKernel(
      builder, module, "lmc_cache_write_" + getCacheKernelKey(cache), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value in = a[0], kv = a[1], layer = a[2], stream = a[3], start = a[4];
        VectorType vec = VectorType::get({cache.getDim()}, f32);
        Value zero = constIndex(b, 0), one = constIndex(b, 1);
        Value tokens = memref::DimOp::create(b, in, 0);
        buildForLoop(b, zero, tokens, one, ValueRange{},
                     [&](ImplicitLocOpBuilder &tb, Value t, ValueRange) {
                       Value pos = arith::AddIOp::create(tb, start, t);
                       buildForLoop(tb, zero, constIndex(tb, cache.getHeads()), one,
                                    ValueRange{},
                                    [&](ImplicitLocOpBuilder &hb, Value h, ValueRange) {
                                      Value v = vector::LoadOp::create(
                                          hb, vec, in, ValueRange{t, h, zero});
                                      storeFromF32(hb, v, kv,
                                                   ValueRange{layer, stream, h, pos, zero});
                                      return SmallVector<Value>{};
                                    });
                       return SmallVector<Value>{};
                     });
      });
}

func::FuncOp lmc::cpu::getCacheReadKernel(OpBuilder &builder, ModuleOp module,
                                          KVCacheType cache) {
  MLIRContext *ctx = module.getContext();
  Type index = IndexType::get(ctx);
  Type f32 = Float32Type::get(ctx);
  auto values = MemRefType::get({ShapedType::kDynamic, cache.getHeads(), cache.getDim()}, f32);
  SmallVector<Type> args{getCacheMemRefType(cache), values, index, index};
  return getOrCreateKernel(
      builder, module, "lmc_cache_read_" + getCacheKernelKey(cache), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value kv = a[0], out = a[1], layer = a[2], stream = a[3];
        VectorType vec = VectorType::get({cache.getDim()}, f32);
        Value zero = constIndex(b, 0), one = constIndex(b, 1);
        Value tokens = memref::DimOp::create(b, out, 0);
        buildForLoop(b, zero, tokens, one, ValueRange{},
                     [&](ImplicitLocOpBuilder &tb, Value t, ValueRange) {
                       buildForLoop(tb, zero, constIndex(tb, cache.getHeads()), one,
                                    ValueRange{},
                                    [&](ImplicitLocOpBuilder &hb, Value h, ValueRange) {
                                      Value v = loadAsF32(
                                          hb, vec, kv, ValueRange{layer, stream, h, t, zero});
                                      vector::StoreOp::create(hb, v, out,
                                                              ValueRange{t, h, zero});
                                      return SmallVector<Value>{};
                                    });
                       return SmallVector<Value>{};
                     });
      });
}
