//===- WeightDecoding.cpp - vector decoders of weight storage formats -----===//
//
// Each decoder reproduces its format's definition operation for operation
// (same products, same order), so decoded values are bit-identical to the
// reference decoders in frontends/quant/.
//
//===----------------------------------------------------------------------===//
#include "passes/cpu/WeightDecoding.h"
#include "passes/cpu/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"


using namespace mlir;
using namespace lmc::tfm;
using lmc::cpu::RowLayout;

namespace {

struct Decoder {
  ImplicitLocOpBuilder &b;
  Value bytes;
  Value base;

  Value offset(int64_t delta) {
    return delta == 0 ? base
                      : arith::AddIOp::create(b, base, lmc::cpu::constIndex(b, delta))
                            .getResult();
  }
  VectorType vec(int64_t n, Type element) { return VectorType::get({n}, element); }

  /// `n` bytes starting `delta` bytes into the block.
  Value loadBytes(int64_t delta, int64_t n) {
    return vector::LoadOp::create(b, vec(n, b.getI8Type()), bytes,
                                  ValueRange{offset(delta)});
  }
  /// The little-endian f16 at `delta`, widened to f32.
  Value loadF16(int64_t delta) { return lmc::cpu::loadF16(b, bytes, offset(delta)); }
  /// The byte at `delta` as a scalar i32, zero- or sign-extended.
  Value loadByte(int64_t delta, bool isSigned) {
    Value byte = memref::LoadOp::create(b, bytes, ValueRange{offset(delta)});
    if (isSigned)
      return arith::ExtSIOp::create(b, b.getI32Type(), byte);
    return arith::ExtUIOp::create(b, b.getI32Type(), byte);
  }
  Value splat(Value scalar, int64_t n) {
    return vector::BroadcastOp::create(b, vec(n, scalar.getType()), scalar);
  }
  Value i8Splat(int64_t n, int8_t value) {
    return lmc::cpu::constI8Vector(b, n, value);
  }
  Value i32(int64_t value) {
    return arith::ConstantOp::create(b, b.getI32IntegerAttr(value));
  }
  Value signedToF32(Value v) {
    auto type = cast<VectorType>(v.getType());
    return arith::SIToFPOp::create(b, vec(type.getNumElements(), b.getF32Type()), v);
  }
  Value unsignedToF32(Value v) {
    auto type = cast<VectorType>(v.getType());
    return arith::UIToFPOp::create(b, vec(type.getNumElements(), b.getF32Type()), v);
  }
  Value scalarToF32(Value i) { return arith::SIToFPOp::create(b, b.getF32Type(), i); }
  /// The 32 nibbles of the 16 bytes at `delta`: low nibbles in lanes 0-15,
  /// high ones in 16-31 (ggml's order), or interleaved low, high, low, ...
  /// (OpenAI's MXFP4).
  Value loadNibbles(int64_t delta, bool interleaved) {
    Value packed = loadBytes(delta, 16);
    Value low = arith::AndIOp::create(b, packed, i8Splat(16, 0x0F));
    Value high = arith::ShRUIOp::create(b, packed, i8Splat(16, 4));
    SmallVector<int64_t> order;
    for (int64_t j = 0; j < 32; ++j)
      order.push_back(interleaved ? (j % 2) * 16 + j / 2 : j);
    return vector::ShuffleOp::create(b, low, high, order);
  }
};

} // namespace

Value lmc::cpu::loadF16(ImplicitLocOpBuilder &b, Value bytes, Value at) {
  Value raw = vector::LoadOp::create(b, VectorType::get({2}, b.getI8Type()), bytes,
                                     ValueRange{at});
  Value half = vector::ExtractOp::create(
      b, vector::BitCastOp::create(b, VectorType::get({1}, b.getF16Type()), raw),
      ArrayRef<int64_t>{0});
  return arith::ExtFOp::create(b, b.getF32Type(), half);
}

