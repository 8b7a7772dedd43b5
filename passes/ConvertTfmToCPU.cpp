//===- ConvertTfmToCPU.cpp - tfm -> memrefs, loops and kernel calls -------===//
//
// Tensors become memrefs (every tfm result gets a fresh buffer; deallocation
// is left to the buffer-deallocation pipeline), KV caches become one
// [layers, streams, heads, ?, dim] buffer, and weights become byte views of
// the mapped weights file, which every function using weights receives as a
// new leading `memref<?xi8>` argument.
//
// Fused ops and the ops that read weights or the cache call the kernels of
// passes/cpu/. The remaining primitive ops are lowered inline to linalg and
// memref copies: that is the simple reference path `--no-fuse` builds.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/cpu/KernelBuilder.h"
#include "passes/cpu/Kernels.h"
#include "passes/cpu/Lowerings.h"
#include "passes/cpu/LoweringUtils.h"

#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

namespace lmc {
#define GEN_PASS_DEF_CONVERTTFMTOCPU
#include "passes/Passes.h.inc"
} // namespace lmc

using namespace mlir;
using namespace lmc;
using namespace lmc::cpu;
using namespace lmc::tfm;

namespace {

//===----------------------------------------------------------------------===//
// Type conversion
//===----------------------------------------------------------------------===//

struct CPUTypeConverter : TypeConverter {
  CPUTypeConverter() {
    addConversion([](Type t) { return t; });
    addConversion([](RankedTensorType t) -> Type {
      return MemRefType::get(t.getShape(), t.getElementType());
    });
    addConversion([](KVCacheType t) -> Type { return getCacheMemRefType(t); });
    addConversion([](WeightType t) -> Type { return weightBytesType(t.getContext()); });
  }
};

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

struct WeightOpLowering : OpConversionPattern<WeightOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(WeightOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    WeightDeclOp decl = lookupWeightDecl(op.getResult());
    if (!decl)
      return op.emitOpError("weight '") << op.getName() << "' is not declared";
    FailureOr<Value> bytes = viewWeightBytes(rewriter, op.getLoc(), op, decl);
    if (failed(bytes))
      return failure();
    rewriter.replaceOp(op, *bytes);
    return success();
  }
};

