//===- GGUFTypes.cpp - GGUF value types, ggml tensor types, values --------===//

#include "frontends/gguf/GGUFTypes.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

using namespace lmc::gguf;

namespace {
static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE floats");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "lmc's GGUF code assumes a little-endian host"
#endif

/// Block geometry of one ggml type.
struct TypeTraits {
  GGMLType type;
  const char *name;
  uint32_t blockElems;
  uint32_t blockBytes;
};

// Sizes follow ggml's block structs (ggml-common.h): e.g. Q4_K = 2 half scales
// + 12 packed 6-bit scales + 128 nibble bytes per 256 elements.
constexpr TypeTraits kTypeTraits[] = {
    {GGMLType::F32, "F32", 1, 4},
    {GGMLType::F16, "F16", 1, 2},
    {GGMLType::Q4_0, "Q4_0", 32, 18},
    {GGMLType::Q4_1, "Q4_1", 32, 20},
    {GGMLType::Q5_0, "Q5_0", 32, 22},
    {GGMLType::Q5_1, "Q5_1", 32, 24},
    {GGMLType::Q8_0, "Q8_0", 32, 34},
    {GGMLType::Q8_1, "Q8_1", 32, 36},
    {GGMLType::Q2_K, "Q2_K", 256, 84},
    {GGMLType::Q3_K, "Q3_K", 256, 110},
    {GGMLType::Q4_K, "Q4_K", 256, 144},
    {GGMLType::Q5_K, "Q5_K", 256, 176},
    {GGMLType::Q6_K, "Q6_K", 256, 210},
    {GGMLType::Q8_K, "Q8_K", 256, 292},
    {GGMLType::IQ2_XXS, "IQ2_XXS", 256, 66},
    {GGMLType::IQ2_XS, "IQ2_XS", 256, 74},
    {GGMLType::IQ3_XXS, "IQ3_XXS", 256, 98},
    {GGMLType::IQ1_S, "IQ1_S", 256, 50},
    {GGMLType::IQ4_NL, "IQ4_NL", 32, 18},
    {GGMLType::IQ3_S, "IQ3_S", 256, 110},
    {GGMLType::IQ2_S, "IQ2_S", 256, 82},
    {GGMLType::IQ4_XS, "IQ4_XS", 256, 136},
    {GGMLType::I8, "I8", 1, 1},
    {GGMLType::I16, "I16", 1, 2},
    {GGMLType::I32, "I32", 1, 4},
    {GGMLType::I64, "I64", 1, 8},
    {GGMLType::F64, "F64", 1, 8},
    {GGMLType::IQ1_M, "IQ1_M", 256, 56},
    {GGMLType::BF16, "BF16", 1, 2},
    {GGMLType::TQ1_0, "TQ1_0", 256, 54},
    {GGMLType::TQ2_0, "TQ2_0", 256, 66},
    {GGMLType::MXFP4, "MXFP4", 32, 17},
    {GGMLType::NVFP4, "NVFP4", 64, 36},
    {GGMLType::Q1_0, "Q1_0", 128, 18},
    {GGMLType::Q2_0, "Q2_0", 64, 18},
};

const TypeTraits *lookup(GGMLType t) {
  for (const TypeTraits &tt : kTypeTraits)
    if (tt.type == t)
      return &tt;
  return nullptr;
}

/// Appends `s` with non-printable bytes escaped, at most `limit` bytes.
void appendEscaped(std::string &out, const std::string &s, size_t limit) {
  size_t n = std::min(s.size(), limit);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = s[i];
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  if (s.size() > limit)
    out += "...";
}
} // namespace

bool lmc::gguf::isValidValueType(uint32_t id) { return id <= 12; }

std::string lmc::gguf::valueTypeName(ValueType t) {
  switch (t) {
  case ValueType::U8:
    return "u8";
  case ValueType::I8:
    return "i8";
  case ValueType::U16:
    return "u16";
  case ValueType::I16:
    return "i16";
  case ValueType::U32:
    return "u32";
  case ValueType::I32:
    return "i32";
  case ValueType::F32:
    return "f32";
  case ValueType::Bool:
    return "bool";
  case ValueType::String:
    return "string";
  case ValueType::Array:
    return "array";
  case ValueType::U64:
    return "u64";
  case ValueType::I64:
    return "i64";
  case ValueType::F64:
    return "f64";
  }
  return "type#" + std::to_string(uint32_t(t));
}

size_t lmc::gguf::valueTypeSize(ValueType t) {
  switch (t) {
  case ValueType::U8:
  case ValueType::I8:
  case ValueType::Bool:
    return 1;
  case ValueType::U16:
  case ValueType::I16:
    return 2;
  case ValueType::U32:
  case ValueType::I32:
  case ValueType::F32:
    return 4;
  case ValueType::U64:
  case ValueType::I64:
  case ValueType::F64:
    return 8;
  case ValueType::String:
  case ValueType::Array:
    return 0;
  }
  return 0;
}

bool lmc::gguf::isKnownGGMLType(uint32_t id) {
  return lookup(GGMLType(id)) != nullptr;
}

size_t lmc::gguf::ggmlTypeBlockElems(GGMLType t) {
  const TypeTraits *tt = lookup(t);
  return tt ? tt->blockElems : 0;
}

size_t lmc::gguf::ggmlTypeBlockBytes(GGMLType t) {
  const TypeTraits *tt = lookup(t);
  return tt ? tt->blockBytes : 0;
}

std::string lmc::gguf::ggmlTypeName(GGMLType t) {
  const TypeTraits *tt = lookup(t);
  return tt ? std::string(tt->name) : "type#" + std::to_string(uint32_t(t));
}