namespace {

/// The doubled E2M1 magnitudes, signed: code c decodes to kDoubledE2M1[c]
/// times 2^(e-128).
constexpr float kDoubledE2M1[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

/// kDoubledE2M1 as a vector<16xf32> constant.
Value doubledE2M1(Decoder &d) {
  return arith::ConstantOp::create(
      d.b, DenseElementsAttr::get(d.vec(16, d.b.getF32Type()), ArrayRef<float>(kDoubledE2M1)));
}

/// `table[indices[i]]` for each lane of `indices` (i8 values below the
/// table's size). Written as per-lane extracts of the indices widened to i32,
/// which LLVM's x86 backend turns into one variable permute (vpermps for a
/// 16-entry f32 table on AVX-512); extracting from the i8 vector instead
/// lets it fold lanes of a wider load and scalarize.
Value lookup(ImplicitLocOpBuilder &b, Value table, Value indices) {
  auto indexType = cast<VectorType>(indices.getType());
  auto tableType = cast<VectorType>(table.getType());
  int64_t n = indexType.getNumElements();
  Value wide = arith::ExtUIOp::create(b, VectorType::get({n}, b.getI32Type()), indices);
  SmallVector<Value> lanes;
  for (int64_t i = 0; i < n; ++i) {
    Value index = arith::IndexCastUIOp::create(
        b, b.getIndexType(), vector::ExtractOp::create(b, wide, ArrayRef<int64_t>{i}));
    lanes.push_back(vector::ExtractOp::create(b, table, ArrayRef<OpFoldResult>{index}));
  }
  return vector::FromElementsOp::create(
      b, VectorType::get({n}, tableType.getElementType()), lanes);
}

/// `lookup` for 32 indices, as two 16-lane lookups.
Value lookup32(ImplicitLocOpBuilder &b, Value table, Value indices) {
  Value halves[2];
  for (int64_t h = 0; h < 2; ++h)
    halves[h] = lookup(b, table,
                       vector::ExtractStridedSliceOp::create(
                           b, indices, ArrayRef<int64_t>{16 * h}, ArrayRef<int64_t>{16},
                           ArrayRef<int64_t>{1}));
  SmallVector<int64_t> whole(32);
  for (int64_t i = 0; i < 32; ++i)
    whole[i] = i;
  return vector::ShuffleOp::create(b, halves[0], halves[1], whole);
}

void decodeFloat(Decoder &d, const RowLayout &layout,
                 function_ref<void(int64_t, Value)> consume) {
  ImplicitLocOpBuilder &b = d.b;
  int64_t w = layout.chunkWidth;
  VectorType f32 = d.vec(w, b.getF32Type());
  switch (layout.storage) {
  case StorageType::f32:
    consume(0, vector::BitCastOp::create(b, f32, d.loadBytes(0, 4 * w)));
    return;
  case StorageType::f16: {
    Value halfs = vector::BitCastOp::create(b, d.vec(w, b.getF16Type()),
                                            d.loadBytes(0, 2 * w));
    consume(0, arith::ExtFOp::create(b, f32, halfs));
    return;
  }
  case StorageType::bf16: {
    // bf16 is the high half of an f32.
    Value raw = vector::BitCastOp::create(b, d.vec(w, b.getI16Type()),
                                          d.loadBytes(0, 2 * w));
    Value wide = arith::ExtUIOp::create(b, d.vec(w, b.getI32Type()), raw);
    Value shift = vector::BroadcastOp::create(b, d.vec(w, b.getI32Type()), d.i32(16));
    consume(0, vector::BitCastOp::create(b, f32, arith::ShLIOp::create(b, wide, shift)));
    return;
  }
  default:
    llvm_unreachable("not a float format");
  }
}

/// Q8_0: f16 d, then 32 int8 q. x = q * d.
void decodeQ8_0(Decoder &d, function_ref<void(int64_t, Value)> consume) {
  Value scale = d.loadF16(0);
  Value q = d.signedToF32(d.loadBytes(2, 32));
  consume(0, arith::MulFOp::create(d.b, q, d.splat(scale, 32)));
}

/// The f32 vector<16> constant {0 + offset, 1 + offset, ..., 15 + offset}.
Value iota16(Decoder &d, float offset) {
  SmallVector<float> values(16);
  for (int64_t i = 0; i < 16; ++i)
    values[i] = float(i) + offset;
  return arith::ConstantOp::create(
      d.b, DenseElementsAttr::get(d.vec(16, d.b.getF32Type()), ArrayRef<float>(values)));
}

/// Q4_0: f16 d, then 16 bytes; element j is the low nibble of byte j,
/// element j+16 the high nibble. x = (nibble - 8) * d, looked up in the
/// block's table of the 16 possible values.
void decodeQ4_0(Decoder &d, function_ref<void(int64_t, Value)> consume) {
  ImplicitLocOpBuilder &b = d.b;
  Value table = arith::MulFOp::create(b, iota16(d, -8.0f), d.splat(d.loadF16(0), 16));
  consume(0, lookup32(b, table, d.loadNibbles(2, /*interleaved=*/false)));
}

/// Lane `lane` of `v` in every lane of a vector<n>.
Value broadcastLane(Decoder &d, Value v, int64_t lane, int64_t n) {
  return d.splat(vector::ExtractOp::create(d.b, v, ArrayRef<int64_t>{lane}), n);
}

/// Q4_K's sub-block j (of 8): the low (j even) or high nibbles of bytes
/// [32(j/2), 32(j/2) + 32) of its quants.
Value q4_KNibbles(Decoder &d, int64_t j) {
  ImplicitLocOpBuilder &b = d.b;
  Value q = d.loadBytes(16 + 32 * (j / 2), 32);
  return j % 2 == 0 ? arith::AndIOp::create(b, q, d.i8Splat(32, 0x0F)).getResult()
                    : arith::ShRUIOp::create(b, q, d.i8Splat(32, 4)).getResult();
}

/// An i8 vector constant, lane by lane.
Value i8Vector(Decoder &d, ArrayRef<int8_t> lanes) {
  return arith::ConstantOp::create(
      d.b, DenseElementsAttr::get(d.vec(int64_t(lanes.size()), d.b.getI8Type()), lanes));
}

/// Q4_K's eight sub-block factors as vector<8xf32> lanes: d * scale[j] and
/// dmin * min[j]. The sixteen 6-bit fields are unpacked together as the
/// lanes of one vector (scales 0-7, then mins 0-7), so they are widened and
/// multiplied once.
std::pair<Value, Value> unpackQ4_KFactors(Decoder &d) {
  ImplicitLocOpBuilder &b = d.b;
  // Bytes 4-15 hold the fields; the load's last four bytes are nibbles, unused.
  Value packed = d.loadBytes(4, 16);
  auto shr = [&](Value v, int8_t s) { return arith::ShRUIOp::create(b, v, d.i8Splat(16, s)); };
  // Sub-blocks j < 4: the low 6 bits of byte j (scale) and j + 4 (min);
  // j >= 4: the low (scale) or high (min) nibble of byte j + 4, below the top
  // two bits of byte j - 4 (scale) or j (min). Lanes 16-31 of the first
  // shuffle's operands are the bytes' high nibbles.
  Value lowBits = vector::ShuffleOp::create(
      b, packed, shr(packed, 4),
      ArrayRef<int64_t>{0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 24, 25, 26, 27});
  Value lowMask = i8Vector(d, {63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15});
  // The top two bits moved to bits 4-5 (lanes of j < 4 are masked off).
  Value topBits = vector::ShuffleOp::create(
      b, shr(packed, 2), packed,
      ArrayRef<int64_t>{0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7});
  Value topMask = i8Vector(d, {0, 0, 0, 0, 48, 48, 48, 48, 0, 0, 0, 0, 48, 48, 48, 48});
  Value fields = arith::OrIOp::create(b, arith::AndIOp::create(b, lowBits, lowMask),
                                      arith::AndIOp::create(b, topBits, topMask));
  // d and dmin, the block's first two f16s, in lanes 0-7 and 8-15.
  Value pair = arith::ExtFOp::create(
      b, d.vec(2, b.getF32Type()),
      Value(vector::BitCastOp::create(b, d.vec(2, b.getF16Type()), d.loadBytes(0, 4))));
  SmallVector<int64_t> spread(16);
  for (int64_t i = 0; i < 16; ++i)
    spread[i] = i / 8;
  Value factors = arith::MulFOp::create(b, vector::ShuffleOp::create(b, pair, pair, spread),
                                        d.unsignedToF32(fields));
  auto half = [&](int64_t first) -> Value {
    return vector::ExtractStridedSliceOp::create(b, factors, ArrayRef<int64_t>{first},
                                                 ArrayRef<int64_t>{8}, ArrayRef<int64_t>{1});
  };
  return {half(0), half(8)};
}

/// Q4_K: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins for 8 sub-blocks
/// of 32, then 128 bytes of nibbles: sub-blocks 2g and 2g+1 are the low and
/// high nibbles of bytes [32g, 32g+32). x = (d * scale) * nibble - dmin * min.
///
/// The eight scales and mins are unpacked together as vector<8> lanes; each
/// sub-block's 16 possible values are computed once as a table (the same
/// products as per element) and its nibbles looked up in it.
void decodeQ4_K(Decoder &d, function_ref<void(int64_t, Value)> consume) {
  ImplicitLocOpBuilder &b = d.b;
  auto [d1, m1] = unpackQ4_KFactors(d);
  Value nibbleValues = iota16(d, 0.0f);
  for (int64_t j = 0; j < 8; ++j) {
    Value table = arith::SubFOp::create(
        b, arith::MulFOp::create(b, broadcastLane(d, d1, j, 16), nibbleValues),
        broadcastLane(d, m1, j, 16));
    consume(j, lookup32(b, table, q4_KNibbles(d, j)));
  }
}

/// Q6_K's 16 factors d * scale[i] as vector<16xf32> lanes.
Value q6_KScales(Decoder &d) {
  return arith::MulFOp::create(d.b, d.splat(d.loadF16(208), 16),
                               d.signedToF32(d.loadBytes(192, 16)));
}

/// Q6_K's 32 codes q (0..63, unsigned) of elements [32c, 32c + 32).
Value q6_KCodes(Decoder &d, int64_t c) {
  ImplicitLocOpBuilder &b = d.b;
  int64_t h = c / 4, cc = c % 4;
  Value ql = d.loadBytes(64 * h + 32 * (cc % 2), 32);
  Value low = cc < 2 ? arith::AndIOp::create(b, ql, d.i8Splat(32, 0x0F)).getResult()
                     : arith::ShRUIOp::create(b, ql, d.i8Splat(32, 4)).getResult();
  Value qh = d.loadBytes(128 + 32 * h, 32);
  Value highBits = arith::AndIOp::create(
      b, arith::ShRUIOp::create(b, qh, d.i8Splat(32, 2 * cc)), d.i8Splat(32, 3));
  return arith::OrIOp::create(b, low, arith::ShLIOp::create(b, highBits, d.i8Splat(32, 4)));
}

/// Q6_K: 128 bytes ql (low 4 bits), 64 bytes qh (high 2 bits), 16 int8
/// scales (one per 16 elements), f16 d. In each half h of 128 elements,
/// element 32c + l (c < 4, l < 32) takes the low (c < 2) or high nibble of
/// ql[64h + 32(c % 2) + l] and bits 2c, 2c+1 of qh[32h + l];
/// x = (d * scale[8h + 2c + l/16]) * (q - 32).
void decodeQ6_K(Decoder &d, function_ref<void(int64_t, Value)> consume) {
  ImplicitLocOpBuilder &b = d.b;
  Value scales = q6_KScales(d);
  SmallVector<int64_t> halves(32);
  for (int64_t l = 0; l < 32; ++l)
    halves[l] = l;
  for (int64_t c = 0; c < 8; ++c) {
    Value centered = arith::SubIOp::create(b, q6_KCodes(d, c), d.i8Splat(32, 32));
    // Lanes 0-15 of chunk c take scale 2c, lanes 16-31 scale 2c + 1.
    Value chunkScales = vector::ShuffleOp::create(b, broadcastLane(d, scales, 2 * c, 16),
                                                  broadcastLane(d, scales, 2 * c + 1, 16), halves);
    consume(c, arith::MulFOp::create(b, chunkScales, d.signedToF32(centered)));
  }
}

/// The vector<64> of `low`'s lanes then `high`'s (two vector<32>).
Value concat(Decoder &d, Value low, Value high) {
  SmallVector<int64_t> order(64);
  for (int64_t i = 0; i < 64; ++i)
    order[i] = i;
  return vector::ShuffleOp::create(d.b, low, high, order);
}

/// 2^(e-128) for the E8M0 byte `e` (an i32), as f32: exponent field e-1 for
/// e >= 2, else the subnormals 2^-127 (e = 1) and 2^-128 (e = 0).
Value halfE8M0(Decoder &d, Value e) {
  ImplicitLocOpBuilder &b = d.b;
  Value normal = arith::ShLIOp::create(b, arith::SubIOp::create(b, e, d.i32(1)), d.i32(23));
  Value subnormal = arith::ShLIOp::create(b, d.i32(0x00200000), e);
  Value isNormal = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, e, d.i32(2));
  return arith::BitcastOp::create(b, b.getF32Type(),
                                  arith::SelectOp::create(b, isNormal, normal, subnormal));
}

/// 32 E2M1 codes (vector<32xi8>, one per byte) times the scale 2^(e-127),
/// decoded as ggml does: the doubled E2M1 magnitude (0, 1, 2, 3, 4, 6, 8, 12,
/// negated for codes 9-15) times 2^(e-128), so both zero codes give +0 and
/// e = 255 overflows rather than meaning NaN (docs/formats.md). The products
/// are exact, so scaling the 16-entry table first and looking codes up in it
/// gives the same bits as scaling each element.
Value decodeE2M1(Decoder &d, Value codes, Value e) {
  ImplicitLocOpBuilder &b = d.b;
  Value table = arith::MulFOp::create(b, doubledE2M1(d), d.splat(halfE8M0(d, e), 16));
  return lookup32(b, table, codes);
}

/// An MXFP4 block's 32 codes and its E8M0 exponent (an i32). ggml's order
/// (`mxfp4`): the exponent byte, then 16 bytes; element j is the low nibble
/// of byte j, element j+16 the high nibble. OpenAI's (`mxfp4_oai`): 16
/// bytes, element 2m in the low nibble of byte m and 2m+1 in the high one;
/// the exponent `storedApart` is stored apart.
std::pair<Value, Value> mxfp4CodesAndExponent(Decoder &d, StorageType storage, Value storedApart) {
  if (storage == StorageType::mxfp4)
    return {d.loadNibbles(1, /*interleaved=*/false), d.loadByte(0, /*isSigned=*/false)};
  return {d.loadNibbles(0, /*interleaved=*/true), storedApart};
}

void decodeMXFP4(Decoder &d, StorageType storage, Value storedApart,
                 function_ref<void(int64_t, Value)> consume) {
  auto [codes, e] = mxfp4CodesAndExponent(d, storage, storedApart);
  consume(0, decodeE2M1(d, codes, e));
}

/// FP8 E4M3FN elements times the block's f32 scale. A code s eeee mmm is
/// (1 + m/8) 2^(e-7) for e > 0, m 2^-9 for e = 0, NaN for eeee mmm = 0x7F;
/// built from integer fields so no subnormal float is ever an input.
void decodeE4M3(Decoder &d, const RowLayout &layout, Value scale,
                function_ref<void(int64_t, Value)> consume) {
  ImplicitLocOpBuilder &b = d.b;
  int64_t w = layout.chunkWidth;
  VectorType i32 = d.vec(w, b.getI32Type()), f32 = d.vec(w, b.getF32Type());
  auto splat = [&](int64_t v) { return d.splat(d.i32(v), w); };
  Value code = arith::ExtUIOp::create(b, i32, d.loadBytes(0, w));
  Value magnitude = arith::AndIOp::create(b, code, splat(0x7F));
  Value sign = arith::ShLIOp::create(b, arith::AndIOp::create(b, code, splat(0x80)), splat(24));
  // (e + 120) << 23 | m << 20: the normal value's f32 bits.
  Value normal = arith::AddIOp::create(b, arith::ShLIOp::create(b, magnitude, splat(20)),
                                       splat(120 << 23));
  Value mantissa = arith::AndIOp::create(b, magnitude, splat(7));
  Value subnormal = arith::BitcastOp::create(
      b, i32,
      arith::MulFOp::create(b, d.unsignedToF32(mantissa),
                            d.splat(lmc::cpu::constF32(b, 0x1p-9f), w)));
  Value isSubnormal = arith::CmpIOp::create(b, arith::CmpIPredicate::ult, magnitude, splat(8));
  Value isNaN = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, magnitude, splat(0x7F));
  Value bits = arith::SelectOp::create(
      b, isNaN, splat(0x7FC00000), arith::SelectOp::create(b, isSubnormal, subnormal, normal));
  Value value = arith::BitcastOp::create(b, f32, arith::OrIOp::create(b, bits, sign));
  consume(0, arith::MulFOp::create(b, value, d.splat(scale, w)));
}
} // namespace