struct DequantizeOpLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FailureOr<WeightAccess> accessOr = getWeightAccess(op, op.getWeight());
    if (failed(accessOr))
      return failure();
    const WeightAccess &access = *accessOr;
    Location loc = op.getLoc();
    MemRefType resultType = memrefTypeOf(op.getResult());
    // Contiguous f32 weights are used in place.
    if (access.type().getStorage() == StorageType::f32 && access.isContiguous()) {
      Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
      rewriter.replaceOpWithNewOp<memref::ViewOp>(op, resultType,
                                                  adaptor.getWeight(), zero,
                                                  ValueRange{});
      return success();
    }
    Value out = allocBuffer(rewriter, loc, resultType, {});
    int64_t cols = access.type().getShape().back();
    Value rows = reshapeBuffer(rewriter, loc, out,
                               {access.type().getNumElements() / cols, cols});
    auto kernel = getDequantizeKernel(rewriter, op->getParentOfType<ModuleOp>(), access);
    if (failed(callWithWeight(rewriter, loc, op, kernel, {rows}, op.getWeight(),
                              adaptor.getWeight())))
      return failure();
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct EmbeddingOpLowering : OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FailureOr<WeightAccess> access = getWeightAccess(op, op.getTable());
    if (failed(access))
      return failure();
    Location loc = op.getLoc();
    Value ids = adaptor.getIds();
    Value out = allocFor(rewriter, loc, op.getResult(), dimOf(rewriter, loc, ids, 0));
    auto kernel = getEmbeddingKernel(rewriter, op->getParentOfType<ModuleOp>(), *access);
    // Ids of any rank gather rows one after another.
    Value flatIds = reshapeBuffer(rewriter, loc, ids, {ShapedType::kDynamic});
    if (failed(callWithWeight(rewriter, loc, op, kernel,
                              {flatIds, asRows(rewriter, loc, out)}, op.getTable(),
                              adaptor.getTable())))
      return failure();
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct MatmulOpLowering : OpConversionPattern<MatmulOp> {
  MatmulOpLowering(const TypeConverter &converter, MLIRContext *ctx, ProductModes modes)
      : OpConversionPattern(converter, ctx), modes(modes) {}
  ProductModes modes;
  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    FailureOr<WeightAccess> access = getWeightAccess(op, op.getWeight());
    if (failed(access))
      return failure();
    MemRefType resultType = memrefTypeOf(op.getResult());
    Value x = asRows(rewriter, loc, adaptor.getInput());
    Value rows = dimOf(rewriter, loc, x, 0);
    Value y = allocBuffer(rewriter, loc,
                          MemRefType::get({ShapedType::kDynamic, access->type().getShape()[0]},
                                          rewriter.getF32Type()),
                          rows);
    auto kernel = getMatmulKernel(rewriter, op->getParentOfType<ModuleOp>(), *access, modes);
    if (failed(callWithWeight(rewriter, loc, op, kernel, {x, y}, op.getWeight(),
                              adaptor.getWeight())))
      return failure();
    rewriter.replaceOp(op, reshapeBuffer(rewriter, loc, y, resultType.getShape()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Fused ops
//===----------------------------------------------------------------------===//

struct RMSNormOpLowering : OpConversionPattern<RMSNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RMSNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MemRefType type = memrefTypeOf(op.getResult());
    Value x = asRows(rewriter, loc, adaptor.getInput());
    Value y = allocBuffer(rewriter, loc, cast<MemRefType>(x.getType()),
                          dimOf(rewriter, loc, x, 0));
    Value eps = arith::ConstantOp::create(rewriter, loc, op.getEpsilonAttr());
    auto kernel = getRMSNormKernel(rewriter, op->getParentOfType<ModuleOp>(),
                                   type.getShape().back());
    func::CallOp::create(rewriter, loc, kernel, ValueRange{x, adaptor.getGain(), y, eps});
    rewriter.replaceOp(op, reshapeBuffer(rewriter, loc, y, type.getShape()));
    return success();
  }
};

struct SwiGLUOpLowering : OpConversionPattern<SwiGLUOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SwiGLUOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MemRefType type = memrefTypeOf(op.getResult());
    Value gate = asRows(rewriter, loc, adaptor.getGate());
    Value up = asRows(rewriter, loc, adaptor.getUp());
    Value y = allocBuffer(rewriter, loc, cast<MemRefType>(gate.getType()),
                          dimOf(rewriter, loc, gate, 0));
    auto kernel = getSwiGLUKernel(rewriter, op->getParentOfType<ModuleOp>(),
                                  type.getShape().back());
    func::CallOp::create(rewriter, loc, kernel, ValueRange{gate, up, y});
    rewriter.replaceOp(op, reshapeBuffer(rewriter, loc, y, type.getShape()));
    return success();
  }
};

struct RopeOpLowering : OpConversionPattern<RopeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RopeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ArrayRef<int64_t> shape = memrefTypeOf(op.getResult()).getShape();
    Value x = adaptor.getInput();
    Value y = allocFor(rewriter, loc, op.getResult(), dimOf(rewriter, loc, x, 0));
    auto kernel = getRopeKernel(rewriter, op->getParentOfType<ModuleOp>(), shape[1],
                                shape[2], op.getConfig(), op.getStyle(),
                                op.getMscale().convertToFloat());
    func::CallOp::create(rewriter, loc, kernel, ValueRange{x, y, adaptor.getStart()});
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct AttentionOpLowering : OpConversionPattern<AttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value q = adaptor.getQuery();
    Value out = allocFor(rewriter, loc, op.getResult(), dimOf(rewriter, loc, q, 0));
    auto cache = cast<KVCacheType>(op.getCache().getType());
    auto kernel = getAttentionKernel(rewriter, op->getParentOfType<ModuleOp>(),
                                     getShape(op.getQuery())[1], cache,
                                     /*withSinks=*/bool(op.getSinks()));
    Value layer = arith::ConstantIndexOp::create(rewriter, loc, op.getLayer());
    Value window = arith::ConstantIndexOp::create(rewriter, loc, op.getWindow());
    Value scale = arith::ConstantOp::create(rewriter, loc, op.getScaleAttr());
    SmallVector<Value> args{q, adaptor.getCache(), out, layer, adaptor.getStart(),
                            window, scale};
    if (op.getSinks())
      args.push_back(adaptor.getSinks());
    func::CallOp::create(rewriter, loc, kernel, args);
    rewriter.replaceOp(op, out);
    return success();
  }

  static ArrayRef<int64_t> getShape(Value v) {
    return cast<RankedTensorType>(v.getType()).getShape();
  }
};

