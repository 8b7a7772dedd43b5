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
        Value zero = constIndex(b, 0), one = constIndex(b, 1);
        Value tokens = memref::DimOp::create(b, q, 0);
        Value tiles = arith::DivUIOp::create(
            b, arith::AddIOp::create(b, tokens, constIndex(b, tileTokens - 1)),
            constIndex(b, tileTokens));
        Value work = arith::MulIOp::create(b, tiles, constIndex(b, kvHeads));
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
        buildParallelLoop(b, work, [&](ImplicitLocOpBuilder &pb, Value item) {
          // KV-head-major, so the tiles a thread takes in turn read the same
          // keys and values.
          Value kvHead = arith::DivUIOp::create(pb, item, tiles);
          Value t0 = arith::MulIOp::create(
              pb, arith::RemUIOp::create(pb, item, tiles), constIndex(pb, tileTokens));
          Value tileEnd = arith::MinUIOp::create(
              pb, tokens, arith::AddIOp::create(pb, t0, constIndex(pb, tileTokens)));
          Value rows = arith::MulIOp::create(pb, arith::SubIOp::create(pb, tileEnd, t0),
                                             constIndex(pb, group));
          // Row r is token t0 + r / group of query head kvHead * group + r % group.
          auto rowToken = [&](ImplicitLocOpBuilder &lb, Value r) -> Value {
            return arith::AddIOp::create(lb, t0, arith::DivUIOp::create(lb, r, constIndex(lb, group)));
          };
          auto rowHead = [&](ImplicitLocOpBuilder &lb, Value r) -> Value {
            return arith::AddIOp::create(
                lb, arith::MulIOp::create(lb, kvHead, constIndex(lb, group)),
                arith::RemUIOp::create(lb, r, constIndex(lb, group)));
          };
          // Per-row online-softmax state, in L1 across the key blocks.
          auto align = pb.getI64IntegerAttr(64);
          Value accs = memref::AllocaOp::create(pb, MemRefType::get({tileRows, dim}, f32),
                                                ValueRange{}, align);
          Value maxes = memref::AllocaOp::create(pb, MemRefType::get({tileRows}, f32),
                                                 ValueRange{}, align);
          // Denominators stay per lane until the end: no horizontal sum per block.
          Value denoms = memref::AllocaOp::create(
              pb, MemRefType::get({tileRows, keyBlock}, f32), ValueRange{}, align);
          // An f16 cache's block of keys and values is widened once per tile
          // into this buffer, not once per row that reads it.
          bool widen = !cache.getElementType().isF32();
          Value widened;
          if (widen)
            widened = memref::AllocaOp::create(
                pb, MemRefType::get({2, keyBlock, dim}, f32), ValueRange{}, align);
          Value accZero = arith::ConstantOp::create(
              pb, DenseElementsAttr::get(vec, pb.getF32FloatAttr(0.0f)));
          buildForLoop(pb, zero, rows, one, ValueRange{},
                       [&](ImplicitLocOpBuilder &lb, Value r, ValueRange) {
                         // A sink is a key with a fixed logit and no value: the
                         // running maximum starts at it and the denominator at
                         // exp(0) = 1.
                         Value maxInit = minusInf;
                         SmallVector<float> denomInit(keyBlock, 0.0f);
                         if (withSinks) {
                           maxInit = memref::LoadOp::create(lb, a[7], ValueRange{rowHead(lb, r)});
                           denomInit[0] = 1.0f;
                         }
                         memref::StoreOp::create(lb, maxInit, maxes, ValueRange{r});
                         vector::StoreOp::create(
                             lb,
                             arith::ConstantOp::create(
                                 lb, DenseElementsAttr::get(blockVec, ArrayRef<float>(denomInit))),
                             denoms, ValueRange{r, zero});
                         vector::StoreOp::create(lb, accZero, accs, ValueRange{r, zero});
                         return SmallVector<Value>{};
                       });
          Value tileFirst = keyRange(pb, arith::AddIOp::create(pb, start, t0)).first;
          Value keysEnd = arith::AddIOp::create(pb, start, tileEnd);
          buildForLoop(
              pb, tileFirst, keysEnd, constIndex(pb, keyBlock), ValueRange{},
              [&](ImplicitLocOpBuilder &kb, Value j0, ValueRange) {
                Value j1 = arith::AddIOp::create(kb, j0, constIndex(kb, keyBlock));
                // Keys past the tile's last one read it again; each row masks
                // what it must not see. The same positions serve every row.
                Value last = arith::SubIOp::create(kb, keysEnd, one);
                SmallVector<Value> keys;
                for (int64_t i = 0; i < keyBlock; ++i)
                  keys.push_back(arith::MinUIOp::create(
                      kb, arith::AddIOp::create(kb, j0, constIndex(kb, i)), last));
                // Key (stream 0) or value (stream 1) i of the block, as f32.
                auto blockRow = [&](ImplicitLocOpBuilder &lb, int64_t stream, int64_t i) -> Value {
                  if (widen)
                    return vector::LoadOp::create(
                        lb, vec, widened, ValueRange{constIndex(lb, stream), constIndex(lb, i), zero});
                  return vector::LoadOp::create(
                      lb, vec, kv, ValueRange{layer, constIndex(lb, stream), kvHead, keys[i], zero});
                };
                if (widen)
                  for (int64_t stream = 0; stream < 2; ++stream)
                    for (int64_t i = 0; i < keyBlock; ++i)
                      vector::StoreOp::create(
                          kb,
                          loadAsF32(kb, vec, kv,
                                    ValueRange{layer, constIndex(kb, stream), kvHead, keys[i], zero}),
                          widened, ValueRange{constIndex(kb, stream), constIndex(kb, i), zero});
                buildForLoop(kb, zero, rows, one, ValueRange{}, [&](ImplicitLocOpBuilder &rb,
                                                                     Value r, ValueRange) {
                  Value t = rowToken(rb, r), h = rowHead(rb, r);
                  auto [first, end] = keyRange(rb, arith::AddIOp::create(rb, start, t));
                  // Blocks wholly outside the row's keys leave it as it is.
                  Value overlaps = arith::AndIOp::create(
                      rb, arith::CmpIOp::create(rb, arith::CmpIPredicate::ult, j0, end),
                      arith::CmpIOp::create(rb, arith::CmpIPredicate::ugt, j1, first));
                  scf::IfOp::create(rb, overlaps, [&](OpBuilder &nb, Location loc) {
                    ImplicitLocOpBuilder lb(loc, nb);
                    Value query = vector::LoadOp::create(lb, vec, q, ValueRange{t, h, zero});
                    SmallVector<Value> querySlices;
                    for (int64_t c = 0; c < dim; c += lanes)
                      querySlices.push_back(slice(lb, query, c));
                    SmallVector<Value> partials;
                    for (int64_t i = 0; i < keyBlock; ++i) {
                      Value key = blockRow(lb, 0, i);
                      Value partial = arith::MulFOp::create(lb, querySlices[0], slice(lb, key, 0));
                      for (int64_t c = 1; c * lanes < dim; ++c)
                        partial = vector::FMAOp::create(lb, querySlices[c],
                                                        slice(lb, key, c * lanes), partial);
                      partials.push_back(partial);
                    }
                    VectorType laneIndex = VectorType::get({keyBlock}, index);
                    Value position = arith::AddIOp::create(
                        lb, vector::BroadcastOp::create(lb, laneIndex, j0),
                        vector::StepOp::create(lb, laneIndex));
                    auto splatIndex = [&](Value v) {
                      return vector::BroadcastOp::create(lb, laneIndex, v);
                    };
                    Value valid = arith::AndIOp::create(
                        lb,
                        arith::CmpIOp::create(lb, arith::CmpIPredicate::ult, position,
                                              splatIndex(end)),
                        arith::CmpIOp::create(lb, arith::CmpIPredicate::uge, position,
                                              splatIndex(first)));
                    Value scores =
                        arith::MulFOp::create(lb, reduceAddEach(lb, partials), splat(lb, scale));
                    scores = arith::SelectOp::create(lb, valid, scores, splat(lb, minusInf));
                    Value maxSoFar = memref::LoadOp::create(lb, maxes, ValueRange{r});
                    Value denom = vector::LoadOp::create(lb, blockVec, denoms, ValueRange{r, zero});
                    // No NaN handling in the maximum (a tree of vmaxps, not a
                    // serial chain): a NaN score reaches the output through
                    // its weight anyway.
                    Value blockMax = vector::ReductionOp::create(
                        lb, f32, vector::CombiningKindAttr::get(ctx, vector::CombiningKind::MAXNUMF),
                        scores, Value(),
                        arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::nnan));
                    Value newMax = arith::MaxNumFOp::create(lb, maxSoFar, blockMax);
                    Value rescale = math::ExpOp::create(
                        lb, arith::SubFOp::create(lb, maxSoFar, newMax));
                    Value weights = math::ExpOp::create(
                        lb, arith::SubFOp::create(lb, scores, splat(lb, newMax)));
                    weights =
                        arith::SelectOp::create(lb, valid, weights, splat(lb, constF32(lb, 0)));
                    Value newDenom = vector::FMAOp::create(lb, denom, splat(lb, rescale), weights);
                    Value acc = arith::MulFOp::create(
                        lb, vector::LoadOp::create(lb, vec, accs, ValueRange{r, zero}),
                        vector::BroadcastOp::create(lb, vec, rescale));
                    for (int64_t i = 0; i < keyBlock; ++i) {
                      Value value = blockRow(lb, 1, i);
                      Value weight = vector::ExtractOp::create(lb, weights, ArrayRef<int64_t>{i});
                      acc = vector::FMAOp::create(lb, vector::BroadcastOp::create(lb, vec, weight),
                                                  value, acc);
                    }
                    vector::StoreOp::create(lb, acc, accs, ValueRange{r, zero});
                    memref::StoreOp::create(lb, newMax, maxes, ValueRange{r});
                    vector::StoreOp::create(lb, newDenom, denoms, ValueRange{r, zero});
                    scf::YieldOp::create(lb);
                  });
                  return SmallVector<Value>{};
                });
                return SmallVector<Value>{};
              });
          buildForLoop(pb, zero, rows, one, ValueRange{},
                       [&](ImplicitLocOpBuilder &lb, Value r, ValueRange) {
                         Value denom = reduceAdd(
                             lb, vector::LoadOp::create(lb, blockVec, denoms, ValueRange{r, zero}));
                         Value result = arith::DivFOp::create(
                             lb, vector::LoadOp::create(lb, vec, accs, ValueRange{r, zero}),
                             vector::BroadcastOp::create(lb, vec, denom));
                         vector::StoreOp::create(lb, result, out,
                                                 ValueRange{rowToken(lb, r), rowHead(lb, r), zero});
                         return SmallVector<Value>{};
                       });
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