bool lmc::cpu::hasIntegerDecoding(StorageType storage) {
  switch (storage) {
  case StorageType::q8_0:
  case StorageType::q4_0:
  case StorageType::q4_k:
  case StorageType::mxfp4:
  case StorageType::mxfp4_oai:
  case StorageType::q6_k:
    return true;
  default:
    return false;
  }
}

int64_t lmc::cpu::integerGroupElems(StorageType storage) {
  return storage == StorageType::q6_k ? 16 : 32;
}

void lmc::cpu::decodeBlockIntegers(ImplicitLocOpBuilder &b, const RowLayout &layout, Value bytes,
                                   Value blockBase, IntegerConsumer consume, Value scale) {
  Decoder d{b, bytes, blockBase};
  switch (layout.storage) {
  case StorageType::q8_0:
    consume(0, d.signedToF32(d.loadBytes(2, 32)), d.loadF16(0), Value());
    return;
  case StorageType::q4_0: {
    Value centered =
        arith::SubIOp::create(b, d.loadNibbles(2, /*interleaved=*/false), d.i8Splat(32, 8));
    consume(0, d.signedToF32(centered), d.loadF16(0), Value());
    return;
  }
  case StorageType::q4_k: {
    auto [d1, m1] = unpackQ4_KFactors(d);
    for (int64_t j = 0; j < 8; ++j) {
      auto lane = [&](Value v) { return vector::ExtractOp::create(b, v, ArrayRef<int64_t>{j}); };
      consume(j, d.unsignedToF32(q4_KNibbles(d, j)), lane(d1), lane(m1));
    }
    return;
  }
  case StorageType::mxfp4:
  case StorageType::mxfp4_oai: {
    auto [codes, e] = mxfp4CodesAndExponent(d, layout.storage, scale);
    consume(0, lookup32(b, doubledE2M1(d), codes), halfE8M0(d, e), Value());
    return;
  }
  case StorageType::q6_k: {
    Value scales = q6_KScales(d);
    for (int64_t c = 0; c < 8; ++c) {
      Value centered =
          d.signedToF32(arith::SubIOp::create(b, q6_KCodes(d, c), d.i8Splat(32, 32)));
      for (int64_t h = 0; h < 2; ++h)
        consume(2 * c + h,
                vector::ExtractStridedSliceOp::create(b, centered, ArrayRef<int64_t>{16 * h},
                                                      ArrayRef<int64_t>{16},
                                                      ArrayRef<int64_t>{1}),
                vector::ExtractOp::create(b, scales, ArrayRef<int64_t>{2 * c + h}), Value());
    }
    return;
  }
  default:
    llvm_unreachable("format has no integer decoding");
  }
}

