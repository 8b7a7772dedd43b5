//===- GraphBuilder.cpp - emitting primitive tfm graphs -------------------===//
#include "frontends/model/GraphBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Traits.h"

#include <limits>

using namespace mlir;
using namespace lmc;
using namespace lmc::frontend;
using namespace lmc::tfm;

namespace {
constexpr int64_t kDyn = ShapedType::kDynamic;

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}
} // namespace

GraphBuilder::GraphBuilder(ModuleOp module, const ModelDescription &model)
    : module(module), model(model), b(module.getContext()),
      location(module.getLoc()) {
  b.setInsertionPointToEnd(module.getBody());
}

void GraphBuilder::fail(const std::string &message) {
  if (error.empty())
    error = message;
}

RankedTensorType GraphBuilder::tensor(ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, b.getF32Type());
}

ArrayRef<int64_t> GraphBuilder::shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

SmallVector<Value> GraphBuilder::beginForward(KVCacheType cache, int64_t vocab) {
  MLIRContext *ctx = b.getContext();
  Type tokens = RankedTensorType::get({kDyn}, b.getI32Type());
  Type index = b.getIndexType();
  auto type = b.getFunctionType({tokens, index, cache, index},
                                {tensor({kDyn, vocab})});
  auto fn = func::FuncOp::create(b, location, "forward", type);
  fn.setArgAttr(0, "tfm.name", StringAttr::get(ctx, "tokens"));
  fn.setArgAttr(1, "tfm.name", StringAttr::get(ctx, "start"));
  fn.setArgAttr(2, "tfm.name", StringAttr::get(ctx, "cache"));
  fn.setArgAttr(3, "tfm.name", StringAttr::get(ctx, "n_out"));
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  return SmallVector<Value>(entry->getArguments());
}

void GraphBuilder::endForward(Value logits) {
  func::ReturnOp::create(b, location, logits);
  b.setInsertionPointToEnd(module.getBody());
}

bool GraphBuilder::hasWeight(StringRef name) const {
  return model.weights.count(name) != 0;
}

Value GraphBuilder::weight(StringRef name, ArrayRef<int64_t> shape) {
  auto it = model.weights.find(name);
  MLIRContext *ctx = b.getContext();
  auto placeholder = WeightType::get(ctx, shape, StorageType::f32);
  if (it == model.weights.end()) {
    fail("missing tensor '" + name.str() + "'");
    return WeightOp::create(b, location, placeholder, name);
  }
  const WeightInfo &info = it->second;
  if (ArrayRef<int64_t>(info.shape) != shape) {
    fail("tensor '" + name.str() + "' has shape " + shapeString(info.shape) +
         ", expected " + shapeString(shape));
    return WeightOp::create(b, location, placeholder, name);
  }
  auto type = WeightType::getChecked(
      [&] { return emitError(location); }, ctx, shape, info.storage);
  if (!type) {
    fail("tensor '" + name.str() + "' cannot be stored as " +
         stringifyStorageType(info.storage).str() + " with shape " +
         shapeString(shape));
    return WeightOp::create(b, location, placeholder, name);
  }
  if (declared.insert(name).second && !declare(name, type, info))
    return WeightOp::create(b, location, placeholder, name);
  return WeightOp::create(b, location, type, name);
}

bool GraphBuilder::declare(StringRef name, WeightType type, const WeightInfo &info) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  FlatSymbolRefAttr scales;
  if (!info.scales.empty()) {
    auto it = model.weights.find(info.scales);
    if (it == model.weights.end()) {
      fail("tensor '" + name.str() + "' names missing scales '" + info.scales + "'");
      return false;
    }
    const WeightInfo &scaleInfo = it->second;
    auto scaleType = WeightType::getChecked([&] { return emitError(location); }, b.getContext(),
                                            ArrayRef<int64_t>(scaleInfo.shape), scaleInfo.storage);
    if (!scaleType || !scaleInfo.scales.empty()) {
      fail("scales '" + info.scales + "' of tensor '" + name.str() + "' are malformed");
      return false;
    }
    if (declared.insert(info.scales).second)
      declare(info.scales, scaleType, scaleInfo);
    scales = FlatSymbolRefAttr::get(b.getContext(), info.scales);
  }
  auto decl = WeightDeclOp::create(
      b, location, name, type, b.getI64IntegerAttr((int64_t)info.offset),
      info.sliceOffsets.empty() ? DenseI64ArrayAttr() : b.getDenseI64ArrayAttr(info.sliceOffsets),
      uint64_t(info.rowStride), scales);
  if (mlir::failed(decl.verify())) {
    fail("tensor '" + name.str() + "' has an invalid layout");
    return false;
  }
  return true;
}

