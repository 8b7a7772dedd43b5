//===- TfmAttrs.td - tfm enums and attributes --------------*- tablegen -*-===//
#ifndef LMC_DIALECTS_TFM_TFMATTRS_TD
#define LMC_DIALECTS_TFM_TFMATTRS_TD

include "dialects/tfm/TfmDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

// How a weight tensor is stored in the weights file. Block formats follow the
// layouts documented in docs/formats.md.
def Tfm_StorageType : I32EnumAttr<"StorageType", "weight storage format", [
    I32EnumAttrCase<"f32", 0>,
    I32EnumAttrCase<"f16", 1>,
    I32EnumAttrCase<"bf16", 2>,
    I32EnumAttrCase<"q8_0", 3>,
    I32EnumAttrCase<"q4_0", 4>,
    I32EnumAttrCase<"q4_k", 5>,
    I32EnumAttrCase<"q6_k", 6>,
    // 32 FP4 (E2M1) values with one E8M0 scale (GGUF type 39, OCP MX).
    I32EnumAttrCase<"mxfp4", 7>,
    // FP8 E4M3FN elements (DeepSeek-V3 checkpoints); their 128x128 block
    // scales are a companion f32 weight (tfm.weight_decl `scales`).
    I32EnumAttrCase<"e4m3", 8>,
    // 32 FP4 (E2M1) values in 16 bytes, element 2m in the low nibble of byte
    // m and 2m+1 in the high one (OpenAI's checkpoint order); the E8M0 scale
    // of each block is in a companion e8m0 weight.
    I32EnumAttrCase<"mxfp4_oai", 9>,
    // One E8M0 exponent byte per element: the scales of mxfp4_oai weights.
    I32EnumAttrCase<"e8m0", 10>
  ]> {
  let cppNamespace = "::lmc::tfm";
  let genSpecializedAttr = 0;
}
def Tfm_StorageTypeAttr : EnumAttr<Tfm_Dialect, Tfm_StorageType, "storage"> {
  let assemblyFormat = "`<` $value `>`";
}

// Which pairs of elements a rotary embedding rotates.
def Tfm_RopeStyle : I32EnumAttr<"RopeStyle", "rotary embedding pairing", [
    // Element i pairs with i + rotary_dim/2 (GPT-NeoX, Qwen, GPT-OSS).
    I32EnumAttrCase<"neox", 0>,
    // Element 2i pairs with 2i+1 (GPT-J / llama.cpp "norm", DeepSeek).
    I32EnumAttrCase<"interleaved", 1>
  ]> {
  let cppNamespace = "::lmc::tfm";
  let genSpecializedAttr = 0;
}
def Tfm_RopeStyleAttr : EnumAttr<Tfm_Dialect, Tfm_RopeStyle, "rope_style"> {
  let assemblyFormat = "`<` $value `>`";
}

def Tfm_RopeScaling : I32EnumAttr<"RopeScaling", "context extension method", [
    I32EnumAttrCase<"none", 0>,
    I32EnumAttrCase<"linear", 1>,
    I32EnumAttrCase<"yarn", 2>
  ]> {
  let cppNamespace = "::lmc::tfm";
  let genSpecializedAttr = 0;
}
def Tfm_RopeScalingAttr : EnumAttr<Tfm_Dialect, Tfm_RopeScaling, "rope_scaling"> {
  let assemblyFormat = "`<` $value `>`";
}

// How a mixture-of-experts layer turns router logits into experts and weights.
def Tfm_MoeRouting : I32EnumAttr<"MoeRouting", "expert routing function", [
    // Softmax over all experts, the top k probabilities (Qwen3-MoE, Mixtral);
    // with `normalize`, renormalised to sum to one.
    I32EnumAttrCase<"softmax_topk", 0>,
    // The top k logits, softmax over those k (GPT-OSS).
    I32EnumAttrCase<"topk_softmax", 1>,
    // Sigmoid scores; experts chosen by score + selection bias within the
    // best groups; weights are the chosen scores (DeepSeek-V3).
    I32EnumAttrCase<"sigmoid", 2>
  ]> {
  let cppNamespace = "::lmc::tfm";
  let genSpecializedAttr = 0;
}
def Tfm_MoeRoutingAttr : EnumAttr<Tfm_Dialect, Tfm_MoeRouting, "moe_routing"> {
  let assemblyFormat = "`<` $value `>`";
}

// The gated activation between an expert's gate/up and down projections.
def Tfm_GatedActivation : I32EnumAttr<"GatedActivation", "gated FFN activation", [
    // silu(gate) * up
    I32EnumAttrCase<"swiglu", 0>,
    // GPT-OSS: g = min(gate, limit), g * sigmoid(alpha g) * (clamp(up, ±limit) + 1)
    I32EnumAttrCase<"clamped_swiglu", 1>
  ]> {
  let cppNamespace = "::lmc::tfm";
  let genSpecializedAttr = 0;
}
def Tfm_GatedActivationAttr
    : EnumAttr<Tfm_Dialect, Tfm_GatedActivation, "gated_activation"> {
  let assemblyFormat = "`<` $value `>`";
}

// The frequencies of a rotary position embedding: angle(p, i) = p * theta_i,
// theta_i = base^(-2i/dim), adjusted by the scaling method.
def Tfm_RopeConfigAttr : AttrDef<Tfm_Dialect, "RopeConfig"> {
  let mnemonic = "rope";
  let summary = "rotary embedding frequencies and their scaling";
  let parameters = (ins
    "int64_t":$dim,
    APFloatParameter<"">:$base,
    "::lmc::tfm::RopeScaling":$scaling,
    // linear/yarn: context extension factor.
    DefaultValuedParameter<"::llvm::APFloat", "::llvm::APFloat(1.0)"> :$factor,
    // yarn: the context length the model was trained with.
    DefaultValuedParameter<"int64_t", "0">:$original_context,
    DefaultValuedParameter<"::llvm::APFloat", "::llvm::APFloat(32.0)">:$beta_fast,
    DefaultValuedParameter<"::llvm::APFloat", "::llvm::APFloat(1.0)">:$beta_slow
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// theta_i for i < dim/2, after scaling: angle(p, i) = p * theta_i.
    ::llvm::SmallVector<float> getFrequencies() const;
  }];
}

#endif // LMC_DIALECTS_TFM_TFMATTRS_TD