namespace {

/// The vector<1xf32> of `scalar`.
Value single(Decoder &d, Value scalar) { return d.splat(scalar, 1); }

/// Factors `factors` of values stored as u - offset.
lmc::cpu::ByteFactors offsetFactors(Decoder &d, Value factors, float offset) {
  auto type = cast<VectorType>(factors.getType());
  Value corrections = arith::MulFOp::create(
      d.b, factors, d.splat(lmc::cpu::constF32(d.b, offset), type.getNumElements()));
  return {factors, corrections};
}

} // namespace

bool lmc::cpu::hasByteDecoding(StorageType storage) {
  return storage == StorageType::q8_0 || storage == StorageType::q4_0 ||
         storage == StorageType::q4_k || storage == StorageType::q6_k;
}

lmc::cpu::ByteLayout lmc::cpu::getByteLayout(StorageType storage) {
  switch (storage) {
  case StorageType::q4_k:
    return {64, 32};
  case StorageType::q6_k:
    return {64, 16};
  default:
    return {32, 32};
  }
}

lmc::cpu::ByteFactors lmc::cpu::decodeBlockByteFactors(ImplicitLocOpBuilder &b,
                                                       const RowLayout &layout, Value bytes,
                                                       Value blockBase) {
  Decoder d{b, bytes, blockBase};
  switch (layout.storage) {
  case StorageType::q8_0:
    return offsetFactors(d, single(d, d.loadF16(0)), 128.0f);
  case StorageType::q4_0:
    return offsetFactors(d, single(d, d.loadF16(0)), 8.0f);
  case StorageType::q4_k: {
    auto [d1, m1] = unpackQ4_KFactors(d);
    return {d1, m1};
  }
  case StorageType::q6_k:
    return offsetFactors(d, q6_KScales(d), 32.0f);
  default:
    llvm_unreachable("format has no byte decoding");
  }
}

