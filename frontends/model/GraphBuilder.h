//===- GraphBuilder.h - emitting primitive tfm graphs -----------*- C++ -*-===//
//
// Architecture builders describe a model with these helpers, which emit the
// primitive tfm ops the fusion passes know how to recognise. Missing or
// ill-shaped weights are reported once, naming the tensor; after an error
// the helpers keep returning placeholder values so builders need not check
// every call (check `failed()` at the end).
//
//===----------------------------------------------------------------------===//
#ifndef LMC_FRONTENDS_MODEL_GRAPHBUILDER_H
#define LMC_FRONTENDS_MODEL_GRAPHBUILDER_H

#include "frontends/model/ModelDescription.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/StringSet.h"

#include <string>

namespace lmc::frontend {

class GraphBuilder {
public:
  GraphBuilder(mlir::ModuleOp module, const ModelDescription &model);

  mlir::OpBuilder &builder() { return b; }
  mlir::Location loc() const { return location; }

  /// Starts `func.func @forward(tokens, start, cache, n_out)`; returns the
  /// entry block arguments in that order.
  llvm::SmallVector<mlir::Value> beginForward(tfm::KVCacheType cache,
                                              int64_t vocab);
  void endForward(mlir::Value logits);

  /// Whether the model has a tensor of this name.
  bool hasWeight(llvm::StringRef name) const;
  /// A reference to a weight; `shape` is what the architecture expects.
  mlir::Value weight(llvm::StringRef name, llvm::ArrayRef<int64_t> shape);

  // Primitive ops.
  mlir::Value constant(float value);
  mlir::Value add(mlir::Value a, mlir::Value b);
  mlir::Value sub(mlir::Value a, mlir::Value b);
  mlir::Value mul(mlir::Value a, mlir::Value b);
  mlir::Value neg(mlir::Value x);
  mlir::Value reshape(mlir::Value x, llvm::ArrayRef<int64_t> shape);
  mlir::Value sigmoid(mlir::Value x);
  mlir::Value transpose(mlir::Value x, llvm::ArrayRef<int64_t> permutation);
  mlir::Value slice(mlir::Value x, int64_t axis, int64_t start, int64_t size);
  mlir::Value concat(mlir::ValueRange xs, int64_t axis);
  mlir::Value tokenCount(mlir::Value x);

  // Standard blocks, each as its primitive graph.
  mlir::Value embedding(llvm::StringRef table, mlir::Value ids, int64_t vocab,
                        int64_t dim);
  /// x[..., in] x weight[out, in]^T.
  mlir::Value linear(mlir::Value x, llvm::StringRef weightName, int64_t out);
  /// linear(x) + bias[out].
  mlir::Value linearWithBias(mlir::Value x, llvm::StringRef weightName,
                             llvm::StringRef biasName, int64_t out);
  /// A 1-D weight as an f32 tensor.
  mlir::Value vectorWeight(llvm::StringRef name, int64_t size);
  mlir::Value rmsNorm(mlir::Value x, llvm::StringRef gainName, float eps);
  /// silu(gate) * up.
  mlir::Value swiglu(mlir::Value gate, mlir::Value up);
  /// GPT-OSS: c = min(gate, limit); c * sigmoid(alpha c) * (clamp(up, ±limit) + 1).
  mlir::Value clampedSwiglu(mlir::Value gate, mlir::Value up, float alpha, float limit);
  /// Rotary embedding (NeoX pairing) of x : [tokens, heads, dim].
  mlir::Value ropeNeox(mlir::Value x, mlir::Value start, tfm::RopeConfigAttr config,
                       float mscale);
  /// Rotary embedding (interleaved pairing: 2i with 2i+1) of x : [tokens,
  /// heads, dim], the whole dim rotated.
  mlir::Value ropeInterleaved(mlir::Value x, mlir::Value start, tfm::RopeConfigAttr config,
                              float mscale);
  /// Causal grouped-query attention of q : [tokens, Hq, D] over the cache,
  /// after the layer's keys and values were written; returns [tokens, Hq, D].
  /// `sinks` (optional, [Hq]) adds one logit per head to the softmax.
  mlir::Value attention(mlir::Value q, mlir::Value cache, int64_t layer,
                        mlir::Value start, float scale, int64_t window = 0,
                        mlir::Value sinks = {});

  /// How a mixture-of-experts layer is built (GGUF tensor names; empty bias
  /// names: no bias).
  struct MoeSpec {
    std::string router, routerBias, gate, gateBias, up, upBias, down, downBias;
    int64_t experts = 0, used = 0, ffn = 0;
    tfm::MoeRouting routing = tfm::MoeRouting::softmax_topk;
    bool normalize = false;
    // sigmoid routing: the bias added to the scores for selection only, the
    // expert groups, and the factor on the weights.
    std::string selectionBias;
    int64_t groups = 1, topkGroup = 1;
    float routedScale = 1.0f;
    tfm::GatedActivation activation = tfm::GatedActivation::swiglu;
    float alpha = 1.702f, limit = 7.0f;
  };
  /// The primitive MoE layer of x : [tokens, hidden] (see FuseMoe.cpp).
  mlir::Value moe(mlir::Value x, const MoeSpec &spec);

  /// Multi-head latent attention, explicit form: keys and values of every
  /// head are expanded from the latent cache entries ([1, kvLora + rope] per
  /// position, already written for this step) through W_UK (`kB`,
  /// [heads, kvLora, nope]) and W_UV (`vB`, [heads, vDim, kvLora]).
  /// --tfm-absorb-mla turns this into attention on the latent cache.
  struct MlaSpec {
    std::string kB, vB;
    int64_t heads = 0, nope = 0, rope = 0, kvLora = 0, vDim = 0;
    float scale = 1.0f;
  };
  /// qNope : [tokens, heads, nope], qPe : [tokens, heads, rope] (roped);
  /// returns [tokens, heads, vDim].
  mlir::Value mlaAttention(mlir::Value qNope, mlir::Value qPe, mlir::Value cache,
                           int64_t layer, mlir::Value start, const MlaSpec &spec);
  /// Writes keys (stream 0) or values (stream 1) of `layer`; returns the cache.
  mlir::Value cacheWrite(mlir::Value cache, mlir::Value x, mlir::Value start,
                         int64_t layer, int64_t stream);

  tfm::RopeConfigAttr ropeConfig(const RopeParams &params, int64_t headDim);

  bool failed() const { return !error.empty(); }
  const std::string &errorMessage() const { return error; }
  void fail(const std::string &message);

private:
  mlir::RankedTensorType tensor(llvm::ArrayRef<int64_t> shape);
  llvm::ArrayRef<int64_t> shapeOf(mlir::Value v);
  mlir::Value binary(llvm::StringRef kind, mlir::Value a, mlir::Value b);
  /// Emits the tfm.weight_decl of `name` (and of its scales, once).
  bool declare(llvm::StringRef name, tfm::WeightType type, const WeightInfo &info);

  mlir::ModuleOp module;
  const ModelDescription &model;
  mlir::OpBuilder b;
  mlir::Location location;
  llvm::StringSet<> declared;
  std::string error;
};

} // namespace lmc::frontend

#endif // LMC_FRONTENDS_MODEL_GRAPHBUILDER_H
