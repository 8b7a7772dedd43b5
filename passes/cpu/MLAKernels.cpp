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

#include <limits>

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
    int64_t w = vectorWidthFor(std::gcd(dim, valueDim));
    VectorType vec = VectorType::get({w}, f32);
    Value zero = constIndex(b, 0), one = constIndex(b, 1), step = constIndex(b, w);
    Value zeros = arith::ConstantOp::create(b, DenseElementsAttr::get(vec, b.getF32FloatAttr(0.0f)));
    Value tokens = memref::DimOp::create(b, q, 0);
    Value work = arith::MulIOp::create(b, tokens, constIndex(b, heads));
    buildParallelLoop(b, work, [&](ImplicitLocOpBuilder &pb, Value item) {
      Value t = arith::DivUIOp::create(pb, item, constIndex(pb, heads));
      Value h = arith::RemUIOp::create(pb, item, constIndex(pb, heads));
      Value end = arith::AddIOp::create(pb, arith::AddIOp::create(pb, start, t), one);
      // The running weighted sum of values, in memory: value_dim floats do
      // not fit in registers.
      Value acc = memref::AllocaOp::create(pb, MemRefType::get({valueDim}, f32));
      buildForLoop(pb, zero, constIndex(pb, valueDim), step, ValueRange{},
                   [&](ImplicitLocOpBuilder &lb, Value i, ValueRange) {
                     vector::StoreOp::create(lb, zeros, acc, ValueRange{i});
                     return SmallVector<Value>{};
                   });
      Value minusInf = constF32(pb, -std::numeric_limits<float>::infinity());
      ValueRange state = buildForLoop(
          pb, zero, end, one, ValueRange{minusInf, constF32(pb, 0.0f)},
          [&](ImplicitLocOpBuilder &lb, Value j, ValueRange s) {
            Value dot = buildForLoop(
                lb, zero, constIndex(lb, dim), step, ValueRange{zeros},
                [&](ImplicitLocOpBuilder &db, Value i, ValueRange d) {
                  Value qv = vector::LoadOp::create(db, vec, q, ValueRange{t, h, i});
                  Value kvv = loadAsF32(db, vec, kv, ValueRange{layer, zero, zero, j, i});
                  return SmallVector<Value>{vector::FMAOp::create(db, qv, kvv, d[0])};
                })[0];
            Value score = arith::MulFOp::create(lb, reduceAdd(lb, dot), scale);
            Value newMax = arith::MaximumFOp::create(lb, s[0], score);
            Value rescale = math::ExpOp::create(lb, arith::SubFOp::create(lb, s[0], newMax));
            Value weight = math::ExpOp::create(lb, arith::SubFOp::create(lb, score, newMax));
            Value rescaleV = vector::BroadcastOp::create(lb, vec, rescale);
            Value weightV = vector::BroadcastOp::create(lb, vec, weight);
            buildForLoop(lb, zero, constIndex(lb, valueDim), step, ValueRange{},
                         [&](ImplicitLocOpBuilder &vb, Value i, ValueRange) {
                           Value old = vector::LoadOp::create(vb, vec, acc, ValueRange{i});
                           Value v = loadAsF32(vb, vec, kv, ValueRange{layer, zero, zero, j, i});
                           Value updated = arith::AddFOp::create(
                               vb, arith::MulFOp::create(vb, old, rescaleV),
                               arith::MulFOp::create(vb, v, weightV));
                           vector::StoreOp::create(vb, updated, acc, ValueRange{i});
                           return SmallVector<Value>{};
                         });
            Value denom = arith::AddFOp::create(lb, arith::MulFOp::create(lb, s[1], rescale), weight);
            return SmallVector<Value>{newMax, denom};
          });
      Value inverse = vector::BroadcastOp::create(
          pb, vec, arith::DivFOp::create(pb, constF32(pb, 1.0f), state[1]));
      buildForLoop(pb, zero, constIndex(pb, valueDim), step, ValueRange{},
                   [&](ImplicitLocOpBuilder &lb, Value i, ValueRange) {
                     Value v = vector::LoadOp::create(lb, vec, acc, ValueRange{i});
                     vector::StoreOp::create(lb, arith::MulFOp::create(lb, v, inverse), out,
                                             ValueRange{t, h, i});
                     return SmallVector<Value>{};
                   });
    });
  });
}