void lmc::cpu::decodeBlockBytes(ImplicitLocOpBuilder &b, const RowLayout &layout, Value bytes,
                                Value blockBase, function_ref<void(int64_t, Value)> consume) {
  Decoder d{b, bytes, blockBase};
  switch (layout.storage) {
  case StorageType::q8_0:
    // w + 128: the top bit flipped (0x80 is -128 as an i8).
    consume(0, arith::XOrIOp::create(b, d.loadBytes(2, 32), d.i8Splat(32, -128)));
    return;
  case StorageType::q4_0:
    consume(0, d.loadNibbles(2, /*interleaved=*/false));
    return;
  case StorageType::q4_k:
    // Chunk g: sub-blocks 2g and 2g + 1, the low and high nibbles of the
    // same 32 bytes. Each 64-byte load holds two chunks' nibbles.
    for (int64_t h = 0; h < 2; ++h) {
      Value q = d.loadBytes(16 + 64 * h, 64);
      Value low = arith::AndIOp::create(b, q, d.i8Splat(64, 0x0F));
      Value high = arith::ShRUIOp::create(b, q, d.i8Splat(64, 4));
      for (int64_t g = 0; g < 2; ++g) {
        SmallVector<int64_t> order;
        for (int64_t i = 0; i < 64; ++i)
          order.push_back((i < 32 ? 0 : 64) + 32 * g + i % 32);
        consume(2 * h + g, vector::ShuffleOp::create(b, low, high, order));
      }
    }
    return;
  case StorageType::q6_k:
    for (int64_t c = 0; c < 4; ++c)
      consume(c, concat(d, q6_KCodes(d, 2 * c), q6_KCodes(d, 2 * c + 1)));
    return;
  default:
    llvm_unreachable("format has no byte decoding");
  }
}

