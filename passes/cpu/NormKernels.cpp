//===- NormKernels.cpp - row-wise fused kernels: RMSNorm, SwiGLU ----------===//
#include "passes/cpu/KernelBuilder.h"
#include "passes/cpu/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace lmc::cpu;

static MemRefType rowsType(MLIRContext *ctx, int64_t dim) {
  return MemRefType::get({ShapedType::kDynamic, dim}, Float32Type::get(ctx));
}

func::FuncOp lmc::cpu::getRMSNormKernel(OpBuilder &builder, ModuleOp module,
                                        int64_t dim) {
  MLIRContext *ctx = module.getContext();
  Type f32 = Float32Type::get(ctx);
  SmallVector<Type> args{rowsType(ctx, dim), MemRefType::get({dim}, f32),
                         rowsType(ctx, dim), f32};
  return getOrCreateKernel(
      builder, module, "lmc_rms_norm_" + std::to_string(dim), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value x = a[0], gain = a[1], y = a[2], eps = a[3];
        int64_t w = vectorWidthFor(dim);
        VectorType vec = VectorType::get({w}, f32);
        Value rows = memref::DimOp::create(b, x, 0);
        buildParallelLoop(b, rows, [&](ImplicitLocOpBuilder &pb, Value r) {
          Value zero = arith::ConstantOp::create(
              pb, DenseElementsAttr::get(vec, pb.getF32FloatAttr(0.0f)));
          Value squares = buildForLoop(
              pb, constIndex(pb, 0), constIndex(pb, dim), constIndex(pb, w), zero,
              [&](ImplicitLocOpBuilder &lb, Value k, ValueRange acc) {
                Value v = vector::LoadOp::create(lb, vec, x, ValueRange{r, k});
                return SmallVector<Value>{vector::FMAOp::create(lb, v, v, acc[0])};
              })[0];
          Value mean = arith::DivFOp::create(pb, reduceAdd(pb, squares),
                                             constF32(pb, (float)dim));
          Value inverse = arith::DivFOp::create(
              pb, constF32(pb, 1.0f),
              math::SqrtOp::create(pb, arith::AddFOp::create(pb, mean, eps)));
          Value inverseVec = vector::BroadcastOp::create(pb, vec, inverse);
          buildForLoop(pb, constIndex(pb, 0), constIndex(pb, dim), constIndex(pb, w),
                       ValueRange{},
                       [&](ImplicitLocOpBuilder &lb, Value k, ValueRange) {
                         Value v = vector::LoadOp::create(lb, vec, x, ValueRange{r, k});
                         Value g = vector::LoadOp::create(lb, vec, gain, ValueRange{k});
                         Value out = arith::MulFOp::create(
                             lb, arith::MulFOp::create(lb, v, inverseVec), g);
                         vector::StoreOp::create(lb, out, y, ValueRange{r, k});
                         return SmallVector<Value>{};
                       });
        });
      });
}

func::FuncOp lmc::cpu::getSwiGLUKernel(OpBuilder &builder, ModuleOp module,
                                       int64_t dim) {
  MLIRContext *ctx = module.getContext();
  SmallVector<Type> args(3, rowsType(ctx, dim));
  return getOrCreateKernel(
      builder, module, "lmc_swiglu_" + std::to_string(dim), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value gate = a[0], up = a[1], y = a[2];
        int64_t w = vectorWidthFor(dim);
        VectorType vec = VectorType::get({w}, b.getF32Type());
        Value one = arith::ConstantOp::create(
            b, DenseElementsAttr::get(vec, b.getF32FloatAttr(1.0f)));
        Value rows = memref::DimOp::create(b, gate, 0);
        buildParallelLoop(b, rows, [&](ImplicitLocOpBuilder &pb, Value r) {
          buildForLoop(pb, constIndex(pb, 0), constIndex(pb, dim), constIndex(pb, w),
                       ValueRange{},
                       [&](ImplicitLocOpBuilder &lb, Value k, ValueRange) {
                         Value g = vector::LoadOp::create(lb, vec, gate, ValueRange{r, k});
                         Value u = vector::LoadOp::create(lb, vec, up, ValueRange{r, k});
                         // silu(g) = g / (1 + e^-g)
                         Value denom = arith::AddFOp::create(
                             lb, one, math::ExpOp::create(lb, arith::NegFOp::create(lb, g)));
                         Value silu = arith::DivFOp::create(lb, g, denom);
                         vector::StoreOp::create(lb, arith::MulFOp::create(lb, silu, u),
                                                 y, ValueRange{r, k});
                         return SmallVector<Value>{};
                       });
        });
      });
}
