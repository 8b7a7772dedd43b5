//===- ExpertLowerings.cpp - mixture-of-experts ops -> CPU kernels ---------===//
//
// tfm.top_k, tfm.expert_matmul and the elementwise clamp/clamped SwiGLU, and
// the fused tfm.moe: router product, one routing kernel, the chosen experts'
// gate and up products (biases folded in), the activation, the down product
// and the weighted combination.
//
//===----------------------------------------------------------------------===//
#include "passes/cpu/KernelBuilder.h"
#include "passes/cpu/Kernels.h"
#include "passes/cpu/LoweringUtils.h"
#include "passes/cpu/Lowerings.h"

#include "dialects/tfm/TfmOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace lmc::cpu;
using namespace lmc::tfm;

namespace {

constexpr int64_t kDynamic = ShapedType::kDynamic;

WeightType weightTypeOf(Value v) { return v ? cast<WeightType>(v.getType()) : WeightType(); }

MemRefType rowsOf(OpBuilder &b, int64_t dim, Type element = {}) {
  return MemRefType::get({kDynamic, dim}, element ? element : b.getF32Type());
}

struct ClampOpLowering : OpConversionPattern<ClampOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ClampOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    std::optional<APFloat> lo = op.getMin(), hi = op.getMax();
    Value out = buildElementwise(
        rewriter, op.getLoc(), memrefTypeOf(op.getResult()), ValueRange{adaptor.getInput()},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value x = a[0];
          if (lo)
            x = arith::MaximumFOp::create(
                b, l, x, arith::ConstantOp::create(b, l, b.getF32FloatAttr(lo->convertToFloat())));
          if (hi)
            x = arith::MinimumFOp::create(
                b, l, x, arith::ConstantOp::create(b, l, b.getF32FloatAttr(hi->convertToFloat())));
          return x;
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct MaskedFillOpLowering : OpConversionPattern<MaskedFillOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MaskedFillOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    float fill = op.getValue().convertToFloat();
    Value out = buildElementwise(
        rewriter, op.getLoc(), memrefTypeOf(op.getResult()),
        ValueRange{adaptor.getInput(), adaptor.getMask()},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value zero = arith::ConstantOp::create(b, l, b.getF32FloatAttr(0.0f));
          Value keep = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, a[1], zero);
          return arith::SelectOp::create(
              b, l, keep, a[0], arith::ConstantOp::create(b, l, b.getF32FloatAttr(fill)));
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct OneHotOpLowering : OpConversionPattern<OneHotOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(OneHotOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value ids = reshapeBuffer(rewriter, loc, adaptor.getIndices(), {kDynamic});
    int64_t classes = op.getClasses();
    Value out = allocBuffer(rewriter, loc, rowsOf(rewriter, classes), dimOf(rewriter, loc, ids, 0));
    MLIRContext *ctx = getContext();
    SmallVector<AffineMap> maps{AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx),
                                AffineMap::getMultiDimIdentityMap(2, ctx)};
    linalg::GenericOp::create(
        rewriter, loc, ValueRange{ids}, ValueRange{out}, maps, parallelIterators(2),
        [](OpBuilder &b, Location l, ValueRange a) {
          Value c = arith::IndexCastOp::create(b, l, b.getI32Type(),
                                               linalg::IndexOp::create(b, l, 1));
          Value hit = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, a[0], c);
          linalg::YieldOp::create(b, l, ValueRange{arith::UIToFPOp::create(b, l, b.getF32Type(), hit)});
        });
    rewriter.replaceOp(op, reshapeBuffer(rewriter, loc, out, memrefTypeOf(op.getResult()).getShape()));
    return success();
  }
};

struct TakeAlongOpLowering : OpConversionPattern<TakeAlongOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TakeAlongOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = asRows(rewriter, loc, adaptor.getInput());
    Value ids = asRows(rewriter, loc, adaptor.getIndices());
    int64_t k = memrefTypeOf(op.getResult()).getShape().back();
    Value out = allocBuffer(rewriter, loc, rowsOf(rewriter, k), dimOf(rewriter, loc, ids, 0));
    MLIRContext *ctx = getContext();
    linalg::GenericOp::create(
        rewriter, loc, ValueRange{ids}, ValueRange{out},
        SmallVector<AffineMap>(2, AffineMap::getMultiDimIdentityMap(2, ctx)),
        parallelIterators(2), [&](OpBuilder &b, Location l, ValueRange a) {
          Value row = linalg::IndexOp::create(b, l, 0);
          Value column = arith::IndexCastOp::create(b, l, b.getIndexType(), a[0]);
          linalg::YieldOp::create(b, l, ValueRange{memref::LoadOp::create(b, l, x,
                                                                         ValueRange{row, column})});
        });
    rewriter.replaceOp(op, reshapeBuffer(rewriter, loc, out, memrefTypeOf(op.getResult()).getShape()));
    return success();
  }
};