//===----------------------------------------------------------------------===//
// KV cache and positions
//===----------------------------------------------------------------------===//

struct CacheWriteOpLowering : OpConversionPattern<CacheWriteOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CacheWriteOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto kernel = getCacheWriteKernel(rewriter, op->getParentOfType<ModuleOp>(),
                                      cast<KVCacheType>(op.getCache().getType()));
    Value layer = arith::ConstantIndexOp::create(rewriter, loc, op.getLayer());
    Value stream = arith::ConstantIndexOp::create(rewriter, loc, op.getStream());
    func::CallOp::create(rewriter, loc, kernel,
                         ValueRange{adaptor.getValues(), adaptor.getCache(), layer,
                                    stream, adaptor.getStart()});
    // The cache is updated in place.
    rewriter.replaceOp(op, adaptor.getCache());
    return success();
  }
};

struct CacheReadOpLowering : OpConversionPattern<CacheReadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CacheReadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value out = allocFor(rewriter, loc, op.getResult(), adaptor.getCount());
    auto kernel = getCacheReadKernel(rewriter, op->getParentOfType<ModuleOp>(),
                                     cast<KVCacheType>(op.getCache().getType()));
    Value layer = arith::ConstantIndexOp::create(rewriter, loc, op.getLayer());
    Value stream = arith::ConstantIndexOp::create(rewriter, loc, op.getStream());
    func::CallOp::create(rewriter, loc, kernel,
                         ValueRange{adaptor.getCache(), out, layer, stream});
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct RopeAnglesOpLowering : OpConversionPattern<RopeAnglesOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RopeAnglesOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value out = allocFor(rewriter, loc, op.getResult(), adaptor.getCount());
    auto kernel = getRopeAnglesKernel(rewriter, op->getParentOfType<ModuleOp>(),
                                      op.getConfig());
    func::CallOp::create(rewriter, loc, kernel, ValueRange{out, adaptor.getStart()});
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct DimOpLowering : OpConversionPattern<tensor::DimOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tensor::DimOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<memref::DimOp>(op, adaptor.getSource(),
                                               adaptor.getIndex());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Primitive elementwise and shape ops: the reference path, lowered to linalg
//===----------------------------------------------------------------------===//

struct ConstantOpLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = MemRefType::get({}, rewriter.getF32Type());
    Value buffer = memref::AllocaOp::create(rewriter, loc, type);
    Value value = arith::ConstantOp::create(rewriter, loc, op.getValueAttr());
    memref::StoreOp::create(rewriter, loc, value, buffer, ValueRange{});
    rewriter.replaceOp(op, buffer);
    return success();
  }
};

template <typename TfmOp, typename ArithOp>
struct BinaryOpLowering : OpConversionPattern<TfmOp> {
  using OpConversionPattern<TfmOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TfmOp op, typename TfmOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value out = buildElementwise(
        rewriter, op.getLoc(), memrefTypeOf(op.getResult()),
        ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
          return ArithOp::create(b, loc, a[0], a[1]);
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

Value one(OpBuilder &b, Location loc) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0f));
}

