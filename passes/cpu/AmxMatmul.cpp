//===- AmxMatmul.cpp - prefill products on AMX tiles -----------------------===//
#include "passes/cpu/AmxMatmul.h"
#include "dialects/cpu/CPUDialect.h"
#include "passes/cpu/ActivationQuantization.h"
#include "passes/cpu/KernelBuilder.h"
#include "passes/cpu/WeightDecoding.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>

using namespace mlir;
using namespace lmc::cpu;
using lmc::tfm::StorageType;

namespace {

/// Rows of every tile, and f32 columns of the product tile.
constexpr int64_t kTileRows = 16;
/// Elements of a Q8_0 block: the bf16 columns of a weight tile.
constexpr int64_t kBlock = kActivationBlock;
/// bf16 parts an f32 activation is split into.
constexpr int64_t kParts = 3;
/// Weight rows multiplied together: two weight tiles share each activation
/// tile.
constexpr int64_t kPairRows = 2 * kTileRows;
/// Stack bytes an item may take for its unpacked weight group (glibc's
/// smallest default thread stack is 2 MiB).
constexpr int64_t kUnpackStackBytes = 1 << 20;
/// Activation tiles multiplied together: with two weight tiles, four
/// independent accumulation chains, enough to cover the latency of a tile
/// product (about three times its issue interval); two chains left the tile
/// unit waiting.
constexpr int64_t kActivationTiles = 2;
/// Activation tiles (of 16 rows) per work item: the weight group unpacked
/// for an item serves 256 activation rows (with 128, unpacking took ~10 %).
constexpr int64_t kTilesPerBlock = 16;

VectorType vec(int64_t n, Type element) { return VectorType::get({n}, element); }

/// Whether `mode` rounds activations to int8 (on tiles or with VNNI).
bool roundsToInt8(AmxMode mode) { return mode == AmxMode::int8 || mode == AmxMode::vnni8; }

/// What vpdpbusd's unsigned operand holds for a signed weight byte w: w +
/// 128 (the byte with its top bit flipped).
constexpr int64_t kByteBias = 128;

Value offset(ImplicitLocOpBuilder &b, Value base, int64_t delta) {
  return arith::AddIOp::create(b, base, constIndex(b, delta));
}

/// Where activation row i goes: packed row `dest` takes x[source], if
/// `keep` (null: always).
struct PackedRow {
  Value source, dest, keep;
};
using RowMapping = function_ref<PackedRow(ImplicitLocOpBuilder &, Value)>;
/// Packs activation row `source` of x as packed row `dest`.
using RowPacker = function_ref<void(ImplicitLocOpBuilder &, Value source, Value dest)>;

/// Packs the rows i < count that `mapping` keeps, in parallel.
void emitPackRows(ImplicitLocOpBuilder &b, Value count, RowMapping mapping, RowPacker packRow) {
  buildParallelLoop(b, count, [&](ImplicitLocOpBuilder &pb, Value i) {
    PackedRow row = mapping(pb, i);
    if (!row.keep)
      return packRow(pb, row.source, row.dest);
    scf::IfOp::create(pb, row.keep, [&](OpBuilder &nb, Location loc) {
      ImplicitLocOpBuilder kb(loc, nb);
      packRow(kb, row.source, row.dest);
      scf::YieldOp::create(kb);
    });
  });
}

/// One call's activations, packed for the tiles, and for formats with
/// minimums the 32-element block sums of each packed row ([k/32, rows]).
///  - exact: runs of 16 rows in the B operand's layout (`pairs` and
///    `parts` view the same bytes): at [(t * kParts + p) * k/2 + c, i] the
///    bf16 pair (part p of row 16t + i, columns 2c and 2c+1);
///  - int8: `ints` ([rows, k] i8) times `scales` ([k/G, rows] f32): the
///    factor of the 32-element block holding each group of G =
///    `groupElems` elements, the weight's sub-block width;
///  - vnni8: those, and `biasSums` ([k/G, rows] i32): -kByteBias times the
///    sum of each group's integers, what the biased weight bytes add.
struct PackedActivations {
  Value pairs, parts;
  Value ints, scales;
  Value biasSums;
  Value sums;
  int64_t groupElems = kBlock;
};

/// Splits x[source] into kParts bf16 parts at packed row r.
void emitPackRowParts(ImplicitLocOpBuilder &b, Value x, const PackedActivations &packed,
                      int64_t k, Value source, Value r) {
  Type f32 = b.getF32Type(), bf16 = b.getBF16Type();
  Value tile = arith::DivUIOp::create(b, r, constIndex(b, kTileRows));
  Value column = arith::RemUIOp::create(b, r, constIndex(b, kTileRows));
  Value tileBase = arith::MulIOp::create(b, tile, constIndex(b, kParts * (k / 2)));
  buildForLoop(b, constIndex(b, 0), constIndex(b, k), constIndex(b, kBlock), ValueRange{},
               [&](ImplicitLocOpBuilder &lb, Value c, ValueRange) {
    Value rest = vector::LoadOp::create(lb, vec(kBlock, f32), x, ValueRange{source, c});
    if (packed.sums)
      memref::StoreOp::create(
          lb, reduceAdd(lb, rest), packed.sums,
          ValueRange{arith::DivUIOp::create(lb, c, constIndex(lb, kBlock)), r});
    Value pair0 =
        arith::AddIOp::create(lb, tileBase, arith::DivUIOp::create(lb, c, constIndex(lb, 2)));
    for (int64_t p = 0; p < kParts; ++p) {
      Value part = arith::TruncFOp::create(lb, vec(kBlock, bf16), rest);
      if (p + 1 < kParts)
        rest = arith::SubFOp::create(lb, rest, arith::ExtFOp::create(lb, vec(kBlock, f32), part));
      Value packedPart = vector::BitCastOp::create(lb, vec(kBlock / 2, lb.getI32Type()), part);
      Value row0 = offset(lb, pair0, p * (k / 2));
      for (int64_t i = 0; i < kBlock / 2; ++i)
        memref::StoreOp::create(lb,
                                vector::ExtractOp::create(lb, packedPart, ArrayRef<int64_t>{i}),
                                packed.pairs, ValueRange{offset(lb, row0, i), column});
    }
    return SmallVector<Value>{};
  });
}

/// Rounds x[source] to int8 per 32-element block at packed row r
/// (quantizeBlock), its factor stored for each of the block's groups.
void emitQuantizeRow(ImplicitLocOpBuilder &b, Value x, const PackedActivations &packed,
                     int64_t k, Value source, Value r) {
  int64_t groups = kBlock / packed.groupElems;
  emitQuantizeRowBlocks(b, x, source, k, [&](ImplicitLocOpBuilder &lb, Value c,
                                             const QuantizedBlock &q) {
    vector::StoreOp::create(lb, q.ints, packed.ints, ValueRange{r, c});
    Value group0 = arith::DivUIOp::create(lb, c, constIndex(lb, packed.groupElems));
    for (int64_t g = 0; g < groups; ++g)
      memref::StoreOp::create(lb, q.factor, packed.scales, ValueRange{offset(lb, group0, g), r});
    if (packed.biasSums)
      for (int64_t g = 0; g < groups; ++g) {
        Value ints = vector::ExtractStridedSliceOp::create(
            lb, q.ints, ArrayRef<int64_t>{g * packed.groupElems},
            ArrayRef<int64_t>{packed.groupElems}, ArrayRef<int64_t>{1});
        Value sum = vector::ReductionOp::create(
            lb, vector::CombiningKind::ADD,
            arith::ExtSIOp::create(lb, vec(packed.groupElems, lb.getI32Type()), ints));
        Value bias = arith::ConstantOp::create(lb, lb.getI32IntegerAttr(-kByteBias));
        memref::StoreOp::create(lb, arith::MulIOp::create(lb, sum, bias), packed.biasSums,
                                ValueRange{offset(lb, group0, g), r});
      }
    // Sums only for Q4_K, whose groups are the blocks.
    if (packed.sums)
      memref::StoreOp::create(lb, arith::MulFOp::create(lb, q.factor, reduceAdd(lb, q.rounded)),
                              packed.sums, ValueRange{group0, r});
  });
}

/// Packs the rows `mapping` keeps of x as `mode` multiplies them.
void emitPackActivations(ImplicitLocOpBuilder &b, AmxMode mode, Value x,
                         const PackedActivations &packed, Value count, int64_t k,
                         RowMapping mapping) {
  emitPackRows(b, count, mapping, [&](ImplicitLocOpBuilder &pb, Value source, Value dest) {
    if (roundsToInt8(mode))
      emitQuantizeRow(pb, x, packed, k, source, dest);
    else
      emitPackRowParts(pb, x, packed, k, source, dest);
  });
}

/// Stores sub-block `sub` of unpacked weight row j (a vector<G x f32> of
/// integers) where the products read it.
using IntegerStore =
    function_ref<void(ImplicitLocOpBuilder &, Value ints, Value j, Value sub)>;

/// Weight rows [first, first + rows) of slice `slice`: their integers given
/// to `storeInts`, the factors of each sub-block (integerGroupElems) in
/// `scales` and, for formats with minimums, the negated minimums in
/// `negMins` (both [k/G, rows] f32).
void emitUnpackWeights(ImplicitLocOpBuilder &b, const WeightReader &w, Value slice, Value first,
                       IntegerStore storeInts, Value scales, Value negMins, int64_t rows) {
  const RowLayout &layout = w.layout();
  int64_t subBlocks = layout.blockElems / integerGroupElems(layout.storage);
  buildForLoop(b, constIndex(b, 0), constIndex(b, rows), constIndex(b, 1), ValueRange{},
               [&](ImplicitLocOpBuilder &rb, Value j, ValueRange) {
    WeightRow row = w.row(rb, slice, arith::AddIOp::create(rb, first, j));
    buildForLoop(rb, constIndex(rb, 0), constIndex(rb, w.blocksPerRow()), constIndex(rb, 1),
                 ValueRange{}, [&](ImplicitLocOpBuilder &lb, Value block, ValueRange) {
      Value sub0 = arith::MulIOp::create(lb, block, constIndex(lb, subBlocks));
      w.decodeIntegers(lb, row, block, [&](int64_t s, Value values, Value scale, Value min) {
        Value sub = offset(lb, sub0, s);
        memref::StoreOp::create(lb, scale, scales, ValueRange{sub, j});
        if (negMins)
          memref::StoreOp::create(lb, arith::NegFOp::create(lb, min), negMins, ValueRange{sub, j});
        storeInts(lb, values, j, sub);
      });
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
}

/// Stack bytes per unpacked weight row: integers (bf16 for exact, int8)
/// and f32 factors per sub-block of `groupElems`.
int64_t unpackedRowBytes(AmxMode mode, int64_t k, bool withMins, int64_t groupElems) {
  int64_t intBytes = roundsToInt8(mode) ? 1 : 2;
  return intBytes * k + (withMins ? 2 : 1) * 4 * (k / groupElems);
}

bool hasMins(StorageType storage) { return storage == StorageType::q4_k; }

/// Weight rows unpacked together: as many as fit 1 MiB of L2 as `mode`
/// unpacks them (up to 256), so every 16 activation rows fetched serve them
/// all.
int64_t groupRows(AmxMode mode, int64_t n, int64_t k, bool withMins, int64_t groupElems) {
  int64_t cap = std::max<int64_t>(
      kPairRows, kUnpackStackBytes / unpackedRowBytes(mode, k, withMins, groupElems) /
                     kPairRows * kPairRows);
  for (int64_t g = std::min<int64_t>(cap, 256); g > kPairRows; g -= kPairRows)
    if (n % g == 0)
      return g;
  return kPairRows;
}

} // namespace

StringRef lmc::cpu::getAmxKernelSuffix(AmxMode mode) {
  switch (mode) {
  case AmxMode::off:
    return "";
  case AmxMode::exact:
    return "_amx";
  case AmxMode::int8:
    return "_amx8";
  case AmxMode::vnni8:
    return "_vnnimm8";
  }
  llvm_unreachable("unknown AMX mode");
}

bool lmc::cpu::hasAmxMatmul(const WeightAccess &weight, int64_t n, int64_t k, AmxMode mode) {
  StorageType storage = weight.type().getStorage();
  // Q6_K's 16-element sub-blocks: only on int8 tiles (bf16 ones, with three
  // parts per product, measured no faster than the tiled f32 path).
  if (storage == StorageType::q6_k && !roundsToInt8(mode))
    return false;
  // Scales stored apart: OpenAI's MXFP4 exponents, which decodeIntegers reads.
  return hasIntegerDecoding(storage) &&
         (!weight.scales || storage == StorageType::mxfp4_oai) && n % kPairRows == 0 &&
         k % kBlock == 0;
}

namespace {

/// Packed storage for `rows` activation rows (a multiple of 32).
PackedActivations allocPacked(ImplicitLocOpBuilder &b, AmxMode mode, Value rows, int64_t k,
                              bool withMins, int64_t groupElems) {
  Value zero = constIndex(b, 0);
  auto blockRows = [&](Type element) {
    return MemRefType::get({k / groupElems, ShapedType::kDynamic}, element);
  };
  PackedActivations packed;
  packed.groupElems = groupElems;
  if (withMins)
    packed.sums = allocBuffer(b, b.getLoc(), blockRows(b.getF32Type()), ValueRange{rows});
  if (roundsToInt8(mode)) {
    packed.ints = allocBuffer(b, b.getLoc(), MemRefType::get({ShapedType::kDynamic, k},
                                                             b.getI8Type()),
                              ValueRange{rows});
    packed.scales = allocBuffer(b, b.getLoc(), blockRows(b.getF32Type()), ValueRange{rows});
    if (mode == AmxMode::vnni8)
      packed.biasSums = allocBuffer(b, b.getLoc(), blockRows(b.getI32Type()), ValueRange{rows});
    return packed;
  }
  Value runs = arith::MulIOp::create(
      b, arith::DivUIOp::create(b, rows, constIndex(b, kTileRows)),
      constIndex(b, kParts * (k / 2)));
  Value bytes = allocBuffer(b, b.getLoc(), MemRefType::get({ShapedType::kDynamic}, b.getI8Type()),
                            ValueRange{arith::MulIOp::create(b, runs, constIndex(b, 4 * kTileRows))});
  packed.pairs = memref::ViewOp::create(
      b, MemRefType::get({ShapedType::kDynamic, kTileRows}, b.getI32Type()), bytes, zero,
      ValueRange{runs});
  packed.parts = memref::ViewOp::create(
      b, MemRefType::get({ShapedType::kDynamic, 2 * kTileRows}, b.getBF16Type()), bytes, zero,
      ValueRange{runs});
  return packed;
}

/// The row of y that packed activation row `row` goes to.
using OutputRow = function_ref<Value(ImplicitLocOpBuilder &, Value row)>;

/// A group of weight rows unpacked for the tiles: integers (exact: `ints`
/// [group, k] bf16; int8: `quads` and `bytes`, two views of the B
/// operand's layout, at [(j/16) * k/4 + c/4, j%16] the four int8 of row j,
/// columns c..c+3; vnni8: the same, each byte biased by kByteBias to be
/// read unsigned), and per sub-block of `groupElems` the factors and
/// negated minimums ([k/G, group] f32).
struct UnpackedWeights {
  Value ints, quads, bytes;
  Value scales, negMins;
  int64_t groupElems;
};

/// Unpacks weight rows [first, first + group) of slice `slice` as `mode`
/// multiplies them, on the stack of the thread running the item when they
/// fit, else (rows of 16K or more) on the heap.
UnpackedWeights emitUnpackGroup(ImplicitLocOpBuilder &b, AmxMode mode, const WeightReader &w,
                                Value slice, Value first, int64_t group, int64_t k) {
  Type f32 = b.getF32Type();
  bool withMins = hasMins(w.layout().storage);
  int64_t groupElems = integerGroupElems(w.layout().storage);
  bool onHeap = group * unpackedRowBytes(mode, k, withMins, groupElems) > kUnpackStackBytes;
  auto buffer = [&](MemRefType type) -> Value {
    if (onHeap)
      return allocBuffer(b, b.getLoc(), type, ValueRange{});
    return memref::AllocaOp::create(b, type, ValueRange{}, b.getI64IntegerAttr(64));
  };
  UnpackedWeights unpacked;
  unpacked.groupElems = groupElems;
  unpacked.scales = buffer(MemRefType::get({k / groupElems, group}, f32));
  if (withMins)
    unpacked.negMins = buffer(MemRefType::get({k / groupElems, group}, f32));
  if (roundsToInt8(mode)) {
    int64_t runs = group / kTileRows * (k / 4);
    // 0x80 (-128 as an i8): the top bit.
    Value byteBias = mode == AmxMode::vnni8 ? constI8Vector(b, groupElems, -kByteBias) : Value();
    Value storage = buffer(MemRefType::get({group * k}, b.getI8Type()));
    Value zero = constIndex(b, 0);
    unpacked.quads = memref::ViewOp::create(
        b, MemRefType::get({runs, kTileRows}, b.getI32Type()), storage, zero, ValueRange{});
    unpacked.bytes = memref::ViewOp::create(
        b, MemRefType::get({runs, 4 * kTileRows}, b.getI8Type()), storage, zero, ValueRange{});
    emitUnpackWeights(b, w, slice, first, [&](ImplicitLocOpBuilder &lb, Value values, Value j,
                                              Value sub) {
      Value bytes = arith::FPToSIOp::create(lb, vec(groupElems, lb.getI8Type()), values);
      if (byteBias)
        bytes = arith::XOrIOp::create(lb, bytes, byteBias);
      Value quads = vector::BitCastOp::create(lb, vec(groupElems / 4, lb.getI32Type()), bytes);
      Value tile = arith::DivUIOp::create(lb, j, constIndex(lb, kTileRows));
      Value column = arith::RemUIOp::create(lb, j, constIndex(lb, kTileRows));
      Value run0 = arith::AddIOp::create(
          lb, arith::MulIOp::create(lb, tile, constIndex(lb, k / 4)),
          arith::MulIOp::create(lb, sub, constIndex(lb, groupElems / 4)));
      for (int64_t i = 0; i < groupElems / 4; ++i)
        memref::StoreOp::create(lb, vector::ExtractOp::create(lb, quads, ArrayRef<int64_t>{i}),
                                unpacked.quads, ValueRange{offset(lb, run0, i), column});
    }, unpacked.scales, unpacked.negMins, group);
    return unpacked;
  }
  unpacked.ints = buffer(MemRefType::get({group, k}, b.getBF16Type()));
  emitUnpackWeights(b, w, slice, first, [&](ImplicitLocOpBuilder &lb, Value values, Value j,
                                            Value sub) {
    Value exact = arith::TruncFOp::create(lb, vec(kBlock, lb.getBF16Type()), values);
    vector::StoreOp::create(lb, exact, unpacked.ints,
                            ValueRange{j, arith::MulIOp::create(lb, sub, constIndex(lb, kBlock))});
  }, unpacked.scales, unpacked.negMins, group);
  return unpacked;
}

/// What the products of one work item write: y[outputRow(r), first + j] =
/// product (+ bias(first + j)) for the packed rows r below `rowsEnd`.
struct ProductOutput {
  Value y, first, rowsEnd;
  OutputRow outputRow;
  ColumnBias bias;

  /// How many of the packed rows [m0, m0 + span) are below rowsEnd.
  Value rowsFrom(ImplicitLocOpBuilder &b, Value m0, int64_t span) const {
    Value left = arith::SubIOp::create(b, arith::MaxUIOp::create(b, rowsEnd, m0), m0);
    return arith::MinUIOp::create(b, constIndex(b, span), left);
  }

  /// The biases of the 16 output columns from `column0` as one vector, or
  /// null without a bias.
  Value biasLanes(ImplicitLocOpBuilder &b, Value column0) const {
    if (!bias)
      return Value();
    VectorType lanes = vec(kTileRows, b.getF32Type());
    Value v = arith::ConstantOp::create(b, DenseElementsAttr::get(lanes, b.getF32FloatAttr(0)));
    for (int64_t l = 0; l < kTileRows; ++l)
      v = vector::InsertOp::create(b, bias(b, offset(b, column0, l)), v, ArrayRef<int64_t>{l});
    return v;
  }
};

/// The exact products of an unpacked group with the packed activation tiles
/// [tile0, tileEnd) (whole pairs of tiles), on bf16 tiles.
void emitPartProducts(ImplicitLocOpBuilder &pb, const UnpackedWeights &unpacked, int64_t group,
                      int64_t k, const PackedActivations &packed, Value tile0, Value tileEnd,
                      const ProductOutput &out) {
  Type f32 = pb.getF32Type(), bf16 = pb.getBF16Type();
  Value zero = constIndex(pb, 0), one = constIndex(pb, 1);
  Value tileRows = constIndex(pb, kTileRows);
  int64_t tileRuns = kParts * (k / 2);
  auto operandTile = amx::TileType::get({kTileRows, kBlock}, bf16);
  auto productTile = amx::TileType::get({kTileRows, kTileRows}, f32);
  VectorType lanes = vec(kTileRows, f32);
  Value zeros = arith::ConstantOp::create(pb, DenseElementsAttr::get(lanes, pb.getF32FloatAttr(0)));
  auto align = pb.getI64IntegerAttr(64);
  auto accType = MemRefType::get({kPairRows, kActivationTiles * kTileRows}, f32);
  Value acc = memref::AllocaOp::create(pb, accType, ValueRange{}, align);
  Value products = memref::AllocaOp::create(pb, accType, ValueRange{}, align);
  buildForLoop(pb, tile0, tileEnd, constIndex(pb, kActivationTiles), ValueRange{},
               [&](ImplicitLocOpBuilder &tb, Value t, ValueRange) {
    Value run0 = arith::MulIOp::create(tb, t, constIndex(tb, tileRuns));
    Value m0 = arith::MulIOp::create(tb, t, tileRows);
    buildForLoop(tb, zero, constIndex(tb, group), constIndex(tb, kPairRows), ValueRange{},
                 [&](ImplicitLocOpBuilder &mb, Value pair, ValueRange) {
      for (int64_t r = 0; r < kPairRows; ++r)
        for (int64_t u = 0; u < kActivationTiles; ++u)
          vector::StoreOp::create(mb, zeros, acc,
                                  ValueRange{constIndex(mb, r), constIndex(mb, u * kTileRows)});
      buildForLoop(mb, zero, constIndex(mb, k / kBlock), one, ValueRange{},
                   [&](ImplicitLocOpBuilder &lb, Value block, ValueRange) {
        Value k0 = arith::MulIOp::create(lb, block, constIndex(lb, kBlock));
        Value pair0 = arith::AddIOp::create(
            lb, run0, arith::MulIOp::create(lb, block, constIndex(lb, kBlock / 2)));
        // c[h][u]: weight tile h times activation tile u.
        Value a[2], c[2][kActivationTiles];
        for (int64_t h = 0; h < 2; ++h) {
          a[h] = amx::TileLoadOp::create(lb, operandTile, unpacked.ints,
                                         ValueRange{offset(lb, pair, h * kTileRows), k0});
          for (int64_t u = 0; u < kActivationTiles; ++u)
            c[h][u] = amx::TileZeroOp::create(lb, productTile);
        }
        for (int64_t p = 0; p < kParts; ++p)
          for (int64_t u = 0; u < kActivationTiles; ++u) {
            Value part = amx::TileLoadOp::create(
                lb, operandTile, packed.parts,
                ValueRange{offset(lb, pair0, u * tileRuns + p * (k / 2)), zero});
            for (int64_t h = 0; h < 2; ++h)
              c[h][u] = amx::TileMulFOp::create(lb, productTile, a[h], part, c[h][u]);
          }
        for (int64_t h = 0; h < 2; ++h)
          for (int64_t u = 0; u < kActivationTiles; ++u)
            amx::TileStoreOp::create(
                lb, products,
                ValueRange{constIndex(lb, h * kTileRows), constIndex(lb, u * kTileRows)}, c[h][u]);
        // acc[r] += scale of (block, weight row pair + r) * products[r].
        for (int64_t r = 0; r < kPairRows; ++r) {
          Value rowIndex = constIndex(lb, r);
          Value weightRow = offset(lb, pair, r);
          Value scale = vector::BroadcastOp::create(
              lb, lanes, memref::LoadOp::create(lb, unpacked.scales, ValueRange{block, weightRow}));
          Value negMin;
          if (unpacked.negMins)
            negMin = vector::BroadcastOp::create(
                lb, lanes,
                memref::LoadOp::create(lb, unpacked.negMins, ValueRange{block, weightRow}));
          for (int64_t u = 0; u < kActivationTiles; ++u) {
            Value column = constIndex(lb, u * kTileRows);
            Value sum = vector::FMAOp::create(
                lb, scale, vector::LoadOp::create(lb, lanes, products, ValueRange{rowIndex, column}),
                vector::LoadOp::create(lb, lanes, acc, ValueRange{rowIndex, column}));
            // Minus the minimum times the activations' block sums.
            if (negMin)
              sum = vector::FMAOp::create(
                  lb, negMin,
                  vector::LoadOp::create(lb, lanes, packed.sums,
                                         ValueRange{block, offset(lb, m0, u * kTileRows)}),
                  sum);
            vector::StoreOp::create(lb, sum, acc, ValueRange{rowIndex, column});
          }
        }
        return SmallVector<Value>{};
      });
      // acc is [weight row, activation row]: y takes it transposed.
      Value column0 = arith::AddIOp::create(mb, out.first, pair);
      SmallVector<Value> columns, biases;
      for (int64_t r = 0; r < kPairRows; ++r) {
        columns.push_back(offset(mb, column0, r));
        if (out.bias)
          biases.push_back(out.bias(mb, columns.back()));
      }
      Value count = out.rowsFrom(mb, m0, kActivationTiles * kTileRows);
      buildForLoop(mb, zero, count, one, ValueRange{}, [&](ImplicitLocOpBuilder &lb, Value i,
                                                           ValueRange) {
        Value yRow = out.outputRow(lb, arith::AddIOp::create(lb, m0, i));
        for (int64_t r = 0; r < kPairRows; ++r) {
          Value v = memref::LoadOp::create(lb, acc, ValueRange{constIndex(lb, r), i});
          if (out.bias)
            v = arith::AddFOp::create(lb, v, biases[r]);
          memref::StoreOp::create(lb, v, out.y, ValueRange{yRow, columns[r]});
        }
        return SmallVector<Value>{};
      });
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
}

/// Blocks of 32 columns whose int8 products are in flight together: two
/// keep six of the eight tile registers busy while the previous pair is
/// scaled.
constexpr int64_t kInt8BlocksInFlight = 2;

/// The int8 products of an unpacked group with the quantized activation
/// tiles [tile0, tileEnd): for each 16 activation rows x 16 weight rows,
/// one int8 tile product per 32-column block, scaled by the outer product
/// of the two blocks' factors into sixteen register accumulators (one per
/// activation row: the output rows, as y stores them).
void emitInt8Products(ImplicitLocOpBuilder &pb, const UnpackedWeights &unpacked, int64_t group,
                      int64_t k, const PackedActivations &packed, Value tile0, Value tileEnd,
                      const ProductOutput &out) {
  Type f32 = pb.getF32Type(), i8 = pb.getI8Type(), i32 = pb.getI32Type();
  Value zero = constIndex(pb, 0), one = constIndex(pb, 1);
  Value tileRows = constIndex(pb, kTileRows);
  // A block here is a sub-block of the weight's (32 elements, 16 for Q6_K).
  int64_t width = unpacked.groupElems;
  int64_t blocks = k / width;
  auto activationTile = amx::TileType::get({kTileRows, width}, i8);
  auto weightTile = amx::TileType::get({width / 4, 4 * kTileRows}, i8);
  auto productTile = amx::TileType::get({kTileRows, kTileRows}, i32);
  VectorType lanes = vec(kTileRows, f32);
  Value zeros = arith::ConstantOp::create(pb, DenseElementsAttr::get(lanes, pb.getF32FloatAttr(0)));
  auto align = pb.getI64IntegerAttr(64);
  // Two steps' products (see the pipelining below).
  Value products = memref::AllocaOp::create(
      pb, MemRefType::get({2 * kInt8BlocksInFlight * kTileRows, kTileRows}, i32), ValueRange{},
      align);
  Value staged = memref::AllocaOp::create(pb, MemRefType::get({kTileRows, kTileRows}, f32),
                                          ValueRange{}, align);

  buildForLoop(pb, tile0, tileEnd, one, ValueRange{}, [&](ImplicitLocOpBuilder &tb, Value t,
                                                          ValueRange) {
    Value m0 = arith::MulIOp::create(tb, t, tileRows);
    buildForLoop(tb, zero, constIndex(tb, group / kTileRows), one, ValueRange{},
                 [&](ImplicitLocOpBuilder &wb, Value weightTileIndex, ValueRange) {
      Value j0 = arith::MulIOp::create(wb, weightTileIndex, tileRows);
      Value run0 = arith::MulIOp::create(wb, weightTileIndex, constIndex(wb, k / 4));
      // Tile products of blocks [block0, block0 + count) into the
      // products rows from `slot`.
      auto multiply = [&](ImplicitLocOpBuilder &lb, Value block0, int64_t count, Value slot) {
        // All operands first, so that the blocks' tiles are live together
        // and take separate tile registers: reusing one makes each block's
        // product wait for the previous block's store.
        SmallVector<Value> activations, weights, results;
        for (int64_t u = 0; u < count; ++u) {
          Value block = offset(lb, block0, u);
          activations.push_back(amx::TileLoadOp::create(
              lb, activationTile, packed.ints,
              ValueRange{m0, arith::MulIOp::create(lb, block, constIndex(lb, width))}));
          Value run = arith::AddIOp::create(
              lb, run0, arith::MulIOp::create(lb, block, constIndex(lb, width / 4)));
          weights.push_back(
              amx::TileLoadOp::create(lb, weightTile, unpacked.bytes, ValueRange{run, zero}));
        }
        for (int64_t u = 0; u < count; ++u)
          results.push_back(amx::TileZeroOp::create(lb, productTile));
        for (int64_t u = 0; u < count; ++u)
          results[u] = amx::TileMulIOp::create(lb, productTile, activations[u], weights[u],
                                               results[u]);
        for (int64_t u = 0; u < count; ++u)
          amx::TileStoreOp::create(lb, products, ValueRange{offset(lb, slot, u * kTileRows), zero},
                                   results[u]);
      };
      // The accumulators `acc` plus the scaled products of those blocks.
      auto scale = [&](ImplicitLocOpBuilder &lb, Value block0, int64_t count, Value slot,
                       ValueRange acc) -> SmallVector<Value> {
        SmallVector<Value> sums(acc.begin(), acc.end());
        for (int64_t u = 0; u < count; ++u) {
          Value block = offset(lb, block0, u);
          Value weightScales = vector::LoadOp::create(lb, lanes, unpacked.scales,
                                                      ValueRange{block, j0});
          Value negMins;
          if (unpacked.negMins)
            negMins = vector::LoadOp::create(lb, lanes, unpacked.negMins, ValueRange{block, j0});
          for (int64_t i = 0; i < kTileRows; ++i) {
            Value row = offset(lb, m0, i);
            Value factors = arith::MulFOp::create(
                lb, weightScales,
                vector::BroadcastOp::create(
                    lb, lanes, memref::LoadOp::create(lb, packed.scales, ValueRange{block, row})));
            Value product = arith::SIToFPOp::create(
                lb, lanes,
                vector::LoadOp::create(lb, vec(kTileRows, i32), products,
                                       ValueRange{offset(lb, slot, u * kTileRows + i), zero}));
            sums[i] = vector::FMAOp::create(lb, product, factors, sums[i]);
            // Minus the minimums times the activations' block sums.
            if (negMins)
              sums[i] = vector::FMAOp::create(
                  lb, negMins,
                  vector::BroadcastOp::create(
                      lb, lanes, memref::LoadOp::create(lb, packed.sums, ValueRange{block, row})),
                  sums[i]);
          }
        }
        return sums;
      };
      // Software-pipelined: each step multiplies the next kInt8BlocksInFlight
      // blocks while it scales the previous ones, whose products are stored
      // by then (scaling a product right after its tile store waits for it).
      int64_t steps = blocks / kInt8BlocksInFlight;
      Value stepRows = constIndex(wb, kInt8BlocksInFlight * kTileRows);
      auto slotOf = [&](ImplicitLocOpBuilder &lb, Value step) {
        return arith::MulIOp::create(lb, arith::RemUIOp::create(lb, step, constIndex(lb, 2)),
                                     stepRows);
      };
      auto firstBlock = [&](ImplicitLocOpBuilder &lb, Value step) {
        return arith::MulIOp::create(lb, step, constIndex(lb, kInt8BlocksInFlight));
      };
      SmallVector<Value> sums(kTileRows, zeros);
      if (steps > 0) {
        multiply(wb, zero, kInt8BlocksInFlight, zero);
        ValueRange loopSums = buildForLoop(
            wb, one, constIndex(wb, steps), one, sums,
            [&](ImplicitLocOpBuilder &lb, Value step, ValueRange acc) {
              multiply(lb, firstBlock(lb, step), kInt8BlocksInFlight, slotOf(lb, step));
              Value previous = arith::SubIOp::create(lb, step, one);
              return scale(lb, firstBlock(lb, previous), kInt8BlocksInFlight,
                           slotOf(lb, previous), acc);
            });
        Value last = constIndex(wb, steps - 1);
        sums = scale(wb, firstBlock(wb, last), kInt8BlocksInFlight, slotOf(wb, last),
                     SmallVector<Value>(loopSums.begin(), loopSums.end()));
      }
      if (int64_t rest = blocks - steps * kInt8BlocksInFlight) {
        Value block0 = constIndex(wb, steps * kInt8BlocksInFlight);
        multiply(wb, block0, rest, zero);
        sums = scale(wb, block0, rest, zero, sums);
      }

      Value column0 = arith::AddIOp::create(wb, out.first, j0);
      Value bias = out.biasLanes(wb, column0);
      for (int64_t i = 0; i < kTileRows; ++i)
        vector::StoreOp::create(wb, sums[i], staged, ValueRange{constIndex(wb, i), zero});
      Value count = out.rowsFrom(wb, m0, kTileRows);
      buildForLoop(wb, zero, count, one, ValueRange{}, [&](ImplicitLocOpBuilder &lb, Value i,
                                                           ValueRange) {
        Value v = vector::LoadOp::create(lb, lanes, staged, ValueRange{i, zero});
        if (bias)
          v = arith::AddFOp::create(lb, v, bias);
        vector::StoreOp::create(lb, v, out.y,
                                ValueRange{out.outputRow(lb, arith::AddIOp::create(lb, m0, i)),
                                           column0});
        return SmallVector<Value>{};
      });
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
}

/// Activation rows, and runs of 16 weight rows, whose VNNI products are
/// summed in registers together: 4 x 2 int32 sums of a sub-block and as
/// many f32 accumulators, 16 of the 32 vector registers, eight independent
/// vpdpbusd chains.
constexpr int64_t kVnniRows = 4;
constexpr int64_t kVnniRuns = 2;

/// The vnni8 products of an unpacked group with the quantized activation
/// rows of tiles [tile0, tileEnd): for each kVnniRows activation rows x
/// kVnniRuns * 16 weight rows, per sub-block one vpdpbusd per four columns
/// (16 weight rows' biased bytes times an activation row's four bytes,
/// broadcast), started from the activations' bias sums, then scaled by the
/// two factors into f32 accumulators.
void emitVnniProducts(ImplicitLocOpBuilder &pb, const UnpackedWeights &unpacked, int64_t group,
                      int64_t k, const PackedActivations &packed, Value tile0, Value tileEnd,
                      const ProductOutput &out) {
  Type f32 = pb.getF32Type(), i8 = pb.getI8Type(), i32 = pb.getI32Type();
  Value zero = constIndex(pb, 0), one = constIndex(pb, 1);
  int64_t width = unpacked.groupElems;
  VectorType lanes = vec(kTileRows, f32), sums = vec(kTileRows, i32);
  VectorType bytes = vec(4 * kTileRows, i8);
  Value zeros = arith::ConstantOp::create(pb, DenseElementsAttr::get(lanes, pb.getF32FloatAttr(0)));
  Value rowsBegin = arith::MulIOp::create(pb, tile0, constIndex(pb, kTileRows));
  Value packedEnd = arith::MulIOp::create(pb, tileEnd, constIndex(pb, kTileRows));
  // Weight-run-major: a run pair's unpacked bytes (32 x k) stay in L1 while
  // every activation row of the item passes.
  int64_t runRows = kVnniRuns * kTileRows;
  buildForLoop(pb, zero, constIndex(pb, group / runRows), one, ValueRange{},
               [&](ImplicitLocOpBuilder &wb, Value runPair, ValueRange) {
    Value j0 = arith::MulIOp::create(wb, runPair, constIndex(wb, runRows));
    Value column0 = arith::AddIOp::create(wb, out.first, j0);
    SmallVector<Value> runBase, bias;
    for (int64_t v = 0; v < kVnniRuns; ++v) {
      runBase.push_back(arith::MulIOp::create(
          wb, arith::AddIOp::create(wb, arith::MulIOp::create(wb, runPair, constIndex(wb, kVnniRuns)),
                                    constIndex(wb, v)),
          constIndex(wb, k / 4)));
      bias.push_back(out.biasLanes(wb, offset(wb, column0, v * kTileRows)));
    }
    buildForLoop(wb, rowsBegin, packedEnd, constIndex(wb, kVnniRows), ValueRange{},
                 [&](ImplicitLocOpBuilder &rb, Value m0, ValueRange) {
      SmallVector<Value> rows;
      for (int64_t r = 0; r < kVnniRows; ++r)
        rows.push_back(offset(rb, m0, r));
      // acc[r * kVnniRuns + v]: activation row r, weight run v.
      SmallVector<Value> init(kVnniRows * kVnniRuns, zeros);
      ValueRange acc = buildForLoop(
          rb, zero, constIndex(rb, k / width), one, init,
          [&](ImplicitLocOpBuilder &lb, Value sub, ValueRange current) {
        SmallVector<Value> dots;
        for (int64_t r = 0; r < kVnniRows; ++r) {
          Value start = vector::BroadcastOp::create(
              lb, sums, memref::LoadOp::create(lb, packed.biasSums, ValueRange{sub, rows[r]}));
          dots.append(kVnniRuns, start);
        }
        Value column = arith::MulIOp::create(lb, sub, constIndex(lb, width));
        Value quad0 = arith::MulIOp::create(lb, sub, constIndex(lb, width / 4));
        for (int64_t q = 0; q < width / 4; ++q) {
          SmallVector<Value> weights;
          for (int64_t v = 0; v < kVnniRuns; ++v)
            weights.push_back(vector::LoadOp::create(
                lb, bytes, unpacked.bytes,
                ValueRange{arith::AddIOp::create(lb, runBase[v], offset(lb, quad0, q)), zero}));
          for (int64_t r = 0; r < kVnniRows; ++r) {
            Value four = vector::LoadOp::create(lb, vec(4, i8), packed.ints,
                                                ValueRange{rows[r], offset(lb, column, 4 * q)});
            Value quad = vector::ExtractOp::create(
                lb, vector::BitCastOp::create(lb, vec(1, i32), four), ArrayRef<int64_t>{0});
            Value broadcast =
                vector::BitCastOp::create(lb, bytes, vector::BroadcastOp::create(lb, sums, quad));
            for (int64_t v = 0; v < kVnniRuns; ++v) {
              Value &dot = dots[r * kVnniRuns + v];
              dot = DotBytesOp::create(lb, sums, weights[v], broadcast, dot);
            }
          }
        }
        SmallVector<Value> next(current);
        SmallVector<Value> weightScales, negMins;
        for (int64_t v = 0; v < kVnniRuns; ++v) {
          Value j = offset(lb, j0, v * kTileRows);
          weightScales.push_back(
              vector::LoadOp::create(lb, lanes, unpacked.scales, ValueRange{sub, j}));
          if (unpacked.negMins)
            negMins.push_back(
                vector::LoadOp::create(lb, lanes, unpacked.negMins, ValueRange{sub, j}));
        }
        for (int64_t r = 0; r < kVnniRows; ++r) {
          Value scale = vector::BroadcastOp::create(
              lb, lanes, memref::LoadOp::create(lb, packed.scales, ValueRange{sub, rows[r]}));
          Value blockSum;
          if (unpacked.negMins)
            blockSum = vector::BroadcastOp::create(
                lb, lanes, memref::LoadOp::create(lb, packed.sums, ValueRange{sub, rows[r]}));
          for (int64_t v = 0; v < kVnniRuns; ++v) {
            Value &sum = next[r * kVnniRuns + v];
            Value product = arith::SIToFPOp::create(lb, lanes, dots[r * kVnniRuns + v]);
            sum = vector::FMAOp::create(lb, product,
                                        arith::MulFOp::create(lb, weightScales[v], scale), sum);
            // Minus the minimums times the activations' block sums.
            if (blockSum)
              sum = vector::FMAOp::create(lb, negMins[v], blockSum, sum);
          }
        }
        return next;
      });
      for (int64_t r = 0; r < kVnniRows; ++r) {
        Value stored = arith::CmpIOp::create(rb, arith::CmpIPredicate::ult, rows[r], out.rowsEnd);
        scf::IfOp::create(rb, stored, [&](OpBuilder &nb, Location loc) {
          ImplicitLocOpBuilder sb(loc, nb);
          Value yRow = out.outputRow(sb, rows[r]);
          for (int64_t v = 0; v < kVnniRuns; ++v) {
            Value result = acc[r * kVnniRuns + v];
            if (bias[v])
              result = arith::AddFOp::create(sb, result, bias[v]);
            vector::StoreOp::create(sb, result, out.y,
                                    ValueRange{yRow, offset(sb, column0, v * kTileRows)});
          }
          scf::YieldOp::create(sb);
        });
      }
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
}

/// Unpacks weight rows [out.first, out.first + group) of slice `slice` and
/// multiplies them with the packed activation tiles [tile0, tileEnd) (whole
/// pairs of tiles) as `mode` does.
void emitGroupProducts(ImplicitLocOpBuilder &pb, AmxMode mode, const WeightReader &w,
                       Value slice, int64_t group, int64_t k, const PackedActivations &packed,
                       Value tile0, Value tileEnd, const ProductOutput &out) {
  UnpackedWeights unpacked = emitUnpackGroup(pb, mode, w, slice, out.first, group, k);
  if (mode == AmxMode::int8)
    emitInt8Products(pb, unpacked, group, k, packed, tile0, tileEnd, out);
  else if (mode == AmxMode::vnni8)
    emitVnniProducts(pb, unpacked, group, k, packed, tile0, tileEnd, out);
  else
    emitPartProducts(pb, unpacked, group, k, packed, tile0, tileEnd, out);
}

/// `n` rounded up to whole pairs of activation tiles.
Value roundUpToTilePairs(ImplicitLocOpBuilder &b, Value n) {
  Value pairRows = constIndex(b, kActivationTiles * kTileRows);
  return arith::MulIOp::create(b, arith::CeilDivUIOp::create(b, n, pairRows), pairRows);
}

} // namespace

void lmc::cpu::emitAmxMatmul(ImplicitLocOpBuilder &b, AmxMode mode, const WeightReader &w,
                             int64_t n, int64_t k, Value x, Value y, Value m) {
  bool withMins = hasMins(w.layout().storage);
  // Activations, padded to whole pairs of tiles (the padding columns only
  // reach product columns that are never stored).
  Value paddedRows = roundUpToTilePairs(b, m);
  Value tiles = arith::DivUIOp::create(b, paddedRows, constIndex(b, kTileRows));
  PackedActivations packed = allocPacked(b, mode, paddedRows, k, withMins, integerGroupElems(w.layout().storage));
  emitPackActivations(b, mode, x, packed, m, k,
                      [](ImplicitLocOpBuilder &, Value r) { return PackedRow{r, r, Value()}; });

  // Work items: (weight group, block of activation tiles), group-major.
  int64_t group = groupRows(mode, n, k, withMins, integerGroupElems(w.layout().storage));
  Value tileBlock = constIndex(b, kTilesPerBlock);
  Value blocks = arith::CeilDivUIOp::create(b, tiles, tileBlock);
  buildParallelLoop(b, arith::MulIOp::create(b, blocks, constIndex(b, n / group)),
                    [&](ImplicitLocOpBuilder &pb, Value item) {
    Value first = arith::MulIOp::create(
        pb, arith::DivUIOp::create(pb, item, blocks), constIndex(pb, group));
    Value tile0 = arith::MulIOp::create(pb, arith::RemUIOp::create(pb, item, blocks), tileBlock);
    Value tileEnd = arith::MinUIOp::create(pb, tiles, arith::AddIOp::create(pb, tile0, tileBlock));
    auto sameRow = [](ImplicitLocOpBuilder &, Value row) { return row; };
    ProductOutput out{y, first, m, sameRow, {}};
    emitGroupProducts(pb, mode, w, Value(), group, k, packed, tile0, tileEnd, out);
  });
}

void lmc::cpu::emitAmxExpertMatmul(ImplicitLocOpBuilder &b, AmxMode mode, const WeightReader &w,
                                   int64_t experts, int64_t n, int64_t k, Value x, Value y,
                                   Value pairs, Value offsets, ProductRows rows,
                                   ExpertOfPair expertOf, ExpertRows fewPairs, ExpertBias bias) {
  bool withMins = hasMins(w.layout().storage);
  Type index = b.getIndexType();
  Value zero = constIndex(b, 0), one = constIndex(b, 1);
  // Each expert taking the tiles (kAmxExpertMinPairs pairs or more) starts
  // a new pair of them: its packed rows are [padded[e], padded[e] + its pair
  // count); other experts take no rows.
  Value padded = memref::AllocaOp::create(b, MemRefType::get({experts + 1}, index));
  memref::StoreOp::create(b, zero, padded, ValueRange{zero});
  buildForLoop(b, zero, constIndex(b, experts), one, ValueRange{},
               [&](ImplicitLocOpBuilder &lb, Value e, ValueRange) {
    Value next = arith::AddIOp::create(lb, e, one);
    Value count = arith::SubIOp::create(lb, memref::LoadOp::create(lb, offsets, ValueRange{next}),
                                        memref::LoadOp::create(lb, offsets, ValueRange{e}));
    Value many = arith::CmpIOp::create(lb, arith::CmpIPredicate::uge, count,
                                       constIndex(lb, kAmxExpertMinPairs));
    Value packedRows = arith::SelectOp::create(lb, many, roundUpToTilePairs(lb, count), zero);
    memref::StoreOp::create(
        lb, arith::AddIOp::create(lb, memref::LoadOp::create(lb, padded, ValueRange{e}), packedRows),
        padded, ValueRange{next});
    return SmallVector<Value>{};
  });
  Value totalRows = memref::LoadOp::create(b, padded, ValueRange{constIndex(b, experts)});
  PackedActivations packed = allocPacked(b, mode, totalRows, k, withMins, integerGroupElems(w.layout().storage));
  emitPackActivations(b, mode, x, packed, pairs, k,
                      [&](ImplicitLocOpBuilder &lb, Value at) {
    auto [xRow, yRow] = rows(lb, at);
    Value e = expertOf(lb, yRow);
    Value begin = memref::LoadOp::create(lb, offsets, ValueRange{e});
    Value rowBase = memref::LoadOp::create(lb, padded, ValueRange{e});
    Value rowEnd =
        memref::LoadOp::create(lb, padded, ValueRange{arith::AddIOp::create(lb, e, one)});
    Value taken = arith::CmpIOp::create(lb, arith::CmpIPredicate::ugt, rowEnd, rowBase);
    return PackedRow{xRow,
                     arith::AddIOp::create(lb, rowBase, arith::SubIOp::create(lb, at, begin)),
                     taken};
  });

  // Work items: (expert, weight group), expert-major; experts nobody chose
  // are skipped without reading their weights, those with few pairs read
  // them row by row.
  int64_t group = groupRows(mode, n, k, withMins, integerGroupElems(w.layout().storage));
  Value groups = constIndex(b, n / group);
  buildParallelLoop(b, constIndex(b, experts * (n / group)), [&](ImplicitLocOpBuilder &pb,
                                                                 Value item) {
    Value e = arith::DivUIOp::create(pb, item, groups);
    Value first = arith::MulIOp::create(pb, arith::RemUIOp::create(pb, item, groups),
                                        constIndex(pb, group));
    Value begin = memref::LoadOp::create(pb, offsets, ValueRange{e});
    Value end = memref::LoadOp::create(pb, offsets, ValueRange{arith::AddIOp::create(pb, e, one)});
    Value rowBase = memref::LoadOp::create(pb, padded, ValueRange{e});
    Value rowEnd = memref::LoadOp::create(pb, padded, ValueRange{arith::AddIOp::create(pb, e, one)});
    // Experts with packed rows take the tiles (see `padded`).
    Value tiled = arith::CmpIOp::create(pb, arith::CmpIPredicate::ugt, rowEnd, rowBase);
    Value some = arith::CmpIOp::create(pb, arith::CmpIPredicate::ugt, end, begin);
    auto rowPath = [&](OpBuilder &nb, Location loc) {
      ImplicitLocOpBuilder sb(loc, nb);
      scf::IfOp::create(sb, some, [&](OpBuilder &ib, Location l) {
        ImplicitLocOpBuilder rb(l, ib);
        fewPairs(rb, e, first, group);
        scf::YieldOp::create(rb);
      });
      scf::YieldOp::create(sb);
    };
    scf::IfOp::create(pb, tiled, [&](OpBuilder &nb, Location loc) {
      ImplicitLocOpBuilder sb(loc, nb);
      Value tileRows = constIndex(sb, kTileRows);
      Value tile0 = arith::DivUIOp::create(sb, rowBase, tileRows);
      Value tileEnd = arith::DivUIOp::create(sb, rowEnd, tileRows);
      Value rowsEnd = arith::AddIOp::create(sb, rowBase, arith::SubIOp::create(sb, end, begin));
      auto outputRow = [&](ImplicitLocOpBuilder &lb, Value row) {
        Value at = arith::AddIOp::create(lb, begin, arith::SubIOp::create(lb, row, rowBase));
        return rows(lb, at).second;
      };
      auto expertBias = [&](ImplicitLocOpBuilder &lb, Value column) { return bias(lb, e, column); };
      ProductOutput out{y, first, rowsEnd, outputRow,
                        bias ? ColumnBias(expertBias) : ColumnBias()};
      emitGroupProducts(sb, mode, w, e, group, k, packed, tile0, tileEnd, out);
      scf::YieldOp::create(sb);
    }, rowPath);
  });
}
