//===- MLALowerings.cpp - multi-head latent attention ops -> CPU kernels ---===//
#include "passes/cpu/KernelBuilder.h"
#include "passes/cpu/Kernels.h"
#include "passes/cpu/LoweringUtils.h"
#include "passes/cpu/Lowerings.h"

#include "dialects/tfm/TfmOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace lmc::cpu;
using namespace lmc::tfm;

namespace {

struct HeadMatmulOpLowering : OpConversionPattern<HeadMatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(HeadMatmulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<WeightAccess> access = getWeightAccess(op, op.getWeight());
    if (failed(access))
      return failure();
    Location loc = op.getLoc();
    MemRefType type = memrefTypeOf(op.getResult());
    Value x = asRows(rewriter, loc, adaptor.getInput());
    Value y = allocBuffer(rewriter, loc,
                          MemRefType::get({ShapedType::kDynamic, type.getShape()[2]},
                                          rewriter.getF32Type()),
                          dimOf(rewriter, loc, x, 0));
    auto kernel = getHeadMatmulKernel(rewriter, op->getParentOfType<ModuleOp>(), *access);
    if (failed(callWithWeight(rewriter, loc, op, kernel, {x, y}, op.getWeight(),
                              adaptor.getWeight())))
      return failure();
    rewriter.replaceOp(op, reshapeBuffer(rewriter, loc, y, type.getShape()));
    return success();
  }
};

struct LatentAttentionOpLowering : OpConversionPattern<LatentAttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(LatentAttentionOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value q = adaptor.getQuery();
    Value out = allocFor(rewriter, loc, op.getResult(), dimOf(rewriter, loc, q, 0));
    auto kernel = getLatentAttentionKernel(
        rewriter, op->getParentOfType<ModuleOp>(), memrefTypeOf(op.getQuery()).getShape()[1],
        cast<KVCacheType>(op.getCache().getType()), op.getValueDim());
    Value layer = arith::ConstantIndexOp::create(rewriter, loc, op.getLayer());
    Value scale = arith::ConstantOp::create(rewriter, loc, op.getScaleAttr());
    func::CallOp::create(rewriter, loc, kernel,
                         ValueRange{q, adaptor.getCache(), out, layer, adaptor.getStart(), scale});
    rewriter.replaceOp(op, out);
    return success();
  }
};
} // namespace

void lmc::cpu::populateMLALoweringPatterns(const TypeConverter &converter,
                                           RewritePatternSet &patterns) {
  patterns.add<HeadMatmulOpLowering, LatentAttentionOpLowering>(converter,
                                                                patterns.getContext());
}