template <typename TfmOp>
struct UnaryOpLowering : OpConversionPattern<TfmOp> {
  using OpConversionPattern<TfmOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TfmOp op, typename TfmOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value out = buildElementwise(rewriter, op.getLoc(), memrefTypeOf(op.getResult()),
                                 ValueRange{adaptor.getInput()},
                                 [](OpBuilder &b, Location loc, ValueRange a) {
                                   return scalar(b, loc, a[0]);
                                 });
    rewriter.replaceOp(op, out);
    return success();
  }

  static Value scalar(OpBuilder &b, Location loc, Value x) {
    if constexpr (std::is_same_v<TfmOp, NegOp>)
      return arith::NegFOp::create(b, loc, x);
    if constexpr (std::is_same_v<TfmOp, ExpOp>)
      return math::ExpOp::create(b, loc, x);
    if constexpr (std::is_same_v<TfmOp, CosOp>)
      return math::CosOp::create(b, loc, x);
    if constexpr (std::is_same_v<TfmOp, SinOp>)
      return math::SinOp::create(b, loc, x);
    if constexpr (std::is_same_v<TfmOp, RsqrtOp>)
      return arith::DivFOp::create(b, loc, one(b, loc), math::SqrtOp::create(b, loc, x));
    if constexpr (std::is_same_v<TfmOp, SigmoidOp>)
      return arith::DivFOp::create(
          b, loc, one(b, loc),
          arith::AddFOp::create(b, loc, one(b, loc),
                                math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x))));
    llvm_unreachable("unhandled unary op");
  }
};

/// Converts an extent to f32.
Value extentAsF32(OpBuilder &b, Location loc, Value buffer, int64_t axis) {
  Value n = extentValue(b, loc, buffer, axis);
  Value n64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), n);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), n64);
}

template <typename TfmOp>
struct ReduceOpLowering : OpConversionPattern<TfmOp> {
  using OpConversionPattern<TfmOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TfmOp op, typename TfmOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t axis = op.getAxis();
    Value out;
    if constexpr (std::is_same_v<TfmOp, ReduceMaxOp>) {
      out = buildReduction(rewriter, loc, input, axis,
                           -std::numeric_limits<float>::infinity(), maxF);
    } else {
      out = buildReduction(rewriter, loc, input, axis, 0.0f, addF);
      if constexpr (std::is_same_v<TfmOp, ReduceMeanOp>) {
        Value count = extentAsF32(rewriter, loc, input, axis);
        out = buildElementwise(rewriter, loc, memrefTypeOf(op.getResult()), ValueRange{out},
                               [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                 return arith::DivFOp::create(b, l, a[0], count);
                               });
      }
    }
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct SoftmaxOpLowering : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput(), sinks = adaptor.getSinks();
    int64_t axis = op.getAxis();
    MemRefType type = memrefTypeOf(op.getResult());
    Value max = buildReduction(rewriter, loc, x, axis,
                               -std::numeric_limits<float>::infinity(), maxF);
    // A sink is one more logit of its row: in the maximum and the sum.
    if (sinks)
      max = buildElementwise(rewriter, loc, cast<MemRefType>(max.getType()),
                             ValueRange{max, sinks}, maxF);
    auto expOfDifference = [](OpBuilder &b, Location l, ValueRange a) -> Value {
      return math::ExpOp::create(b, l, arith::SubFOp::create(b, l, a[0], a[1]));
    };
    Value exps = buildElementwise(rewriter, loc, type, ValueRange{x, max}, expOfDifference);
    Value sum = buildReduction(rewriter, loc, exps, axis, 0.0f, addF);
    if (sinks)
      sum = buildElementwise(rewriter, loc, cast<MemRefType>(sum.getType()),
                             ValueRange{sum, sinks, max},
                             [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                               return arith::AddFOp::create(
                                   b, l, a[0], expOfDifference(b, l, a.drop_front()));
                             });
    Value out = buildElementwise(rewriter, loc, type, ValueRange{exps, sum},
                                 [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                   return arith::DivFOp::create(b, l, a[0], a[1]);
                                 });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct CausalMaskOpLowering : OpConversionPattern<CausalMaskOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CausalMaskOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value start = adaptor.getStart();
    int64_t rank = getShape(op.getScores()).size();
    int64_t window = op.getWindow();
    Value out = buildElementwise(
        rewriter, loc, memrefTypeOf(op.getResult()), ValueRange{adaptor.getScores()},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value s = linalg::IndexOp::create(b, l, rank - 2);
          Value t = linalg::IndexOp::create(b, l, rank - 1);
          Value queryPos = arith::AddIOp::create(b, l, start, s);
          Value visible =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::ule, t, queryPos);
          if (window > 0) {
            Value distance = arith::SubIOp::create(b, l, queryPos, t);
            Value inWindow = arith::CmpIOp::create(
                b, l, arith::CmpIPredicate::ult, distance,
                arith::ConstantIndexOp::create(b, l, window));
            visible = arith::AndIOp::create(b, l, visible, inWindow);
          }
          Value minusInf = arith::ConstantOp::create(
              b, l, b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
          return arith::SelectOp::create(b, l, visible, a[0], minusInf);
        });
    rewriter.replaceOp(op, out);
    return success();
  }

  static ArrayRef<int64_t> getShape(Value v) {
    return cast<RankedTensorType>(v.getType()).getShape();
  }
};