Value GraphBuilder::constant(float value) {
  return ConstantOp::create(b, location, tensor({}), b.getF32FloatAttr(value));
}

Value GraphBuilder::binary(StringRef kind, Value x, Value y) {
  SmallVector<int64_t> shape;
  if (!OpTrait::util::getBroadcastedShape(shapeOf(x), shapeOf(y), shape)) {
    fail("internal error: shapes " + shapeString(shapeOf(x)) + " and " +
         shapeString(shapeOf(y)) + " do not broadcast");
    return x;
  }
  Type type = tensor(shape);
  if (kind == "add")
    return AddOp::create(b, location, type, x, y);
  if (kind == "sub")
    return SubOp::create(b, location, type, x, y);
  return MulOp::create(b, location, type, x, y);
}

Value GraphBuilder::add(Value x, Value y) { return binary("add", x, y); }
Value GraphBuilder::sub(Value x, Value y) { return binary("sub", x, y); }
Value GraphBuilder::mul(Value x, Value y) { return binary("mul", x, y); }
Value GraphBuilder::neg(Value x) { return NegOp::create(b, location, x); }

Value GraphBuilder::reshape(Value x, ArrayRef<int64_t> shape) {
  return ReshapeOp::create(b, location, tensor(shape), x);
}

Value GraphBuilder::transpose(Value x, ArrayRef<int64_t> permutation) {
  SmallVector<int64_t> shape;
  for (int64_t p : permutation)
    shape.push_back(shapeOf(x)[p]);
  return TransposeOp::create(b, location, tensor(shape), x, permutation);
}

Value GraphBuilder::slice(Value x, int64_t axis, int64_t start, int64_t size) {
  SmallVector<int64_t> shape(shapeOf(x));
  shape[axis] = size;
  return SliceOp::create(b, location, tensor(shape), x, axis, start, size);
}

Value GraphBuilder::concat(ValueRange xs, int64_t axis) {
  SmallVector<int64_t> shape(shapeOf(xs[0]));
  shape[axis] = 0;
  for (Value x : xs)
    shape[axis] += shapeOf(x)[axis];
  return ConcatOp::create(b, location, tensor(shape), xs, axis);
}

Value GraphBuilder::tokenCount(Value x) {
  Value zero = arith::ConstantIndexOp::create(b, location, 0);
  return tensor::DimOp::create(b, location, x, zero);
}

Value GraphBuilder::embedding(StringRef table, Value ids, int64_t vocab,
                              int64_t dim) {
  Value w = weight(table, {vocab, dim});
  return EmbeddingOp::create(b, location, tensor({kDyn, dim}), w, ids);
}

Value GraphBuilder::linear(Value x, StringRef weightName, int64_t out) {
  int64_t in = shapeOf(x).back();
  Value w = weight(weightName, {out, in});
  SmallVector<int64_t> shape(shapeOf(x).drop_back());
  shape.push_back(out);
  return MatmulOp::create(b, location, tensor(shape), x, w);
}

Value GraphBuilder::linearWithBias(Value x, StringRef weightName, StringRef biasName,
                                   int64_t out) {
  return add(linear(x, weightName, out), vectorWeight(biasName, out));
}

Value GraphBuilder::vectorWeight(StringRef name, int64_t size) {
  return DequantizeOp::create(b, location, tensor({size}), weight(name, {size}));
}

