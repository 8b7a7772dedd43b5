//===- GGUFTypes.h - GGUF value types, ggml tensor types, values -*- C++ -*-===//
//
// The vocabulary shared by the GGUF reader and writer: metadata value types,
// ggml tensor element types with their block geometry, and `Value`, one
// metadata value (scalar, string or array, arrays possibly nested).
// Plain C++17; no MLIR/LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_FRONTENDS_GGUF_GGUFTYPES_H
#define LMC_FRONTENDS_GGUF_GGUFTYPES_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace lmc::gguf {

//===----------------------------------------------------------------------===//
// Metadata value types
//===----------------------------------------------------------------------===//

/// GGUF metadata value type ids, as stored in the file.
enum class ValueType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};

/// True if `id` names a ValueType.
bool isValidValueType(uint32_t id);
/// Lower-case name ("u32", "string", "array", ...); "type#N" if invalid.
std::string valueTypeName(ValueType t);
/// Bytes of one value of a fixed-size type; 0 for String and Array.
size_t valueTypeSize(ValueType t);

/// The ValueType of a C++ scalar type (bool maps to Bool).
template <typename T> struct ValueTypeOf;
#define LMC_GGUF_VALUE_TYPE_OF(CT, VT)                                         \
  template <> struct ValueTypeOf<CT> {                                         \
    static constexpr ValueType value = ValueType::VT;                          \
  };
LMC_GGUF_VALUE_TYPE_OF(uint8_t, U8)
LMC_GGUF_VALUE_TYPE_OF(int8_t, I8)
LMC_GGUF_VALUE_TYPE_OF(uint16_t, U16)
LMC_GGUF_VALUE_TYPE_OF(int16_t, I16)
LMC_GGUF_VALUE_TYPE_OF(uint32_t, U32)
LMC_GGUF_VALUE_TYPE_OF(int32_t, I32)
LMC_GGUF_VALUE_TYPE_OF(float, F32)
LMC_GGUF_VALUE_TYPE_OF(bool, Bool)
LMC_GGUF_VALUE_TYPE_OF(uint64_t, U64)
LMC_GGUF_VALUE_TYPE_OF(int64_t, I64)
LMC_GGUF_VALUE_TYPE_OF(double, F64)
#undef LMC_GGUF_VALUE_TYPE_OF

//===----------------------------------------------------------------------===//
// ggml tensor types
//===----------------------------------------------------------------------===//

/// ggml_type ids as stored in GGUF tensor infos. Every id ggml currently
/// assigns is listed so that the reader can size any tensor; which of them
/// lmc can compute with is the importer's business.
enum class GGMLType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
  NVFP4 = 40,
  Q1_0 = 41,
  Q2_0 = 42,
};

/// True if `id` is a ggml type id this table knows (ids 4, 5, 31-33 and
/// 36-38 were retired by ggml and are not accepted).
bool isKnownGGMLType(uint32_t id);
/// Elements per block (1 for plain element types); 0 if unknown.
size_t ggmlTypeBlockElems(GGMLType t);
/// Bytes per block; 0 if unknown.
size_t ggmlTypeBlockBytes(GGMLType t);
/// ggml's upper-case name ("F32", "Q4_K", "MXFP4", ...); "type#N" if unknown.
std::string ggmlTypeName(GGMLType t);
/// Parses a type name case-insensitively ("q8_0", "BF16", ...).
std::optional<GGMLType> parseGGMLTypeName(std::string_view name);
/// Bytes of a row of `n` elements. Fails if the type is unknown, `n` is not
/// a multiple of the block size, or the size overflows.
bool ggmlRowBytes(GGMLType t, uint64_t n, uint64_t &bytes);

//===----------------------------------------------------------------------===//
// Value
//===----------------------------------------------------------------------===//

/// One metadata value. Scalars keep their little-endian bit pattern; arrays
/// of fixed-size elements are kept packed (as in the file), arrays of strings
/// as strings and arrays of arrays as Values.
class Value {
public:
  Value() = default;