struct BatchMatmulOpLowering : OpConversionPattern<BatchMatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BatchMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    bool transposed = op.getTransposeRhs();
    MemRefType type = memrefTypeOf(op.getResult());
    SmallVector<Value> sizes;
    std::pair<Value, int64_t> sources[] = {{lhs, 0}, {lhs, 1}, {rhs, transposed ? 1 : 2}};
    for (int64_t i = 0; i < 3; ++i)
      if (type.isDynamicDim(i))
        sizes.push_back(dimOf(rewriter, loc, sources[i].first, sources[i].second));
    Value out = allocBuffer(rewriter, loc, type, sizes);
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0.0f));
    linalg::FillOp::create(rewriter, loc, ValueRange{zero}, ValueRange{out});
    MLIRContext *ctx = getContext();
    AffineExpr bI, m, n, k;
    bindDims(ctx, bI, m, n, k);
    SmallVector<AffineMap> maps{
        AffineMap::get(4, 0, {bI, m, k}, ctx),
        AffineMap::get(4, 0, transposed ? ArrayRef<AffineExpr>{bI, n, k}
                                        : ArrayRef<AffineExpr>{bI, k, n},
                       ctx),
        AffineMap::get(4, 0, {bI, m, n}, ctx)};
    SmallVector<utils::IteratorType> iterators = parallelIterators(3);
    iterators.push_back(utils::IteratorType::reduction);
    linalg::GenericOp::create(
        rewriter, loc, ValueRange{lhs, rhs}, ValueRange{out}, maps, iterators,
        [](OpBuilder &b, Location l, ValueRange a) {
          Value product = arith::MulFOp::create(b, l, a[0], a[1]);
          linalg::YieldOp::create(b, l, ValueRange{arith::AddFOp::create(b, l, a[2], product)});
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct ReshapeOpLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, reshapeBuffer(rewriter, op.getLoc(), adaptor.getInput(),
                                         memrefTypeOf(op.getResult()).getShape()));
    return success();
  }
};

struct TransposeOpLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value in = adaptor.getInput();
    MemRefType type = memrefTypeOf(op.getResult());
    SmallVector<Value> sizes;
    for (auto [i, p] : llvm::enumerate(op.getPermutation()))
      if (type.isDynamicDim(i))
        sizes.push_back(dimOf(rewriter, loc, in, p));
    Value out = allocBuffer(rewriter, loc, type, sizes);
    linalg::TransposeOp::create(rewriter, loc, in, out, op.getPermutation());
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// Copies `source` into a fresh buffer of its shape.
Value copyToNewBuffer(OpBuilder &b, Location loc, Value source,
                      MemRefType type) {
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      sizes.push_back(dimOf(b, loc, source, i));
  Value out = allocBuffer(b, loc, type, sizes);
  linalg::CopyOp::create(b, loc, source, out);
  return out;
}

