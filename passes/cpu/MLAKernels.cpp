//===- MLAKernels.cpp - kernels of multi-head latent attention ------------===//
//
// The per-head projections into and out of the latent space, and attention
// of all query heads over the latent cache (one entry per position, shared by
// every head: each entry is read once per query head, never expanded).
//
//===----------------------------------------------------------------------===//
#include "passes/cpu/KernelBuilder.h"
#include "passes/cpu/Kernels.h"
#include "passes/cpu/RowDotProducts.h"
#include "passes/cpu/WeightDecoding.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace lmc::cpu;
using namespace lmc::tfm;

func::FuncOp lmc::cpu::getHeadMatmulKernel(OpBuilder &builder, ModuleOp module,
                                           const WeightAccess &weight) {
  MLIRContext *ctx = module.getContext();
  ArrayRef<int64_t> shape = weight.type().getShape();
  int64_t heads = shape[0], n = shape[1], k = shape[2];
  Type f32 = Float32Type::get(ctx);
  SmallVector<Type> args{MemRefType::get({ShapedType::kDynamic, k}, f32),
                         MemRefType::get({ShapedType::kDynamic, n}, f32)};
  weight.appendArgTypes(ctx, args);
  return getOrCreateKernel(builder, module, "lmc_head_matmul_" + weight.key(), args,
                           [&](ImplicitLocOpBuilder &b, ValueRange a) {
    // x and y are [tokens * heads, k] and [tokens * heads, n]: row t*H + h.
    Value x = a[0], y = a[1];
    WeightReader w(weight, a.drop_front(2));
    Value tokens = arith::DivUIOp::create(b, memref::DimOp::create(b, x, 0), constIndex(b, heads));
    constexpr int64_t kTile = 4;
    // One weight row (head h, output n) per iteration, dotted with every token.
    buildParallelLoop(b, constIndex(b, heads * n), [&](ImplicitLocOpBuilder &pb, Value row) {
      Value h = arith::DivUIOp::create(pb, row, constIndex(pb, n));
      Value out = arith::RemUIOp::create(pb, row, constIndex(pb, n));
      WeightRow weightRow = w.row(pb, h, out);
      buildGroupedLoop(pb, constIndex(pb, 0), tokens, kTile,
                       [&](ImplicitLocOpBuilder &tb, Value t0, int64_t count) {
                         SmallVector<Value> rows;
                         for (Value t : consecutiveIndices(tb, t0, count))
                           rows.push_back(arith::AddIOp::create(
                               tb, arith::MulIOp::create(tb, t, constIndex(tb, heads)), h));
                         emitRowDotProducts(tb, w, weightRow, x, rows, y, rows, out);
                       });
    });
  });
}

/// Query heads one work item attends together: each block of latent entries
/// is read from L2 once per item and serves them all from L1 (one head per
/// item read the whole latent cache again for each of the 128 heads).
static constexpr int64_t kMaxHeadsPerItem = 8;
/// Entries per block: one softmax update (maximum, rescale, exp) per head
/// and block; the scores of a block form one vector.
static constexpr int64_t kBlockKeys = 16;
/// In decode (one token) the entries are split into parts of about this
/// many, each a work item of its own (part-major, so the items a thread
/// takes in turn share a part that stays in L2), the parts' softmax states
/// merged after: 128 heads make only 16 items otherwise.
static constexpr int64_t kSplitKeys = 512;
static constexpr int64_t kMaxSplits = 64;
/// Heads of a register block: each entry slice loaded (and widened from
/// f16) once serves this many heads' products.
static constexpr int64_t kRegisterHeads = 4;