Value GraphBuilder::rmsNorm(Value x, StringRef gainName, float eps) {
  int64_t dim = shapeOf(x).back(), axis = shapeOf(x).size() - 1;
  Value gain = vectorWeight(gainName, dim);
  Value square = mul(x, x);
  SmallVector<int64_t> reduced(shapeOf(x));
  reduced[axis] = 1;
  Value mean = ReduceMeanOp::create(b, location, tensor(reduced), square, axis);
  Value inverse = RsqrtOp::create(b, location, add(mean, constant(eps)));
  return mul(mul(x, inverse), gain);
}

Value GraphBuilder::sigmoid(Value x) { return SigmoidOp::create(b, location, x); }

Value GraphBuilder::swiglu(Value gate, Value up) {
  return mul(mul(gate, sigmoid(gate)), up);
}

Value GraphBuilder::clampedSwiglu(Value gate, Value up, float alpha, float limit) {
  auto clamp = [&](Value x, std::optional<float> lo) {
    return ClampOp::create(b, location, x,
                           lo ? b.getF32FloatAttr(*lo) : FloatAttr(),
                           b.getF32FloatAttr(limit));
  };
  Value g = clamp(gate, std::nullopt);
  Value glu = mul(g, sigmoid(mul(g, constant(alpha))));
  return mul(glu, add(clamp(up, -limit), constant(1.0f)));
}