/// A view of `buffer` with extent `size` from `offset` along `axis`.
Value viewAlong(OpBuilder &b, Location loc, Value buffer, int64_t axis,
                OpFoldResult offset, OpFoldResult size) {
  auto type = cast<MemRefType>(buffer.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  for (int64_t i = 0; i < type.getRank(); ++i)
    sizes.push_back(extentOf(b, loc, buffer, i));
  offsets[axis] = offset;
  sizes[axis] = size;
  return memref::SubViewOp::create(b, loc, buffer, offsets, sizes, strides);
}

struct SliceOpLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value view = viewAlong(rewriter, loc, adaptor.getInput(), op.getAxis(),
                           rewriter.getIndexAttr(op.getStart()),
                           rewriter.getIndexAttr(op.getSize()));
    rewriter.replaceOp(op, copyToNewBuffer(rewriter, loc, view, memrefTypeOf(op.getResult())));
    return success();
  }
};

struct LastRowsOpLowering : OpConversionPattern<LastRowsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LastRowsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value in = adaptor.getInput();
    Value total = dimOf(rewriter, loc, in, 0);
    Value first = arith::SubIOp::create(rewriter, loc, total, adaptor.getCount());
    Value view = viewAlong(rewriter, loc, in, 0, first, adaptor.getCount());
    rewriter.replaceOp(op, copyToNewBuffer(rewriter, loc, view, memrefTypeOf(op.getResult())));
    return success();
  }
};