  static Value makeU8(uint8_t v) { return scalar(ValueType::U8, v); }
  static Value makeI8(int8_t v) { return scalar(ValueType::I8, v); }
  static Value makeU16(uint16_t v) { return scalar(ValueType::U16, v); }
  static Value makeI16(int16_t v) { return scalar(ValueType::I16, v); }
  static Value makeU32(uint32_t v) { return scalar(ValueType::U32, v); }
  static Value makeI32(int32_t v) { return scalar(ValueType::I32, v); }
  static Value makeF32(float v) { return scalar(ValueType::F32, v); }
  static Value makeBool(bool v) { return scalar(ValueType::Bool, uint8_t(v)); }
  static Value makeU64(uint64_t v) { return scalar(ValueType::U64, v); }
  static Value makeI64(int64_t v) { return scalar(ValueType::I64, v); }
  static Value makeF64(double v) { return scalar(ValueType::F64, v); }
  static Value makeString(std::string v);

  /// An array of fixed-size scalars (T one of the ValueTypeOf types but bool).
  template <typename T> static Value makeArray(const std::vector<T> &elems) {
    static_assert(!std::is_same<T, bool>::value, "use makeBoolArray");
    Value v = emptyArray(ValueTypeOf<T>::value);
    v.count = elems.size();
    v.raw.resize(elems.size() * sizeof(T));
    if (!elems.empty())
      std::memcpy(v.raw.data(), elems.data(), v.raw.size());
    return v;
  }
  static Value makeBoolArray(const std::vector<bool> &elems);
  static Value makeStringArray(std::vector<std::string> elems);
  /// An array whose elements are arrays (each element must be an array).
  static Value makeArrayOfArrays(std::vector<Value> elems);
  /// An empty array of `elemType`.
  static Value emptyArray(ValueType elemType);
  /// An array of fixed-size elements from packed little-endian bytes;
  /// `bytes.size()` must be a multiple of the element size.
  static Value makeRawArray(ValueType elemType, std::vector<uint8_t> bytes);

  ValueType type() const { return kind; }
  bool isArray() const { return kind == ValueType::Array; }

  /// Scalar accessors. Each is meaningful only for the matching type():
  /// asUInt for U8/U16/U32/U64/Bool, asInt for I8/I16/I32/I64, asF32 for F32,
  /// asF64 for F32/F64 (F32 widens exactly).
  uint64_t asUInt() const { return bits; }
  int64_t asInt() const;
  float asF32() const;
  double asF64() const;
  bool asBool() const { return bits != 0; }
  const std::string &asString() const { return str; }

  /// Array accessors (meaningful only when isArray()).
  ValueType elemType() const { return elem; }
  uint64_t size() const { return count; }
  /// Packed little-endian elements of a fixed-size elemType().
  const std::vector<uint8_t> &rawElems() const { return raw; }
  const std::vector<std::string> &stringElems() const { return strs; }
  const std::vector<Value> &arrayElems() const { return arrays; }
  /// Element `i` of a fixed-size array as T (T must match elemType()).
  template <typename T> T elemAt(size_t i) const {
    T out;
    std::memcpy(&out, raw.data() + i * sizeof(T), sizeof(T));
    return out;
  }

  /// Type name with array element types: "u32", "array of string", ...
  std::string typeDescription() const;
  /// Short human-readable rendering (long arrays and strings abbreviated).
  std::string toString() const;

  bool operator==(const Value &o) const;
  bool operator!=(const Value &o) const { return !(*this == o); }

private:
  template <typename T> static Value scalar(ValueType t, T v) {
    Value out;
    out.kind = t;
    std::memcpy(&out.bits, &v, sizeof(T));
    return out;
  }

  ValueType kind = ValueType::U8;
  uint64_t bits = 0;
  std::string str;
  ValueType elem = ValueType::U8;
  uint64_t count = 0;
  std::vector<uint8_t> raw;
  std::vector<std::string> strs;
  std::vector<Value> arrays;
};

/// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or code points
/// above U+10FFFF).
bool isValidUtf8(std::string_view s);

} // namespace lmc::gguf

#endif // LMC_FRONTENDS_GGUF_GGUFTYPES_H