Value GraphBuilder::moe(Value x, const MoeSpec &s) {
  int64_t hidden = shapeOf(x)[1], k = s.used;
  Value logits = linear(x, s.router, s.experts);
  if (!s.routerBias.empty())
    logits = add(logits, vectorWeight(s.routerBias, s.experts));
  auto topK = [&](Value v) {
    return TopKOp::create(b, location, tensor({kDyn, k}),
                          RankedTensorType::get({kDyn, k}, b.getI32Type()), v, k);
  };
  Value weights, ids;
  if (s.routing == MoeRouting::topk_softmax) {
    TopKOp top = topK(logits);
    ids = top.getIndices();
    weights = SoftmaxOp::create(b, location, top.getValues(), 1, Value());
  } else if (s.routing == MoeRouting::softmax_topk) {
    TopKOp top = topK(SoftmaxOp::create(b, location, logits, 1, Value()));
    ids = top.getIndices();
    weights = top.getValues();
    if (s.normalize) {
      Value sum = ReduceSumOp::create(b, location, tensor({kDyn, 1}), weights, 1);
      weights = DivOp::create(b, location, tensor({kDyn, k}), weights, sum);
    }
  } else {
    // DeepSeek-V3: sigmoid scores; experts ranked by score + selection bias,
    // only within the topk_group groups whose two best biased scores sum
    // highest; weights from the unbiased scores.
    Value scores = sigmoid(logits);
    Value rank = s.selectionBias.empty() ? scores
                                         : add(scores, vectorWeight(s.selectionBias, s.experts));
    if (s.groups > 1) {
      int64_t perGroup = s.experts / s.groups;
      Value grouped = reshape(rank, {kDyn, s.groups, perGroup});
      auto best2 = TopKOp::create(b, location, tensor({kDyn, s.groups, 2}),
                                  RankedTensorType::get({kDyn, s.groups, 2}, b.getI32Type()),
                                  grouped, 2);
      Value groupScore = reshape(
          ReduceSumOp::create(b, location, tensor({kDyn, s.groups, 1}), best2.getValues(), 2),
          {kDyn, s.groups});
      auto chosen = TopKOp::create(b, location, tensor({kDyn, s.topkGroup}),
                                   RankedTensorType::get({kDyn, s.topkGroup}, b.getI32Type()),
                                   groupScore, s.topkGroup);
      Value oneHot = OneHotOp::create(b, location, tensor({kDyn, s.topkGroup, s.groups}),
                                      chosen.getIndices(), s.groups);
      Value keep = reshape(
          ReduceSumOp::create(b, location, tensor({kDyn, 1, s.groups}), oneHot, 1),
          {kDyn, s.groups, 1});
      Value masked = MaskedFillOp::create(
          b, location, grouped, keep,
          b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
      rank = reshape(masked, {kDyn, s.experts});
    }
    TopKOp top = topK(rank);
    ids = top.getIndices();
    weights = TakeAlongOp::create(b, location, tensor({kDyn, k}), scores, ids);
    if (s.normalize) {
      Value sum = ReduceSumOp::create(b, location, tensor({kDyn, 1}), weights, 1);
      weights = DivOp::create(b, location, tensor({kDyn, k}), weights, sum);
    }
  }
  if (s.routedScale != 1.0f)
    weights = mul(weights, constant(s.routedScale));
  auto product = [&](Value in, StringRef w, StringRef bias, int64_t out) {
    int64_t inDim = shapeOf(in).back();
    Value y = ExpertMatmulOp::create(b, location, tensor({kDyn, k, out}), in,
                                     weight(w, {s.experts, out, inDim}), ids);
    if (bias.empty())
      return y;
    Value gathered = EmbeddingOp::create(b, location, tensor({kDyn, k, out}),
                                         weight(bias, {s.experts, out}), ids);
    return add(y, gathered);
  };
  Value gate = product(x, s.gate, s.gateBias, s.ffn);
  Value up = product(x, s.up, s.upBias, s.ffn);
  Value act = s.activation == GatedActivation::swiglu
                  ? swiglu(gate, up)
                  : clampedSwiglu(gate, up, s.alpha, s.limit);
  Value down = product(act, s.down, s.downBias, hidden);
  Value weighted = mul(down, reshape(weights, {kDyn, k, 1}));
  Value sum = ReduceSumOp::create(b, location, tensor({kDyn, 1, hidden}), weighted, 1);
  return reshape(sum, {kDyn, hidden});
}

RopeConfigAttr GraphBuilder::ropeConfig(const RopeParams &p, int64_t headDim) {
  return RopeConfigAttr::get(b.getContext(), p.dim ? p.dim : headDim,
                             llvm::APFloat(p.base), p.scaling,
                             llvm::APFloat(p.factor), p.originalContext,
                             llvm::APFloat(p.betaFast), llvm::APFloat(p.betaSlow));
}

Value GraphBuilder::ropeNeox(Value x, Value start, RopeConfigAttr config,
                             float mscale) {
  int64_t dim = shapeOf(x)[2];
  if (config.getDim() != dim) {
    fail("partial rotary embeddings are not supported yet");
    return x;
  }
  int64_t half = dim / 2;
  Value angles = RopeAnglesOp::create(b, location, tensor({kDyn, half}), start,
                                      tokenCount(x), config);
  Value cos = CosOp::create(b, location, angles);
  Value sin = SinOp::create(b, location, angles);
  if (mscale != 1.0f) {
    cos = mul(cos, constant(mscale));
    sin = mul(sin, constant(mscale));
  }
  Value cosTable = reshape(concat({cos, cos}, 1), {kDyn, 1, dim});
  Value sinTable = reshape(concat({sin, sin}, 1), {kDyn, 1, dim});
  Value rotated = concat({neg(slice(x, 2, half, half)), slice(x, 2, 0, half)}, 2);
  return add(mul(x, cosTable), mul(rotated, sinTable));
}

Value GraphBuilder::ropeInterleaved(Value x, Value start, RopeConfigAttr config,
                                    float mscale) {
  int64_t heads = shapeOf(x)[1], dim = shapeOf(x)[2], half = dim / 2;
  if (config.getDim() != dim) {
    fail("partial rotary embeddings are not supported yet");
    return x;
  }
  Value angles = RopeAnglesOp::create(b, location, tensor({kDyn, half}), start,
                                      tokenCount(x), config);
  Value cos = CosOp::create(b, location, angles);
  Value sin = SinOp::create(b, location, angles);
  if (mscale != 1.0f) {
    cos = mul(cos, constant(mscale));
    sin = mul(sin, constant(mscale));
  }
  Value c = reshape(cos, {kDyn, 1, half, 1}), s = reshape(sin, {kDyn, 1, half, 1});
  Value pairs = reshape(x, {kDyn, heads, half, 2});
  Value even = slice(pairs, 3, 0, 1), odd = slice(pairs, 3, 1, 1);
  Value first = sub(mul(even, c), mul(odd, s));
  Value second = add(mul(odd, c), mul(even, s));
  return reshape(concat({first, second}, 3), {kDyn, heads, dim});
}

Value GraphBuilder::mlaAttention(Value qNope, Value qPe, Value cache, int64_t layer,
                                 Value start, const MlaSpec &m) {
  int64_t h = m.heads, entry = m.kvLora + m.rope;
  Value count = arith::AddIOp::create(b, location, start, tokenCount(qNope));
  Value latent = CacheReadOp::create(b, location, tensor({kDyn, 1, entry}), cache, count,
                                     layer, 0);
  // The latent part of every position, repeated for each head.
  Value c = transpose(slice(latent, 2, 0, m.kvLora), {1, 0, 2});
  Value perHead = RepeatInterleaveOp::create(b, location, tensor({h, kDyn, m.kvLora}), c, 0, h);
  auto matrices = [&](StringRef name, int64_t rows, int64_t cols) {
    Value w = weight(name, {h, rows, cols});
    return DequantizeOp::create(b, location, tensor({h, rows, cols}), w);
  };
  Value kNope = BatchMatmulOp::create(b, location, tensor({h, kDyn, m.nope}), perHead,
                                      matrices(m.kB, m.kvLora, m.nope), false);
  Value kPe = RepeatInterleaveOp::create(
      b, location, tensor({h, kDyn, m.rope}),
      transpose(slice(latent, 2, m.kvLora, m.rope), {1, 0, 2}), 0, h);
  Value keys = concat({kNope, kPe}, 2);
  Value values = BatchMatmulOp::create(b, location, tensor({h, kDyn, m.vDim}), perHead,
                                       matrices(m.vB, m.vDim, m.kvLora), true);
  Value queries = transpose(concat({qNope, qPe}, 2), {1, 0, 2});
  Value scores = BatchMatmulOp::create(b, location, tensor({h, kDyn, kDyn}), queries, keys,
                                       /*transpose_rhs=*/true);
  scores = CausalMaskOp::create(b, location, mul(scores, constant(m.scale)), start, 0);
  Value probs = SoftmaxOp::create(b, location, scores, 2, Value());
  Value out = BatchMatmulOp::create(b, location, tensor({h, kDyn, m.vDim}), probs, values,
                                    /*transpose_rhs=*/false);
  return transpose(out, {1, 0, 2});
}

Value GraphBuilder::cacheWrite(Value cache, Value x, Value start, int64_t layer,
                               int64_t stream) {
  return CacheWriteOp::create(b, location, cache.getType(), cache, x, start,
                              layer, stream);
}

Value GraphBuilder::attention(Value q, Value cache, int64_t layer, Value start,
                              float scale, int64_t window, Value sinks) {
  auto cacheType = cast<KVCacheType>(cache.getType());
  int64_t queryHeads = shapeOf(q)[1], dim = shapeOf(q)[2];
  int64_t kvHeads = cacheType.getHeads();
  Value count = arith::AddIOp::create(b, location, start, tokenCount(q));
  auto headsView = [&](int64_t stream) -> Value {
    Value read = CacheReadOp::create(b, location, tensor({kDyn, kvHeads, dim}),
                                     cache, count, layer, stream);
    Value heads = transpose(read, {1, 0, 2});
    if (queryHeads == kvHeads)
      return heads;
    return RepeatInterleaveOp::create(b, location, tensor({queryHeads, kDyn, dim}),
                                      heads, 0, queryHeads / kvHeads);
  };
  Value keys = headsView(0), values = headsView(1);
  Value queries = transpose(q, {1, 0, 2});
  Value scores = BatchMatmulOp::create(b, location, tensor({queryHeads, kDyn, kDyn}),
                                       queries, keys, /*transpose_rhs=*/true);
  scores = mul(scores, constant(scale));
  scores = CausalMaskOp::create(b, location, scores, start, window);
  Value perRow = sinks ? reshape(sinks, {queryHeads, 1, 1}) : Value();
  Value probs = SoftmaxOp::create(b, location, scores, 2, perRow);
  Value out = BatchMatmulOp::create(b, location, tensor({queryHeads, kDyn, dim}),
                                    probs, values, /*transpose_rhs=*/false);
  return transpose(out, {1, 0, 2});
}
