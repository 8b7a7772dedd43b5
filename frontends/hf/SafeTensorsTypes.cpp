//===- SafeTensorsTypes.cpp - safetensors element types -------------------===//

#include "frontends/hf/SafeTensorsTypes.h"

using namespace lmc;
using namespace lmc::hf;

namespace {
struct DTypeFacts {
  DType type;
  const char *name;
  unsigned bits;
};

// Sizes as in the reference implementation's Dtype::bitsize.
constexpr DTypeFacts kDTypes[] = {
    {DType::BOOL, "BOOL", 8},
    {DType::U8, "U8", 8},
    {DType::I8, "I8", 8},
    {DType::U16, "U16", 16},
    {DType::I16, "I16", 16},
    {DType::U32, "U32", 32},
    {DType::I32, "I32", 32},
    {DType::U64, "U64", 64},
    {DType::I64, "I64", 64},
    {DType::F16, "F16", 16},
    {DType::BF16, "BF16", 16},
    {DType::F32, "F32", 32},
    {DType::F64, "F64", 64},
    {DType::C64, "C64", 64},
    {DType::F8_E4M3, "F8_E4M3", 8},
    {DType::F8_E5M2, "F8_E5M2", 8},
    {DType::F8_E8M0, "F8_E8M0", 8},
    {DType::F8_E4M3FNUZ, "F8_E4M3FNUZ", 8},
    {DType::F8_E5M2FNUZ, "F8_E5M2FNUZ", 8},
    {DType::F4, "F4", 4},
    {DType::F6_E2M3, "F6_E2M3", 6},
    {DType::F6_E3M2, "F6_E3M2", 6},
};

const DTypeFacts &facts(DType t) {
  for (const DTypeFacts &f : kDTypes)
    if (f.type == t)
      return f;
  return kDTypes[0]; // unreachable: every enumerator is listed
}
} // namespace

const char *lmc::hf::dtypeName(DType t) { return facts(t).name; }

std::optional<DType> lmc::hf::parseDType(std::string_view name) {
  for (const DTypeFacts &f : kDTypes)
    if (name == f.name)
      return f.type;
  return std::nullopt;
}

unsigned lmc::hf::dtypeBits(DType t) { return facts(t).bits; }

bool lmc::hf::isSupportedDType(DType t) {
  switch (t) {
  case DType::F32:
  case DType::F16:
  case DType::BF16:
  case DType::F8_E4M3:
  case DType::U8:
    return true;
  default:
    return false;
  }
}

const char *lmc::hf::supportedDTypeList() {
  return "F32, F16, BF16, F8_E4M3, U8";
}

std::optional<quant::Format> lmc::hf::quantFormatOf(DType t) {
  switch (t) {
  case DType::F32:
    return quant::Format::F32;
  case DType::F16:
    return quant::Format::F16;
  case DType::BF16:
    return quant::Format::BF16;
  case DType::F8_E4M3:
    return quant::Format::F8_E4M3;
  default:
    return std::nullopt;
  }
}
