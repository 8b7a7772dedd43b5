//===- SafeTensorsTypes.h - safetensors element types -----------*- C++ -*-===//
//
// The dtype vocabulary of the safetensors format: every dtype string the
// reference implementation (huggingface/safetensors, safetensors/src/
// tensor.rs) defines, with its size in bits, and which of them lmc reads.
// Plain C++17; no MLIR/LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_FRONTENDS_HF_SAFETENSORSTYPES_H
#define LMC_FRONTENDS_HF_SAFETENSORSTYPES_H

#include "frontends/quant/QuantFormats.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lmc::hf {

/// Every dtype the safetensors format defines. Names are spelled exactly as
/// in the file header ("F8_E4M3", "BF16", ...).
enum class DType : uint8_t {
  BOOL,
  U8,
  I8,
  U16,
  I16,
  U32,
  I32,
  U64,
  I64,
  F16,
  BF16,
  F32,
  F64,
  C64,
  F8_E4M3,
  F8_E5M2,
  F8_E8M0,
  F8_E4M3FNUZ,
  F8_E5M2FNUZ,
  F4,
  F6_E2M3,
  F6_E3M2,
};

/// The header spelling ("F32", "F8_E4M3", ...).
const char *dtypeName(DType t);
/// Parses a header dtype string (case-sensitive, as the format is).
std::optional<DType> parseDType(std::string_view name);
/// Size of one element in bits (4 for F4, 6 for F6_*, 8..64 otherwise).
unsigned dtypeBits(DType t);

/// The dtypes lmc reads: F32, F16, BF16, F8_E4M3 (weights) and U8 (packed
/// MXFP4 blocks and E8M0 scales, as GPT-OSS stores them).
bool isSupportedDType(DType t);
/// "F32, F16, BF16, F8_E4M3, U8", for messages.
const char *supportedDTypeList();

/// The lmc::quant element format of a floating-point weight dtype (F32, F16,
/// BF16, F8_E4M3); none for the others, U8 included (its meaning depends on
/// the tensor: MXFP4 nibbles or E8M0 scales).
std::optional<quant::Format> quantFormatOf(DType t);

} // namespace lmc::hf

#endif // LMC_FRONTENDS_HF_SAFETENSORSTYPES_H