struct TopKOpLowering : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = asRows(rewriter, loc, adaptor.getInput());
    Value rows = dimOf(rewriter, loc, x, 0);
    int64_t k = op.getK();
    Value values = allocBuffer(rewriter, loc, rowsOf(rewriter, k), rows);
    Value indices = allocBuffer(rewriter, loc, rowsOf(rewriter, k, rewriter.getI32Type()), rows);
    auto kernel = getTopKKernel(rewriter, op->getParentOfType<ModuleOp>(),
                                cast<MemRefType>(x.getType()).getShape()[1], k);
    func::CallOp::create(rewriter, loc, kernel, ValueRange{x, values, indices});
    rewriter.replaceOp(op, {reshapeBuffer(rewriter, loc, values,
                                          memrefTypeOf(op.getValues()).getShape()),
                            reshapeBuffer(rewriter, loc, indices,
                                          memrefTypeOf(op.getIndices()).getShape())});
    return success();
  }
};

/// y[t*S + s, :] = expert ids[t, s] times the input row of (t, s), written
/// into a new [T*S, N] buffer; `weight` is the original tfm.weight value.
FailureOr<Value> emitExpertMatmul(OpBuilder &b, Location loc, Operation *user, Value input,
                                  bool sharedInput, Value weight, Value weightBytes,
                                  Value flatIds, int64_t slots, Value bias, Value biasBytes,
                                  ProductModes modes) {
  FailureOr<WeightAccess> access = getWeightAccess(user, weight);
  if (failed(access))
    return failure();
  Value pairs = dimOf(b, loc, flatIds, 0);
  Value y = allocBuffer(b, loc, rowsOf(b, access->type().getShape()[1]), pairs);
  auto kernel = getExpertMatmulKernel(b, user->getParentOfType<ModuleOp>(), *access, slots,
                                      sharedInput, weightTypeOf(bias), modes);
  SmallVector<Value> args{input, flatIds, y};
  if (biasBytes)
    args.push_back(biasBytes);
  if (failed(callWithWeight(b, loc, user, kernel, args, weight, weightBytes)))
    return failure();
  return y;
}

struct ExpertMatmulOpLowering : OpConversionPattern<ExpertMatmulOp> {
  ExpertMatmulOpLowering(const TypeConverter &converter, MLIRContext *ctx, ProductModes modes)
      : OpConversionPattern(converter, ctx), modes(modes) {}
  ProductModes modes;
  LogicalResult matchAndRewrite(ExpertMatmulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t slots = memrefTypeOf(op.getExperts()).getShape()[1];
    bool shared = memrefTypeOf(op.getInput()).getRank() == 2;
    Value ids = reshapeBuffer(rewriter, loc, adaptor.getExperts(), {kDynamic});
    FailureOr<Value> y = emitExpertMatmul(rewriter, loc, op,
                                          asRows(rewriter, loc, adaptor.getInput()), shared,
                                          op.getWeight(), adaptor.getWeight(), ids, slots,
                                          Value(), Value(), modes);
    if (failed(y))
      return failure();
    rewriter.replaceOp(op,
                       reshapeBuffer(rewriter, loc, *y, memrefTypeOf(op.getResult()).getShape()));
    return success();
  }
};

struct ClampedSwiGLUOpLowering : OpConversionPattern<ClampedSwiGLUOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ClampedSwiGLUOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MemRefType type = memrefTypeOf(op.getResult());
    Value gate = asRows(rewriter, loc, adaptor.getGate());
    Value up = asRows(rewriter, loc, adaptor.getUp());
    Value y = allocBuffer(rewriter, loc, cast<MemRefType>(gate.getType()),
                          dimOf(rewriter, loc, gate, 0));
    auto kernel = getClampedSwiGLUKernel(rewriter, op->getParentOfType<ModuleOp>(),
                                         type.getShape().back(),
                                         op.getAlpha().convertToFloat(),
                                         op.getLimit().convertToFloat());
    func::CallOp::create(rewriter, loc, kernel, ValueRange{gate, up, y});
    rewriter.replaceOp(op, reshapeBuffer(rewriter, loc, y, type.getShape()));
    return success();
  }
};

