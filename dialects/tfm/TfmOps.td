//===- TfmOps.td - tfm operations --------------------------*- tablegen -*-===//
//
// Primitive ops are what frontends emit: small, generic, each with a plain
// lowering. Fused ops are what the fusion passes produce from recognised
// primitive subgraphs; their lowerings are the fast kernels.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_DIALECTS_TFM_TFMOPS_TD
#define LMC_DIALECTS_TFM_TFMOPS_TD

include "dialects/tfm/TfmTypes.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def Tfm_F32Tensor : TensorOf<[F32]>;
def Tfm_I32Tensor1D : 1DTensorOf<[I32]>;
def Tfm_I32Tensor : TensorOf<[I32]>;

// The KV cache as a side-effect resource: reads and writes of the cache are
// never reordered with respect to each other.
def Tfm_KVCacheResource : Resource<"::lmc::tfm::KVCacheResource">;

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def Tfm_WeightDeclOp : Tfm_Op<"weight_decl", [Symbol, IsolatedFromAbove,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "declares a tensor of the weights file";
  let description = [{
    ```mlir
    tfm.weight_decl @"blk.0.attn_q.weight" : !tfm.weight<2048x1024, q8_0> at 4096
    ```
    `offset` is the tensor's byte offset in the weights (the model's weight
    files mapped one after another); lowerings address the mapping with it.
    It may be omitted in IR that is only transformed, never lowered.

    How the bytes are laid out, when not as one row-major block (Hugging
    Face checkpoints, read in place):
    - `slice_offsets`: the byte offset, from `offset`, of each slice along
      the leading dimension (per-expert tensors stored apart);
    - `row_stride`: stored rows per row of the weight (2: every other row of
      a stored tensor, e.g. GPT-OSS's interleaved gate_up_proj);
    - `scales`: the companion weight of an e4m3 weight (f32 block scales,
      `[..., ceil(rows/128), ceil(cols/128)]`) or of an mxfp4_oai one (e8m0,
      `[..., rows, cols/32]`), laid out by its own declaration.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, TypeAttrOf<Tfm_WeightType>:$type,
                       OptionalAttr<I64Attr>:$offset,
                       OptionalAttr<DenseI64ArrayAttr>:$slice_offsets,
                       DefaultValuedAttr<I64Attr, "1">:$row_stride,
                       OptionalAttr<FlatSymbolRefAttr>:$scales);
  let assemblyFormat = "$sym_name `:` $type (`at` $offset^)? attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::lmc::tfm::WeightType getWeightType() {
      return ::llvm::cast<::lmc::tfm::WeightType>(getType());
    }
    /// One row-major block of getSizeInBytes() bytes at `offset`.
    bool isContiguous() {
      return !getSliceOffsets() && getRowStride() == 1 && !getScales();
    }
  }];
}

def Tfm_WeightOp : Tfm_Op<"weight", [Pure,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "refers to a declared weight";
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs Tfm_WeightType:$result);
  let assemblyFormat = "$name `:` qualified(type($result)) attr-dict";
}

def Tfm_DequantizeOp : Tfm_Op<"dequantize", [Pure]> {
  let summary = "a weight as an f32 tensor";
  let description = [{
    Decodes a whole weight into an f32 tensor of the same shape. Used for
    small weights that take part in elementwise arithmetic (norm gains).
  }];
  let arguments = (ins Tfm_WeightType:$weight);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$weight attr-dict `:` qualified(type($weight)) `->` type($result)";
  let hasVerifier = 1;
}