std::optional<GGMLType> lmc::gguf::parseGGMLTypeName(std::string_view name) {
  for (const TypeTraits &tt : kTypeTraits) {
    std::string_view n(tt.name);
    if (n.size() != name.size())
      continue;
    bool same = true;
    for (size_t i = 0; i < n.size() && same; ++i)
      same = std::toupper((unsigned char)name[i]) == n[i];
    if (same)
      return tt.type;
  }
  return std::nullopt;
}

bool lmc::gguf::ggmlRowBytes(GGMLType t, uint64_t n, uint64_t &bytes) {
  const TypeTraits *tt = lookup(t);
  if (!tt || n % tt->blockElems != 0)
    return false;
  uint64_t blocks = n / tt->blockElems;
  if (blocks > UINT64_MAX / tt->blockBytes)
    return false;
  bytes = blocks * tt->blockBytes;
  return true;
}

bool lmc::gguf::isValidUtf8(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len)
      return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = s[i + k];
      if ((cc & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Value
//===----------------------------------------------------------------------===//

Value Value::makeString(std::string v) {
  Value out;
  out.kind = ValueType::String;
  out.str = std::move(v);
  return out;
}

Value Value::emptyArray(ValueType elemType) {
  Value out;
  out.kind = ValueType::Array;
  out.elem = elemType;
  return out;
}

Value Value::makeBoolArray(const std::vector<bool> &elems) {
  Value v = emptyArray(ValueType::Bool);
  v.count = elems.size();
  v.raw.reserve(elems.size());
  for (bool b : elems)
    v.raw.push_back(b ? 1 : 0);
  return v;
}

Value Value::makeStringArray(std::vector<std::string> elems) {
  Value v = emptyArray(ValueType::String);
  v.count = elems.size();
  v.strs = std::move(elems);
  return v;
}

Value Value::makeArrayOfArrays(std::vector<Value> elems) {
  Value v = emptyArray(ValueType::Array);
  v.count = elems.size();
  v.arrays = std::move(elems);
  return v;
}

Value Value::makeRawArray(ValueType elemType, std::vector<uint8_t> bytes) {
  Value v = emptyArray(elemType);
  size_t sz = valueTypeSize(elemType);
  v.count = sz ? bytes.size() / sz : 0;
  v.raw = std::move(bytes);
  return v;
}

int64_t Value::asInt() const {
  switch (kind) {
  case ValueType::I8:
    return int8_t(bits);
  case ValueType::I16:
    return int16_t(bits);
  case ValueType::I32:
    return int32_t(bits);
  default:
    return int64_t(bits);
  }
}

float Value::asF32() const {
  uint32_t b = uint32_t(bits);
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

double Value::asF64() const {
  if (kind == ValueType::F32)
    return asF32();
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

std::string Value::typeDescription() const {
  if (kind != ValueType::Array)
    return valueTypeName(kind);
  if (elem == ValueType::Array) {
    // Nested arrays: describe the first element, if any.
    if (!arrays.empty())
      return "array of " + arrays.front().typeDescription();
    return "array of array";
  }
  return "array of " + valueTypeName(elem);
}

namespace {
std::string renderScalar(ValueType t, const uint8_t *p) {
  char buf[64];
  switch (t) {
  case ValueType::U8:
    return std::to_string(*p);
  case ValueType::I8:
    return std::to_string(int8_t(*p));
  case ValueType::Bool:
    return *p ? "true" : "false";
  case ValueType::U16: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return std::to_string(v);
  }
  case ValueType::I16: {
    int16_t v;
    std::memcpy(&v, p, 2);
    return std::to_string(v);
  }
  case ValueType::U32: {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return std::to_string(v);
  }
  case ValueType::I32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return std::to_string(v);
  }
  case ValueType::U64: {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return std::to_string(v);
  }
  case ValueType::I64: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return std::to_string(v);
  }
  case ValueType::F32: {
    float v;
    std::memcpy(&v, p, 4);
    std::snprintf(buf, sizeof(buf), "%.9g", v);
    return buf;
  }
  case ValueType::F64: {
    double v;
    std::memcpy(&v, p, 8);
    std::snprintf(buf, sizeof(buf), "%.17g", v);
    return buf;
  }
  default:
    return "?";
  }
}
} // namespace

std::string Value::toString() const {
  constexpr size_t kMaxElems = 8;
  if (kind == ValueType::String) {
    std::string out = "\"";
    appendEscaped(out, str, 120);
    return out + "\"";
  }
  if (kind != ValueType::Array)
    return renderScalar(kind, reinterpret_cast<const uint8_t *>(&bits));
  std::string out = "[";
  size_t shown = std::min<uint64_t>(count, kMaxElems);
  for (size_t i = 0; i < shown; ++i) {
    if (i)
      out += ", ";
    if (elem == ValueType::String) {
      out += "\"";
      appendEscaped(out, strs[i], 40);
      out += "\"";
    } else if (elem == ValueType::Array) {
      out += arrays[i].toString();
    } else {
      out += renderScalar(elem, raw.data() + i * valueTypeSize(elem));
    }
  }
  if (count > shown)
    out += ", ... (" + std::to_string(count) + " elements)";
  return out + "]";
}

bool Value::operator==(const Value &o) const {
  if (kind != o.kind)
    return false;
  switch (kind) {
  case ValueType::String:
    return str == o.str;
  case ValueType::Array:
    return elem == o.elem && count == o.count && raw == o.raw &&
           strs == o.strs && arrays == o.arrays;
  default:
    return bits == o.bits;
  }
}
