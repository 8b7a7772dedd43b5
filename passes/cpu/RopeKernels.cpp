//===- RopeKernels.cpp - rotary position embedding kernels ----------------===//
//
// Frequencies are compile-time constants (RopeConfigAttr::getFrequencies);
// the kernels compute angle = position * frequency and its cos/sin at run
// time, once per token and frequency, shared by all heads.
//
//===----------------------------------------------------------------------===//
#include "passes/cpu/KernelBuilder.h"
#include "passes/cpu/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace lmc::cpu;
using namespace lmc::tfm;

/// The position of token t as f32.
static Value positionOf(ImplicitLocOpBuilder &b, Value start, Value t) {
  Value pos = arith::AddIOp::create(b, start, t);
  Value pos64 = arith::IndexCastOp::create(b, b.getI64Type(), pos);
  return arith::SIToFPOp::create(b, b.getF32Type(), pos64);
}

static void forRange(ImplicitLocOpBuilder &b, int64_t lower, int64_t upper,
                     function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
  buildForLoop(b, constIndex(b, lower), constIndex(b, upper), constIndex(b, 1),
               ValueRange{}, [&](ImplicitLocOpBuilder &lb, Value i, ValueRange) {
                 body(lb, i);
                 return SmallVector<Value>{};
               });
}

func::FuncOp lmc::cpu::getRopeKernel(OpBuilder &builder, ModuleOp module,
                                     int64_t heads, int64_t headDim,
                                     RopeConfigAttr config, RopeStyle style,
                                     float mscale) {
  MLIRContext *ctx = module.getContext();
  auto act = MemRefType::get({ShapedType::kDynamic, heads, headDim},
                             Float32Type::get(ctx));
  SmallVector<Type> args{act, act, IndexType::get(ctx)};
  std::string name = "lmc_rope_" + stringifyRopeStyle(style).str() + "_" +
                     std::to_string(heads) + "x" + std::to_string(headDim) + "_" +
                     attrKey(config) + (mscale != 1.0f ? "_m" + attrKey(FloatAttr::get(Float32Type::get(ctx), mscale)) : "");
  return getOrCreateKernel(
      builder, module, name, args, [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value x = a[0], y = a[1], start = a[2];
        int64_t rotary = config.getDim(), half = rotary / 2;
        Value freqs = getConstantTable(b, module, "lmc_rope_freqs",
                                       config.getFrequencies());
        Value scale = constF32(b, mscale);
        Value tokens = memref::DimOp::create(b, x, 0);
        buildParallelLoop(b, tokens, [&](ImplicitLocOpBuilder &pb, Value t) {
          Value pos = positionOf(pb, start, t);
          forRange(pb, 0, half, [&](ImplicitLocOpBuilder &lb, Value i) {
            Value freq = memref::LoadOp::create(lb, freqs, ValueRange{i});
            Value angle = arith::MulFOp::create(lb, pos, freq);
            Value cos = arith::MulFOp::create(lb, math::CosOp::create(lb, angle), scale);
            Value sin = arith::MulFOp::create(lb, math::SinOp::create(lb, angle), scale);
            Value i0, i1;
            if (style == RopeStyle::neox) {
              i0 = i;
              i1 = arith::AddIOp::create(lb, i, constIndex(lb, half));
            } else {
              i0 = arith::MulIOp::create(lb, i, constIndex(lb, 2));
              i1 = arith::AddIOp::create(lb, i0, constIndex(lb, 1));
            }
            forRange(lb, 0, heads, [&](ImplicitLocOpBuilder &hb, Value h) {
              Value x0 = memref::LoadOp::create(hb, x, ValueRange{t, h, i0});
              Value x1 = memref::LoadOp::create(hb, x, ValueRange{t, h, i1});
              Value y0 = arith::SubFOp::create(hb, arith::MulFOp::create(hb, x0, cos),
                                               arith::MulFOp::create(hb, x1, sin));
              Value y1 = arith::AddFOp::create(hb, arith::MulFOp::create(hb, x0, sin),
                                               arith::MulFOp::create(hb, x1, cos));
              memref::StoreOp::create(hb, y0, y, ValueRange{t, h, i0});
              memref::StoreOp::create(hb, y1, y, ValueRange{t, h, i1});
            });
          });
          // Dimensions past the rotary part pass through.
          if (rotary < headDim)
            forRange(pb, 0, heads, [&](ImplicitLocOpBuilder &hb, Value h) {
              forRange(hb, rotary, headDim, [&](ImplicitLocOpBuilder &db, Value d) {
                Value v = memref::LoadOp::create(db, x, ValueRange{t, h, d});
                memref::StoreOp::create(db, v, y, ValueRange{t, h, d});
              });
            });
        });
      });
}

func::FuncOp lmc::cpu::getRopeAnglesKernel(OpBuilder &builder, ModuleOp module,
                                           RopeConfigAttr config) {
  MLIRContext *ctx = module.getContext();
  int64_t half = config.getDim() / 2;
  SmallVector<Type> args{
      MemRefType::get({ShapedType::kDynamic, half}, Float32Type::get(ctx)),
      IndexType::get(ctx)};
  return getOrCreateKernel(
      builder, module, "lmc_rope_angles_" + attrKey(config), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value out = a[0], start = a[1];
        Value freqs = getConstantTable(b, module, "lmc_rope_freqs",
                                       config.getFrequencies());
        Value tokens = memref::DimOp::create(b, out, 0);
        buildForLoop(b, constIndex(b, 0), tokens, constIndex(b, 1), ValueRange{},
                     [&](ImplicitLocOpBuilder &lb, Value t, ValueRange) {
                       Value pos = positionOf(lb, start, t);
                       forRange(lb, 0, half, [&](ImplicitLocOpBuilder &ib, Value i) {
                         Value freq = memref::LoadOp::create(ib, freqs, ValueRange{i});
                         memref::StoreOp::create(ib, arith::MulFOp::create(ib, pos, freq),
                                                 out, ValueRange{t, i});
                       });
                       return SmallVector<Value>{};
                     });
      });
}
