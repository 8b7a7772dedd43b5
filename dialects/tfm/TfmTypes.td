//===- TfmTypes.td - tfm types -----------------------------*- tablegen -*-===//
#ifndef LMC_DIALECTS_TFM_TFMTYPES_TD
#define LMC_DIALECTS_TFM_TFMTYPES_TD

include "dialects/tfm/TfmAttrs.td"
include "mlir/IR/AttrTypeBase.td"

class Tfm_Type<string name, string typeMnemonic> : TypeDef<Tfm_Dialect, name> {
  let mnemonic = typeMnemonic;
}

def Tfm_WeightType : Tfm_Type<"Weight", "weight"> {
  let summary = "a tensor of the weights file, in its storage format";
  let description = [{
    `!tfm.weight<2048x1024, q8_0>` is a 2048×1024 matrix stored as Q8_0 blocks
    along its last (input) dimension. Values of this type are references, not
    data: only ops that know the storage format consume them.
  }];
  let parameters = (ins
    ArrayRefParameter<"int64_t">:$shape,
    "::lmc::tfm::StorageType":$storage
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getRank() const { return getShape().size(); }
    int64_t getNumElements() const;
    /// Bytes this tensor occupies in the weights file.
    int64_t getSizeInBytes() const;
  }];
}

def Tfm_KVCacheType : Tfm_Type<"KVCache", "kv_cache"> {
  let summary = "the key/value cache of one sequence";
  let description = [{
    `!tfm.kv_cache<28x2x8x128, f32>`: 28 layers, 2 streams (keys, values),
    8 heads of 128 elements per cached position. The number of positions is
    chosen at run time. Ops that write the cache return the updated cache so
    that later reads are ordered after the write by SSA. Elements are stored
    as f32 or f16; ops read and write f32 values either way.
  }];
  let parameters = (ins
    "int64_t":$layers,
    "int64_t":$streams,
    "int64_t":$heads,
    "int64_t":$dim,
    "::mlir::Type":$elementType
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // LMC_DIALECTS_TFM_TFMTYPES_TD