/// The largest divisor of `n` not above `limit`.
static int64_t largestDivisorUpTo(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// [first, first + size) for consecutive blocks of at most `block` of
/// [0, n).
static SmallVector<std::pair<int64_t, int64_t>> staticBlocks(int64_t n, int64_t block) {
  SmallVector<std::pair<int64_t, int64_t>> blocks;
  for (int64_t first = 0; first < n; first += block)
    blocks.push_back({first, std::min(block, n - first)});
  return blocks;
}

func::FuncOp lmc::cpu::getLatentAttentionKernel(OpBuilder &builder, ModuleOp module,
                                                int64_t heads, KVCacheType cache,
                                                int64_t valueDim) {
  MLIRContext *ctx = module.getContext();
  int64_t dim = cache.getDim();
  Type f32 = Float32Type::get(ctx), index = IndexType::get(ctx);
  SmallVector<Type> args{MemRefType::get({ShapedType::kDynamic, heads, dim}, f32),
                         getCacheMemRefType(cache),
                         MemRefType::get({ShapedType::kDynamic, heads, valueDim}, f32),
                         index, index, f32};
  std::string name = "lmc_latent_attention_" + std::to_string(heads) + "_" +
                     getCacheKernelKey(cache) + "_v" + std::to_string(valueDim);
  return getOrCreateKernel(builder, module, name, args, [&](ImplicitLocOpBuilder &b,
                                                            ValueRange a) {
    Value q = a[0], kv = a[1], out = a[2], layer = a[3], start = a[4], scale = a[5];
    int64_t w = std::min<int64_t>(16, vectorWidthFor(std::gcd(dim, valueDim)));
    // Value products take two slices per head at once where they pair up:
    // two accumulator chains per head.
    int64_t valueSlices = (valueDim / w) % 2 == 0 ? 2 : 1;
    int64_t group = largestDivisorUpTo(heads, kMaxHeadsPerItem);
    int64_t groups = heads / group;
    VectorType vec = VectorType::get({w}, f32);
    VectorType blockVec = VectorType::get({kBlockKeys}, f32);
    VectorType blockIndex = VectorType::get({kBlockKeys}, index);
    auto zerosOf = [](ImplicitLocOpBuilder &lb, VectorType type) -> Value {
      return arith::ConstantOp::create(lb, DenseElementsAttr::get(type, lb.getF32FloatAttr(0.0f)));
    };
    auto ceilDiv = [](ImplicitLocOpBuilder &lb, Value x, Value y) -> Value {
      return arith::CeilDivUIOp::create(lb, x, y);
    };
    auto splat = [](ImplicitLocOpBuilder &lb, VectorType type, Value scalar) -> Value {
      return vector::BroadcastOp::create(lb, type, scalar);
    };
    Value zero = constIndex(b, 0), one = constIndex(b, 1);
    Value minusInf = constF32(b, -std::numeric_limits<float>::infinity());
    Value tokens = memref::DimOp::create(b, q, 0);
    Value splits = arith::SelectOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tokens, one),
        arith::MinUIOp::create(b, constIndex(b, kMaxSplits),
                               ceilDiv(b, arith::AddIOp::create(b, start, one),
                                       constIndex(b, kSplitKeys))),
        one);
    Value split = arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, splits, one);
    Value work = arith::MulIOp::create(
        b, arith::MulIOp::create(b, tokens, constIndex(b, groups)), splits);
    // Split items' unnormalised results: accumulators, maxima, denominators.
    Value partials = arith::SelectOp::create(b, split, work, zero);
    Value partialAccs = allocBuffer(
        b, b.getLoc(), MemRefType::get({ShapedType::kDynamic, group, valueDim}, f32),
        ValueRange{partials});
    Value partialStats = allocBuffer(
        b, b.getLoc(), MemRefType::get({ShapedType::kDynamic, group, 2}, f32),
        ValueRange{partials});
    auto align = b.getI64IntegerAttr(64);
    buildParallelLoop(b, work, [&](ImplicitLocOpBuilder &pb, Value item) {
      // Item = (token, part, head group), the group fastest.
      Value g = arith::RemUIOp::create(pb, item, constIndex(pb, groups));
      Value rest = arith::DivUIOp::create(pb, item, constIndex(pb, groups));
      Value part = arith::RemUIOp::create(pb, rest, splits);
      Value t = arith::DivUIOp::create(pb, rest, splits);
      Value h0 = arith::MulIOp::create(pb, g, constIndex(pb, group));
      // The token sees entries [0, start + t]; this item, its part of them
      // in whole blocks.
      Value end = arith::AddIOp::create(pb, arith::AddIOp::create(pb, start, t), one);
      Value perPart = arith::MulIOp::create(
          pb, ceilDiv(pb, ceilDiv(pb, end, splits), constIndex(pb, kBlockKeys)),
          constIndex(pb, kBlockKeys));
      Value keysBegin = arith::MinUIOp::create(pb, end, arith::MulIOp::create(pb, part, perPart));
      Value keysEnd = arith::MinUIOp::create(pb, end, arith::AddIOp::create(pb, keysBegin, perPart));
      Value last = arith::SubIOp::create(pb, keysEnd, one);
      // Per-head online-softmax state, in L1 across the blocks.
      Value accs = memref::AllocaOp::create(pb, MemRefType::get({group, valueDim}, f32),
                                            ValueRange{}, align);
      Value maxes = memref::AllocaOp::create(pb, MemRefType::get({group}, f32), ValueRange{}, align);
      Value rescales = memref::AllocaOp::create(pb, MemRefType::get({group}, f32), ValueRange{}, align);
      // Denominators per lane until the end: no horizontal sum per block.
      Value denoms = memref::AllocaOp::create(pb, MemRefType::get({group, kBlockKeys}, f32),
                                              ValueRange{}, align);
      // A block's scores, then its weights.
      Value scores = memref::AllocaOp::create(pb, MemRefType::get({group, kBlockKeys}, f32),
                                              ValueRange{}, align);
      Value vecZero = zerosOf(pb, vec), blockZero = zerosOf(pb, blockVec);
      buildForLoop(pb, zero, constIndex(pb, group), one, ValueRange{},
                   [&](ImplicitLocOpBuilder &lb, Value r, ValueRange) {
                     memref::StoreOp::create(lb, minusInf, maxes, ValueRange{r});
                     vector::StoreOp::create(lb, blockZero, denoms, ValueRange{r, zero});
                     buildForLoop(lb, zero, constIndex(lb, valueDim), constIndex(lb, w), ValueRange{},
                                  [&](ImplicitLocOpBuilder &vb, Value i, ValueRange) {
                                    vector::StoreOp::create(vb, vecZero, accs, ValueRange{r, i});
                                    return SmallVector<Value>{};
                                  });
                     return SmallVector<Value>{};
                   });
      // Entry `key`'s slice at `i`, as f32. Entries past the item's last
      // read the last again; their weights are zero.
      auto entry = [&](ImplicitLocOpBuilder &lb, Value key, Value i) -> Value {
        return loadAsF32(lb, vec, kv, ValueRange{layer, zero, zero, key, i});
      };
      auto keyAt = [&](ImplicitLocOpBuilder &lb, Value j0, Value offset) -> Value {
        return arith::MinUIOp::create(lb, arith::AddIOp::create(lb, j0, offset), last);
      };
      auto headRow = [&](ImplicitLocOpBuilder &lb, int64_t r) -> Value {
        return arith::AddIOp::create(lb, h0, constIndex(lb, r));
      };
      buildForLoop(pb, keysBegin, keysEnd, constIndex(pb, kBlockKeys), ValueRange{},
                   [&](ImplicitLocOpBuilder &kb, Value j0, ValueRange) {
        // Scores: register blocks of (up to) 4 heads x 2 entries, each
        // entry slice loaded once for the block's heads.
        for (auto [r0, rows] : staticBlocks(group, kRegisterHeads)) {
          buildForLoop(kb, zero, constIndex(kb, kBlockKeys), constIndex(kb, 2), ValueRange{},
                       [&](ImplicitLocOpBuilder &jb, Value jj, ValueRange) {
            Value keys[2] = {keyAt(jb, j0, jj), keyAt(jb, j0, arith::AddIOp::create(jb, jj, one))};
            SmallVector<Value> init(2 * rows, vecZero);
            ValueRange dots = buildForLoop(
                jb, zero, constIndex(jb, dim), constIndex(jb, w), init,
                [&](ImplicitLocOpBuilder &db, Value i, ValueRange acc) {
                  Value k[2] = {entry(db, keys[0], i), entry(db, keys[1], i)};
                  SmallVector<Value> next;
                  for (int64_t r = 0; r < rows; ++r) {
                    Value qv = vector::LoadOp::create(db, vec, q,
                                                      ValueRange{t, headRow(db, r0 + r), i});
                    for (int64_t e = 0; e < 2; ++e)
                      next.push_back(vector::FMAOp::create(db, qv, k[e], acc[2 * r + e]));
                  }
                  return next;
                });
            for (int64_t r = 0; r < rows; ++r) {
              Value pair = w >= 2 ? reduceAddEach(jb, ValueRange{dots[2 * r], dots[2 * r + 1]})
                                  : vector::FromElementsOp::create(
                                        jb, VectorType::get({2}, f32),
                                        ValueRange{reduceAdd(jb, dots[2 * r]),
                                                   reduceAdd(jb, dots[2 * r + 1])})
                                        .getResult();
              vector::StoreOp::create(jb, pair, scores, ValueRange{constIndex(jb, r0 + r), jj});
            }
            return SmallVector<Value>{};
          });
        }
        // Softmax update per head; the weights replace the scores.
        Value positions = arith::AddIOp::create(kb, splat(kb, blockIndex, j0),
                                                vector::StepOp::create(kb, blockIndex));
        Value valid = arith::CmpIOp::create(kb, arith::CmpIPredicate::ult, positions,
                                            splat(kb, blockIndex, keysEnd));
        buildForLoop(kb, zero, constIndex(kb, group), one, ValueRange{},
                     [&](ImplicitLocOpBuilder &lb, Value r, ValueRange) {
          Value s = arith::MulFOp::create(
              lb, vector::LoadOp::create(lb, blockVec, scores, ValueRange{r, zero}),
              splat(lb, blockVec, scale));
          s = arith::SelectOp::create(lb, valid, s, splat(lb, blockVec, minusInf));
          Value blockMax = vector::ReductionOp::create(
              lb, f32, vector::CombiningKindAttr::get(ctx, vector::CombiningKind::MAXNUMF), s,
              Value(), arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::nnan));
          Value maxSoFar = memref::LoadOp::create(lb, maxes, ValueRange{r});
          Value newMax = arith::MaxNumFOp::create(lb, maxSoFar, blockMax);
          Value rescale = math::ExpOp::create(lb, arith::SubFOp::create(lb, maxSoFar, newMax));
          Value weights = arith::SelectOp::create(
              lb, valid,
              math::ExpOp::create(lb, arith::SubFOp::create(lb, s, splat(lb, blockVec, newMax))),
              blockZero);
          Value denom = vector::LoadOp::create(lb, blockVec, denoms, ValueRange{r, zero});
          vector::StoreOp::create(
              lb, arith::AddFOp::create(
                      lb, arith::MulFOp::create(lb, denom, splat(lb, blockVec, rescale)), weights),
              denoms, ValueRange{r, zero});
          vector::StoreOp::create(lb, weights, scores, ValueRange{r, zero});
          memref::StoreOp::create(lb, rescale, rescales, ValueRange{r});
          memref::StoreOp::create(lb, newMax, maxes, ValueRange{r});
          return SmallVector<Value>{};
        });
        // Values: register blocks of (up to) 4 heads x valueSlices slices,
        // each entry slice loaded once for the block's heads.
        for (auto [r0, rows] : staticBlocks(group, kRegisterHeads)) {
          buildForLoop(kb, zero, constIndex(kb, valueDim), constIndex(kb, w * valueSlices),
                       ValueRange{}, [&](ImplicitLocOpBuilder &vb, Value i0, ValueRange) {
            SmallVector<Value> slices, acc;
            for (int64_t c = 0; c < valueSlices; ++c)
              slices.push_back(arith::AddIOp::create(vb, i0, constIndex(vb, c * w)));
            for (int64_t r = 0; r < rows; ++r) {
              Value rescale = splat(vb, vec, memref::LoadOp::create(
                                                 vb, rescales, ValueRange{constIndex(vb, r0 + r)}));
              for (Value i : slices)
                acc.push_back(arith::MulFOp::create(
                    vb, vector::LoadOp::create(vb, vec, accs, ValueRange{constIndex(vb, r0 + r), i}),
                    rescale));
            }
            for (int64_t e = 0; e < kBlockKeys; ++e) {
              Value key = keyAt(vb, j0, constIndex(vb, e));
              SmallVector<Value> values;
              for (Value i : slices)
                values.push_back(entry(vb, key, i));
              for (int64_t r = 0; r < rows; ++r) {
                Value weight = splat(vb, vec, memref::LoadOp::create(
                                                  vb, scores, ValueRange{constIndex(vb, r0 + r),
                                                                         constIndex(vb, e)}));
                for (int64_t c = 0; c < valueSlices; ++c)
                  acc[r * valueSlices + c] =
                      vector::FMAOp::create(vb, weight, values[c], acc[r * valueSlices + c]);
              }
            }
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t c = 0; c < valueSlices; ++c)
                vector::StoreOp::create(vb, acc[r * valueSlices + c], accs,
                                        ValueRange{constIndex(vb, r0 + r), slices[c]});
            return SmallVector<Value>{};
          });
        }
        return SmallVector<Value>{};
      });
      // A whole item's heads are final; a part's go to the merge.
      auto eachSlice = [&](ImplicitLocOpBuilder &lb,
                           function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
        buildForLoop(lb, zero, constIndex(lb, valueDim), constIndex(lb, w), ValueRange{},
                     [&](ImplicitLocOpBuilder &vb, Value i, ValueRange) {
                       body(vb, i);
                       return SmallVector<Value>{};
                     });
      };
      buildForLoop(pb, zero, constIndex(pb, group), one, ValueRange{},
                   [&](ImplicitLocOpBuilder &lb, Value r, ValueRange) {
        Value denom = reduceAdd(lb, vector::LoadOp::create(lb, blockVec, denoms, ValueRange{r, zero}));
        scf::IfOp::create(
            lb, split,
            [&](OpBuilder &nb, Location loc) {
              ImplicitLocOpBuilder sb(loc, nb);
              memref::StoreOp::create(sb, memref::LoadOp::create(sb, maxes, ValueRange{r}),
                                      partialStats, ValueRange{item, r, zero});
              memref::StoreOp::create(sb, denom, partialStats, ValueRange{item, r, one});
              eachSlice(sb, [&](ImplicitLocOpBuilder &vb, Value i) {
                vector::StoreOp::create(vb, vector::LoadOp::create(vb, vec, accs, ValueRange{r, i}),
                                        partialAccs, ValueRange{item, r, i});
              });
              scf::YieldOp::create(sb);
            },
            [&](OpBuilder &nb, Location loc) {
              ImplicitLocOpBuilder sb(loc, nb);
              Value inverse = splat(sb, vec, arith::DivFOp::create(sb, constF32(sb, 1.0f), denom));
              Value h = arith::AddIOp::create(sb, h0, r);
              eachSlice(sb, [&](ImplicitLocOpBuilder &vb, Value i) {
                Value v = vector::LoadOp::create(vb, vec, accs, ValueRange{r, i});
                vector::StoreOp::create(vb, arith::MulFOp::create(vb, v, inverse), out,
                                        ValueRange{t, h, i});
              });
              scf::YieldOp::create(sb);
            });
        return SmallVector<Value>{};
      });
    });
    // Each head's parts (one token): rescaled to their common maximum and
    // summed, the heads in parallel.
    scf::IfOp::create(b, split, [&](OpBuilder &nb, Location loc) {
      ImplicitLocOpBuilder mb(loc, nb);
      buildParallelLoop(mb, constIndex(mb, heads), [&](ImplicitLocOpBuilder &hb, Value h) {
        Value g = arith::DivUIOp::create(hb, h, constIndex(hb, group));
        Value r = arith::RemUIOp::create(hb, h, constIndex(hb, group));
        auto itemOf = [&](ImplicitLocOpBuilder &lb, Value s) -> Value {
          return arith::AddIOp::create(
              lb, arith::MulIOp::create(lb, s, constIndex(lb, groups)), g);
        };
        auto stat = [&](ImplicitLocOpBuilder &lb, Value s, int64_t which) -> Value {
          return memref::LoadOp::create(lb, partialStats,
                                        ValueRange{itemOf(lb, s), r, constIndex(lb, which)});
        };
        Value best = buildForLoop(hb, zero, splits, one, ValueRange{minusInf},
                                  [&](ImplicitLocOpBuilder &lb, Value s, ValueRange carried) {
                                    return SmallVector<Value>{
                                        arith::MaxNumFOp::create(lb, carried[0], stat(lb, s, 0))};
                                  })[0];
        // Each part's weight exp(max - best), once per head, normalised.
        Value partWeights = memref::AllocaOp::create(hb, MemRefType::get({kMaxSplits}, f32));
        Value total = buildForLoop(
            hb, zero, splits, one, ValueRange{constF32(hb, 0.0f)},
            [&](ImplicitLocOpBuilder &lb, Value s, ValueRange carried) {
              Value weight = math::ExpOp::create(lb, arith::SubFOp::create(lb, stat(lb, s, 0), best));
              memref::StoreOp::create(lb, weight, partWeights, ValueRange{s});
              return SmallVector<Value>{arith::AddFOp::create(
                  lb, carried[0], arith::MulFOp::create(lb, weight, stat(lb, s, 1)))};
            })[0];
        Value inverse = splat(hb, vec, arith::DivFOp::create(hb, constF32(hb, 1.0f), total));
        buildForLoop(hb, zero, constIndex(hb, valueDim), constIndex(hb, w), ValueRange{},
                     [&](ImplicitLocOpBuilder &vb, Value i, ValueRange) {
          Value sum = buildForLoop(
              vb, zero, splits, one, ValueRange{zerosOf(vb, vec)},
              [&](ImplicitLocOpBuilder &lb, Value s, ValueRange carried) {
                Value weight = memref::LoadOp::create(lb, partWeights, ValueRange{s});
                Value acc = vector::LoadOp::create(lb, vec, partialAccs,
                                                   ValueRange{itemOf(lb, s), r, i});
                return SmallVector<Value>{
                    vector::FMAOp::create(lb, splat(lb, vec, weight), acc, carried[0])};
              })[0];
          sum = arith::MulFOp::create(vb, sum, inverse);
          vector::StoreOp::create(vb, sum, out, ValueRange{zero, h, i});
          return SmallVector<Value>{};
        });
      });
      scf::YieldOp::create(mb);
    });
  });
}
