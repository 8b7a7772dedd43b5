//===- TfmDialect.td - The tfm transformer dialect ---------*- tablegen -*-===//
//
// `tfm` describes a transformer language model as a dataflow graph on tensors.
// Frontends emit primitive ops; fusion passes rewrite recognised subgraphs into
// fused ops; target lowerings turn both into loops or GPU kernels.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_DIALECTS_TFM_TFMDIALECT_TD
#define LMC_DIALECTS_TFM_TFMDIALECT_TD

include "mlir/IR/OpBase.td"

def Tfm_Dialect : Dialect {
  let name = "tfm";
  let cppNamespace = "::lmc::tfm";
  let summary = "Transformer language models as tensor dataflow graphs";
  let description = [{
    Activations are `f32` tensors whose leading dimension (tokens) may be
    dynamic; every other dimension is static. Weights are never inlined: a
    `tfm.weight_decl` names a tensor of the weights file (name, shape, storage
    format, byte offset) and `tfm.weight` refers to it by symbol.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

class Tfm_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tfm_Dialect, mnemonic, traits>;

#endif // LMC_DIALECTS_TFM_TFMDIALECT_TD