struct ConcatOpLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    Value out = allocElementwise(rewriter, loc, memrefTypeOf(op.getResult()), adaptor.getInputs());
    int64_t offset = 0;
    for (Value in : adaptor.getInputs()) {
      int64_t size = cast<MemRefType>(in.getType()).getDimSize(axis);
      Value view = viewAlong(rewriter, loc, out, axis, rewriter.getIndexAttr(offset),
                             rewriter.getIndexAttr(size));
      linalg::CopyOp::create(rewriter, loc, in, view);
      offset += size;
    }
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct RepeatInterleaveOpLowering : OpConversionPattern<RepeatInterleaveOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RepeatInterleaveOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value in = adaptor.getInput();
    Value out = allocElementwise(rewriter, loc, memrefTypeOf(op.getResult()), ValueRange{in});
    int64_t rank = cast<MemRefType>(in.getType()).getRank();
    MLIRContext *ctx = getContext();
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < rank; ++i) {
      AffineExpr d = getAffineDimExpr(i, ctx);
      exprs.push_back(i == op.getAxis() ? d.floorDiv(op.getRepeats()) : d);
    }
    SmallVector<AffineMap> maps{AffineMap::get(rank, 0, exprs, ctx),
                                AffineMap::getMultiDimIdentityMap(rank, ctx)};
    linalg::GenericOp::create(rewriter, loc, ValueRange{in}, ValueRange{out}, maps,
                              parallelIterators(rank),
                              [](OpBuilder &b, Location l, ValueRange a) {
                                linalg::YieldOp::create(b, l, a[0]);
                              });
    rewriter.replaceOp(op, out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct ConvertTfmToCPUPass
    : lmc::impl::ConvertTfmToCPUBase<ConvertTfmToCPUPass> {
  using ConvertTfmToCPUBase::ConvertTfmToCPUBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();

    // Functions that use weights receive the mapped weights file.
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal() || fn.walk([](WeightOp) { return WalkResult::interrupt(); })
                                 .wasInterrupted() == false)
        continue;
      auto bytes = MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
      if (failed(fn.insertArgument(0, bytes,
                                   DictionaryAttr::get(ctx, {NamedAttribute(
                                       kWeightsArgAttr, UnitAttr::get(ctx))}),
                                   fn.getLoc()))) {
        signalPassFailure();
        return;
      }
    }

    CPUTypeConverter typeConverter;
    ConversionTarget target(*ctx);
    target.addIllegalDialect<TfmDialect>();
    target.addLegalOp<WeightDeclOp>();
    target.addIllegalOp<tensor::DimOp>();
    target.addLegalDialect<amx::AMXDialect, arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, memref::MemRefDialect,
                           scf::SCFDialect, vector::VectorDialect,
                           lmc::cpu::CPUDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp fn) {
      return typeConverter.isSignatureLegal(fn.getFunctionType()) &&
             typeConverter.isLegal(&fn.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return typeConverter.isLegal(op); });

    RewritePatternSet patterns(ctx);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   typeConverter);
    populateReturnOpTypeConversionPattern(patterns, typeConverter);
    populateCallOpTypeConversionPattern(patterns, typeConverter);
    patterns.add<
        WeightOpLowering, DequantizeOpLowering, EmbeddingOpLowering,
        RMSNormOpLowering, SwiGLUOpLowering, RopeOpLowering,
        AttentionOpLowering, CacheWriteOpLowering, CacheReadOpLowering,
        RopeAnglesOpLowering, DimOpLowering, ConstantOpLowering,
        BinaryOpLowering<AddOp, arith::AddFOp>,
        BinaryOpLowering<SubOp, arith::SubFOp>,
        BinaryOpLowering<MulOp, arith::MulFOp>,
        BinaryOpLowering<DivOp, arith::DivFOp>, UnaryOpLowering<NegOp>,
        UnaryOpLowering<ExpOp>, UnaryOpLowering<RsqrtOp>,
        UnaryOpLowering<SigmoidOp>, UnaryOpLowering<CosOp>,
        UnaryOpLowering<SinOp>, ReduceOpLowering<ReduceSumOp>,
        ReduceOpLowering<ReduceMaxOp>, ReduceOpLowering<ReduceMeanOp>,
        SoftmaxOpLowering, CausalMaskOpLowering, BatchMatmulOpLowering,
        ReshapeOpLowering, TransposeOpLowering, SliceOpLowering,
        LastRowsOpLowering, ConcatOpLowering, RepeatInterleaveOpLowering>(
        typeConverter, ctx);
    ProductModes modes;
    modes.amx = amx        ? (amxInt8 ? AmxMode::int8 : AmxMode::exact)
                : vnniInt8 ? AmxMode::vnni8
                           : AmxMode::off;
    modes.int8Rows = int8Rows;
    patterns.add<MatmulOpLowering>(typeConverter, ctx, modes);
    populateExpertLoweringPatterns(typeConverter, patterns, modes);
    populateMLALoweringPatterns(typeConverter, patterns);
    if (failed(applyPartialConversion(module, target, std::move(patterns)))) {
      signalPassFailure();
      return;
    }
    // Weight declarations have been folded into byte offsets.
    for (auto decl : llvm::make_early_inc_range(module.getOps<WeightDeclOp>()))
      decl.erase();
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isExternal())
        resultsToOutParams(fn);
  }

  /// Public functions (the model's entry points) write their results into
  /// caller-provided buffers appended to the arguments, so the caller owns
  /// all memory it sees. (buffer-results-to-out-params cannot do this for
  /// dynamically shaped results.)
  static void resultsToOutParams(func::FuncOp fn) {
    FunctionType type = fn.getFunctionType();
    if (type.getNumResults() == 0)
      return;
    unsigned first = fn.getNumArguments();
    SmallVector<Type> inputs(type.getInputs());
    for (Type result : type.getResults()) {
      fn.front().addArgument(result, fn.getLoc());
      inputs.push_back(result);
    }
    fn.setType(FunctionType::get(fn.getContext(), inputs, {}));
    SmallVector<DictionaryAttr> argAttrs;
    fn.getAllArgAttrs(argAttrs);
    argAttrs.resize(inputs.size(), DictionaryAttr::get(fn.getContext()));
    argAttrs[first] = DictionaryAttr::get(
        fn.getContext(), {NamedAttribute(StringAttr::get(fn.getContext(), "tfm.name"),
                                         StringAttr::get(fn.getContext(), "result"))});
    fn.setAllArgAttrs(argAttrs);
    fn.setAllResultAttrs(ArrayRef<DictionaryAttr>{});
    fn.walk([&](func::ReturnOp ret) {
      OpBuilder b(ret);
      for (auto [i, value] : llvm::enumerate(ret.getOperands()))
        linalg::CopyOp::create(b, ret.getLoc(), value,
                               fn.getArgument(first + i));
      func::ReturnOp::create(b, ret.getLoc());
      ret.erase();
    });
  }
};
} // namespace