struct MoeOpLowering : OpConversionPattern<MoeOp> {
  MoeOpLowering(const TypeConverter &converter, MLIRContext *ctx, ProductModes modes)
      : OpConversionPattern(converter, ctx), modes(modes) {}
  ProductModes modes;
  LogicalResult matchAndRewrite(MoeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ModuleOp module = op->getParentOfType<ModuleOp>();
    // The kernels read biases as one f32 block; the fusion pass only fuses
    // those.
    for (Value bias : {op.getRouterBias(), op.getSelectionBias(), op.getGateBias(),
                       op.getUpBias(), op.getDownBias()}) {
      if (!bias)
        continue;
      FailureOr<WeightAccess> access = getWeightAccess(op, bias);
      if (failed(access))
        return failure();
      if (access->type().getStorage() != StorageType::f32 || !access->isContiguous())
        return op.emitOpError("biases must be stored as one block of f32");
    }
    FailureOr<WeightAccess> routerAccess = getWeightAccess(op, op.getRouter());
    if (failed(routerAccess))
      return failure();
    WeightType router = weightTypeOf(op.getRouter()), gate = weightTypeOf(op.getGate());
    int64_t experts = router.getShape()[0], k = op.getTopK();
    int64_t ffn = gate.getShape()[1], hidden = router.getShape()[1];

    Value x = adaptor.getInput();
    Value tokens = dimOf(rewriter, loc, x, 0);
    Value logits = allocBuffer(rewriter, loc, rowsOf(rewriter, experts), tokens);
    if (failed(callWithWeight(rewriter, loc, op,
                              getMatmulKernel(rewriter, module, *routerAccess),
                              {x, logits}, op.getRouter(), adaptor.getRouter())))
      return failure();

    Value ids = allocBuffer(rewriter, loc, rowsOf(rewriter, k, rewriter.getI32Type()), tokens);
    Value weights = allocBuffer(rewriter, loc, rowsOf(rewriter, k), tokens);
    SmallVector<Value> routingArgs{logits};
    if (op.getRouterBias())
      routingArgs.push_back(adaptor.getRouterBias());
    if (op.getSelectionBias())
      routingArgs.push_back(adaptor.getSelectionBias());
    routingArgs.append({ids, weights});
    func::CallOp::create(rewriter, loc, getMoeRoutingKernel(rewriter, module, op), routingArgs);

    Value flatIds = reshapeBuffer(rewriter, loc, ids, {kDynamic});
    auto product = [&](Value input, bool shared, Value w, Value wBytes, Value bias,
                       Value biasBytes) {
      return emitExpertMatmul(rewriter, loc, op, input, shared, w, wBytes, flatIds, k, bias,
                              biasBytes, modes);
    };
    FailureOr<Value> gOr = product(x, true, op.getGate(), adaptor.getGate(), op.getGateBias(),
                                   adaptor.getGateBias());
    FailureOr<Value> uOr = product(x, true, op.getUp(), adaptor.getUp(), op.getUpBias(),
                                   adaptor.getUpBias());
    if (failed(gOr) || failed(uOr))
      return failure();
    Value g = *gOr, u = *uOr;
    Value act = allocBuffer(rewriter, loc, rowsOf(rewriter, ffn), dimOf(rewriter, loc, g, 0));
    func::FuncOp activation =
        op.getActivation() == GatedActivation::swiglu
            ? getSwiGLUKernel(rewriter, module, ffn)
            : getClampedSwiGLUKernel(rewriter, module, ffn, op.getAlpha().convertToFloat(),
                                     op.getLimit().convertToFloat());
    func::CallOp::create(rewriter, loc, activation, ValueRange{g, u, act});
    FailureOr<Value> dOr =
        product(act, false, op.getDown(), adaptor.getDown(), op.getDownBias(), adaptor.getDownBias());
    if (failed(dOr))
      return failure();
    Value d = *dOr;

    Value out = allocBuffer(rewriter, loc, rowsOf(rewriter, hidden), tokens);
    func::CallOp::create(rewriter, loc, getExpertCombineKernel(rewriter, module, k, hidden),
                         ValueRange{d, weights, out});
    rewriter.replaceOp(op, out);
    return success();
  }
};
} // namespace

void lmc::cpu::populateExpertLoweringPatterns(const TypeConverter &converter,
                                              RewritePatternSet &patterns, ProductModes modes) {
  patterns.add<ClampOpLowering, TopKOpLowering, ClampedSwiGLUOpLowering, MaskedFillOpLowering,
               OneHotOpLowering, TakeAlongOpLowering>(converter, patterns.getContext());
  patterns.add<ExpertMatmulOpLowering, MoeOpLowering>(converter, patterns.getContext(), modes);
}