RowLayout lmc::cpu::getRowLayout(StorageType storage, int64_t rowElems) {
  switch (storage) {
  case StorageType::f32:
  case StorageType::f16:
  case StorageType::bf16:
  case StorageType::e4m3: {
    // Power-of-two chunks never straddle an FP8 scale block (128 elements).
    int64_t w = vectorWidthFor(rowElems);
    return {storage, w, w * getBlockBytes(storage), w};
  }
  default:
    return {storage, getBlockElements(storage), getBlockBytes(storage), 32};
  }
}

void lmc::cpu::decodeBlock(ImplicitLocOpBuilder &b, const RowLayout &layout,
                           Value bytes, Value blockBase,
                           function_ref<void(int64_t, Value)> consume, Value scale) {
  Decoder d{b, bytes, blockBase};
  switch (layout.storage) {
  case StorageType::f32:
  case StorageType::f16:
  case StorageType::bf16:
    return decodeFloat(d, layout, consume);
  case StorageType::q8_0:
    return decodeQ8_0(d, consume);
  case StorageType::q4_0:
    return decodeQ4_0(d, consume);
  case StorageType::q4_k:
    return decodeQ4_K(d, consume);
  case StorageType::q6_k:
    return decodeQ6_K(d, consume);
  case StorageType::mxfp4:
  case StorageType::mxfp4_oai:
    return decodeMXFP4(d, layout.storage, scale, consume);
  case StorageType::e4m3:
    return decodeE4M3(d, layout, scale, consume);
  case StorageType::e8m0:
    llvm_unreachable("e8m0 weights are scales, never decoded as data");
  }
}