def Tfm_EmbeddingOp : Tfm_Op<"embedding", [Pure]> {
  let summary = "gathers rows of a weight matrix";
  let description = [{
    `result[i..., :] = table[ids[i...], :]`, decoded to f32, for ids of rank 1
    (tokens) or 2 (e.g. the biases of the experts chosen per token). Ids out
    of range are undefined behaviour: the runtime validates token ids before
    a call, and expert ids come from `tfm.top_k`.
  }];
  let arguments = (ins Tfm_WeightType:$table, Tfm_I32Tensor:$ids);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$table `[` $ids `]` attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Tfm_MatmulOp : Tfm_Op<"matmul", [Pure]> {
  let summary = "multiplies activations by a (possibly quantized) weight";
  let description = [{
    `result[..., n] = sum_k input[..., k] * weight[n, k]`: the weight is
    `[out_features, in_features]`, stored row by row, as in GGUF files.
  }];
  let arguments = (ins Tfm_F32Tensor:$input, Tfm_WeightType:$weight);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$input `,` $weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Tfm_BatchMatmulOp : Tfm_Op<"batch_matmul", [Pure]> {
  let summary = "batched product of two activation tensors";
  let description = [{
    `result[b, m, n] = sum_k lhs[b, m, k] * rhs[b, k, n]`, or with
    `transpose_rhs`, `sum_k lhs[b, m, k] * rhs[b, n, k]`.
  }];
  let arguments = (ins Tfm_F32Tensor:$lhs, Tfm_F32Tensor:$rhs, UnitAttr:$transpose_rhs);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Tfm_ExpertMatmulOp : Tfm_Op<"expert_matmul", [Pure]> {
  let summary = "multiplies each token by the experts chosen for it";
  let description = [{
    `weight` holds one `[out_features, in_features]` matrix per expert:
    `[experts, out, in]`. `experts` is `[tokens, slots]` of expert ids, and
    `result[t, s, n] = sum_k input[t, (s,) k] * weight[experts[t, s], n, k]`,
    where the input is `[tokens, in]` (shared by all slots) or
    `[tokens, slots, in]`. Only the chosen experts' rows are read.
  }];
  let arguments = (ins Tfm_F32Tensor:$input, Tfm_WeightType:$weight,
                       Tfm_I32Tensor:$experts);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `[` $experts `]` attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tfm_HeadMatmulOp : Tfm_Op<"head_matmul", [Pure]> {
  let summary = "multiplies each head by its own weight matrix";
  let description = [{
    `result[t, h, n] = sum_k input[t, h, k] * weight[h, n, k]`: `weight` is
    `[heads, out, in]`. Multi-head latent attention projects queries into the
    latent space (W_UK) and attention outputs out of it (W_UV) this way.
  }];
  let arguments = (ins Tfm_F32Tensor:$input, Tfm_WeightType:$weight);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$input `,` $weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def Tfm_ConstantOp : Tfm_Op<"constant", [Pure, ConstantLike]> {
  let summary = "an f32 scalar as a rank-0 tensor";
  let arguments = (ins F32Attr:$value);
  let results = (outs 0DTensorOf<[F32]>:$result);
  let assemblyFormat = "$value attr-dict `:` type($result)";
  let hasFolder = 1;
}

// Binary ops broadcast like NumPy: shapes are aligned at their last dimension
// and a dimension of size 1 stretches to the other operand's.
class Tfm_BinaryOp<string mnemonic, list<Trait> traits = []>
    : Tfm_Op<mnemonic, !listconcat(traits, [Pure])> {
  let arguments = (ins Tfm_F32Tensor:$lhs, Tfm_F32Tensor:$rhs);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Tfm_AddOp : Tfm_BinaryOp<"add", [Commutative]> { let summary = "lhs + rhs"; }
def Tfm_SubOp : Tfm_BinaryOp<"sub"> { let summary = "lhs - rhs"; }
def Tfm_MulOp : Tfm_BinaryOp<"mul", [Commutative]> { let summary = "lhs * rhs"; }
def Tfm_DivOp : Tfm_BinaryOp<"div"> { let summary = "lhs / rhs"; }

class Tfm_UnaryOp<string mnemonic, string formula>
    : Tfm_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = formula;
  let arguments = (ins Tfm_F32Tensor:$input);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Tfm_NegOp : Tfm_UnaryOp<"neg", "-x">;
def Tfm_ExpOp : Tfm_UnaryOp<"exp", "e^x">;
def Tfm_RsqrtOp : Tfm_UnaryOp<"rsqrt", "1 / sqrt(x)">;
def Tfm_SigmoidOp : Tfm_UnaryOp<"sigmoid", "1 / (1 + e^-x)">;
def Tfm_CosOp : Tfm_UnaryOp<"cos", "cos(x)">;
def Tfm_SinOp : Tfm_UnaryOp<"sin", "sin(x)">;

def Tfm_ClampOp : Tfm_Op<"clamp", [Pure, SameOperandsAndResultType]> {
  let summary = "limits values to [min, max] (either bound optional)";
  let description = [{
    `min(max(x, min), max)`; a missing bound does not limit. NaN stays NaN.
  }];
  let arguments = (ins Tfm_F32Tensor:$input, OptionalAttr<F32Attr>:$min,
                       OptionalAttr<F32Attr>:$max);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Tfm_ReduceOp<string mnemonic, string what> : Tfm_Op<mnemonic, [Pure]> {
  let summary = what # " along one axis, keeping it with size 1";
  let arguments = (ins Tfm_F32Tensor:$input, I64Attr:$axis);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$input `along` $axis attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Tfm_ReduceSumOp : Tfm_ReduceOp<"reduce_sum", "sum">;
def Tfm_ReduceMaxOp : Tfm_ReduceOp<"reduce_max", "maximum">;
def Tfm_ReduceMeanOp : Tfm_ReduceOp<"reduce_mean", "arithmetic mean">;

def Tfm_SoftmaxOp : Tfm_Op<"softmax", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "softmax along one axis, optionally with sink logits";
  let description = [{
    `exp(x - m) / sum(exp(x - m))` along `axis`. Entries equal to -inf get
    probability 0. With `sinks` (the input's shape with `axis` of extent 1,
    or broadcastable to it), each sink is one more logit in its row's
    denominator that takes no output: `exp(x - m) / (exp(sink - m) +
    sum(exp(x - m)))`, m the maximum of the row and its sink (GPT-OSS's
    attention sinks).
  }];
  let arguments = (ins Tfm_F32Tensor:$input, I64Attr:$axis,
                       Optional<Tfm_F32Tensor>:$sinks);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = [{
    $input `along` $axis (`sinks` $sinks^ `:` type($sinks))? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def Tfm_OneHotOp : Tfm_Op<"one_hot", [Pure]> {
  let summary = "1.0 at each index, 0.0 elsewhere";
  let description = [{
    `result[..., c] = (indices[...] == c) ? 1 : 0` for `c < classes`.
  }];
  let arguments = (ins Tfm_I32Tensor:$indices, I64Attr:$classes);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$indices `classes` $classes attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Tfm_MaskedFillOp : Tfm_Op<"masked_fill", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "replaces the entries whose mask is zero";
  let description = [{
    `result = mask != 0 ? input : value`, the mask broadcast to the input.
  }];
  let arguments = (ins Tfm_F32Tensor:$input, Tfm_F32Tensor:$mask, F32Attr:$value);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$input `,` $mask `fill` $value attr-dict `:` type($input) `,` type($mask)";
  let hasVerifier = 1;
}

def Tfm_TakeAlongOp : Tfm_Op<"take_along", [Pure]> {
  let summary = "gathers entries of the last axis by index";
  let description = [{
    `result[..., j] = input[..., indices[..., j]]` (NumPy take_along_axis on
    the last axis); `indices` has the input's leading dimensions.
  }];
  let arguments = (ins Tfm_F32Tensor:$input, Tfm_I32Tensor:$indices);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$input `[` $indices `]` attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Tfm_TopKOp : Tfm_Op<"top_k", [Pure]> {
  let summary = "the k largest entries of the last axis and their indices";
  let description = [{
    Along the last axis, in descending order of value (equal values: lower
    index first): `values` and their `indices` (i32), both `[..., k]`.
  }];
  let arguments = (ins Tfm_F32Tensor:$input, I64Attr:$k);
  let results = (outs Tfm_F32Tensor:$values, Tfm_I32Tensor:$indices);
  let assemblyFormat = "$input `k` $k attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def Tfm_ReshapeOp : Tfm_Op<"reshape", [Pure]> {
  let summary = "reinterprets a tensor with another shape";
  let description = [{
    Row-major order is kept. A dynamic dimension may only appear first, in
    both operand and result, and stands for the same extent.
  }];
  let arguments = (ins Tfm_F32Tensor:$input);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tfm_TransposeOp : Tfm_Op<"transpose", [Pure]> {
  let summary = "permutes dimensions";
  let description = [{ `result` dimension i is `input` dimension `permutation[i]`. }];
  let arguments = (ins Tfm_F32Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$input $permutation attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Tfm_SliceOp : Tfm_Op<"slice", [Pure]> {
  let summary = "a static range of one axis";
  let arguments = (ins Tfm_F32Tensor:$input, I64Attr:$axis, I64Attr:$start, I64Attr:$size);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = [{
    $input `along` $axis `from` $start `size` $size attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tfm_ConcatOp : Tfm_Op<"concat", [Pure]> {
  let summary = "joins tensors along one axis";
  let arguments = (ins Variadic<Tfm_F32Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$inputs `along` $axis attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Tfm_RepeatInterleaveOp : Tfm_Op<"repeat_interleave", [Pure]> {
  let summary = "repeats each entry of one axis consecutively";
  let description = [{
    `result[..., i, ...] = input[..., i / repeats, ...]`. Grouped-query
    attention uses it to share one key/value head among query heads.
  }];
  let arguments = (ins Tfm_F32Tensor:$input, I64Attr:$axis, I64Attr:$repeats);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$input `along` $axis `times` $repeats attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Tfm_LastRowsOp : Tfm_Op<"last_rows", [Pure]> {
  let summary = "the last `count` entries of the leading axis";
  let arguments = (ins Tfm_F32Tensor:$input, Index:$count);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$input `,` $count attr-dict `:` functional-type($input, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Positions, masks and the KV cache
//===----------------------------------------------------------------------===//

def Tfm_RopeAnglesOp : Tfm_Op<"rope_angles", [Pure]> {
  let summary = "rotary embedding angles of consecutive positions";
  let description = [{
    `result[t, i] = (start + t) * theta_i` for `t < count` and
    `i < config.dim / 2`, with `theta_i` given by the rope config (including
    YaRN's blend of interpolated and extrapolated frequencies).
  }];
  let arguments = (ins Index:$start, Index:$count, Tfm_RopeConfigAttr:$config);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$start `,` $count `config` `` $config attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tfm_CausalMaskOp : Tfm_Op<"causal_mask", [Pure,
    AllTypesMatch<["scores", "result"]>]> {
  let summary = "hides future (and, with a window, distant) keys";
  let description = [{
    `scores[..., s, t]` is the score of query `s` (at position `start + s`)
    against key `t` (at position `t`). Entries with `t > start + s` become
    -inf; with `window > 0`, so do entries with `start + s - t >= window`.
  }];
  let arguments = (ins Tfm_F32Tensor:$scores, Index:$start,
                       DefaultValuedAttr<I64Attr, "0">:$window);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$scores `,` $start attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tfm_CacheWriteOp : Tfm_Op<"cache_write", [
    MemoryEffects<[MemWrite<Tfm_KVCacheResource>]>,
    AllTypesMatch<["cache", "result"]>]> {
  let summary = "stores new entries into one stream of one layer";
  let description = [{
    `values` is `[tokens, heads, dim]`; entry `t` goes to position `start + t`.
    Returns the updated cache.
  }];
  let arguments = (ins Tfm_KVCacheType:$cache, Tfm_F32Tensor:$values, Index:$start,
                       I64Attr:$layer, I64Attr:$stream);
  let results = (outs Tfm_KVCacheType:$result);
  let assemblyFormat = [{
    $values `into` $cache `[` `layer` $layer `,` `stream` $stream `]` `at` $start attr-dict
    `:` type($values) `,` qualified(type($cache))
  }];
  let hasVerifier = 1;
}

def Tfm_CacheReadOp : Tfm_Op<"cache_read", [
    MemoryEffects<[MemRead<Tfm_KVCacheResource>]>]> {
  let summary = "reads the first `count` positions of one stream of one layer";
  let arguments = (ins Tfm_KVCacheType:$cache, Index:$count,
                       I64Attr:$layer, I64Attr:$stream);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = [{
    $cache `[` `layer` $layer `,` `stream` $stream `]` `count` $count attr-dict
    `:` qualified(type($cache)) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused ops
//===----------------------------------------------------------------------===//

def Tfm_RMSNormOp : Tfm_Op<"rms_norm", [Pure]> {
  let summary = "root-mean-square normalisation along the last axis";
  let description = [{
    `x * rsqrt(mean(x^2) + epsilon) * gain`, the mean and gain along the last
    axis.
  }];
  let arguments = (ins Tfm_F32Tensor:$input, Tfm_F32Tensor:$gain, F32Attr:$epsilon);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$input `,` $gain `eps` $epsilon attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Tfm_SwiGLUOp : Tfm_Op<"swiglu", [Pure, SameOperandsAndResultType]> {
  let summary = "silu(gate) * up";
  let arguments = (ins Tfm_F32Tensor:$gate, Tfm_F32Tensor:$up);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$gate `,` $up attr-dict `:` type($result)";
}

def Tfm_ClampedSwiGLUOp : Tfm_Op<"clamped_swiglu", [Pure, SameOperandsAndResultType]> {
  let summary = "GPT-OSS's clamped SwiGLU";
  let description = [{
    `g * sigmoid(alpha * g) * (u + 1)` with `g = min(gate, limit)` and
    `u = clamp(up, -limit, limit)`.
  }];
  let arguments = (ins Tfm_F32Tensor:$gate, Tfm_F32Tensor:$up, F32Attr:$alpha,
                       F32Attr:$limit);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$gate `,` $up `alpha` $alpha `limit` $limit attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tfm_MoeOp : Tfm_Op<"moe", [Pure, AttrSizedOperandSegments]> {
  let summary = "a mixture-of-experts feed-forward layer";
  let description = [{
    For each token x (`input` is `[tokens, hidden]`): router logits
    `r = router x (+ router_bias)`; `routing` picks `top_k` experts and their
    weights (see MoeRouting; `normalize` renormalises the weights to sum to
    one, `routed_scale` multiplies them; `sigmoid` routing ranks experts by
    score + `selection_bias`, within the `topk_group` best of `groups` equal
    groups, a group ranked by the sum of its two best biased scores); then
    `sum_e w_e * down_e(act(gate_e x + gate_bias_e, up_e x + up_bias_e)) +
    down_bias_e)`. Expert weights are `[experts, out, in]`, biases
    `[experts, out]`. Only the chosen experts are computed and read.
  }];
  let arguments = (ins Tfm_F32Tensor:$input, Tfm_WeightType:$router,
                       Optional<Tfm_WeightType>:$router_bias,
                       Optional<Tfm_WeightType>:$selection_bias,
                       Tfm_WeightType:$gate, Optional<Tfm_WeightType>:$gate_bias,
                       Tfm_WeightType:$up, Optional<Tfm_WeightType>:$up_bias,
                       Tfm_WeightType:$down, Optional<Tfm_WeightType>:$down_bias,
                       I64Attr:$top_k, Tfm_MoeRoutingAttr:$routing,
                       Tfm_GatedActivationAttr:$activation,
                       DefaultValuedAttr<BoolAttr, "false">:$normalize,
                       DefaultValuedAttr<F32Attr, "1.0">:$routed_scale,
                       DefaultValuedAttr<I64Attr, "1">:$groups,
                       DefaultValuedAttr<I64Attr, "1">:$topk_group,
                       DefaultValuedAttr<F32Attr, "1.702">:$alpha,
                       DefaultValuedAttr<F32Attr, "7.0">:$limit);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = [{
    $input `router` $router (`bias` $router_bias^)? (`selection_bias` $selection_bias^)?
    `gate` $gate (`bias` $gate_bias^)? `up` $up (`bias` $up_bias^)?
    `down` $down (`bias` $down_bias^)? `top_k` $top_k `routing` `` $routing
    `activation` `` $activation attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tfm_RopeOp : Tfm_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "rotary position embedding of [tokens, heads, dim] vectors";
  let description = [{
    Token `t` is at position `start + t`. The first `config.dim` elements of
    every head are rotated pairwise (pairs chosen by `style`) by the angles of
    `tfm.rope_angles`; `cos` and `sin` are multiplied by `mscale`. Elements
    beyond `config.dim` pass through.
  }];
  let arguments = (ins Tfm_F32Tensor:$input, Index:$start, Tfm_RopeConfigAttr:$config,
                       Tfm_RopeStyleAttr:$style,
                       DefaultValuedAttr<F32Attr, "1.0">:$mscale);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = "$input `,` $start `style` `` $style `config` `` $config attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tfm_AttentionOp : Tfm_Op<"attention", [
    MemoryEffects<[MemRead<Tfm_KVCacheResource>]>]> {
  let summary = "causal grouped-query attention over the KV cache";
  let description = [{
    `query` is `[tokens, query_heads, dim]`, token `t` at position
    `start + t`; keys and values are streams 0 and 1 of `layer` in `cache`,
    positions `0 .. start + tokens - 1` (already written). Query head `h`
    reads KV head `h / (query_heads / kv_heads)`. Scores are
    `scale * q.k`, masked causally (and to the last `window` positions when
    `window > 0`), normalised by softmax. With `sinks` (`[query_heads]`), head
    h's softmax has one more logit `sinks[h]` in its denominator.
  }];
  let arguments = (ins Tfm_F32Tensor:$query, Tfm_KVCacheType:$cache, Index:$start,
                       I64Attr:$layer, F32Attr:$scale,
                       DefaultValuedAttr<I64Attr, "0">:$window,
                       Optional<Tfm_F32Tensor>:$sinks);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = [{
    $query `,` $cache `[` `layer` $layer `]` `at` $start `scale` $scale
    (`sinks` $sinks^ `:` type($sinks))? attr-dict
    `:` type($query) `,` qualified(type($cache)) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tfm_LatentAttentionOp : Tfm_Op<"latent_attention", [
    MemoryEffects<[MemRead<Tfm_KVCacheResource>]>]> {
  let summary = "causal attention of many query heads over one latent cache entry per position";
  let description = [{
    Multi-head latent attention in its absorbed form: `query` is
    `[tokens, heads, dim]` (the latent query of every head, its rope part
    last); the cache's stream 0 of `layer` holds one `[1, dim]` entry per
    position; keys are whole entries, values their first `value_dim`
    elements. Scores `scale * q.k`, causal, softmax; the result is
    `[tokens, heads, value_dim]`.
  }];
  let arguments = (ins Tfm_F32Tensor:$query, Tfm_KVCacheType:$cache, Index:$start,
                       I64Attr:$layer, F32Attr:$scale, I64Attr:$value_dim);
  let results = (outs Tfm_F32Tensor:$result);
  let assemblyFormat = [{
    $query `,` $cache `[` `layer` $layer `]` `at` $start `scale` $scale `values` $value_dim
    attr-dict `:` type($query) `,` qualified(type($cache)) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // LMC_DIALECTS_TFM_TFMOPS_TD
