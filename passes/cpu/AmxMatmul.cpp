//===- AmxMatmul.cpp - prefill products on AMX tiles, to f32 accuracy -----===//
#include "passes/cpu/AmxMatmul.h"
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
constexpr int64_t kBlock = 32;
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

Value offset(ImplicitLocOpBuilder &b, Value base, int64_t delta) {
  return arith::AddIOp::create(b, base, constIndex(b, delta));
}

/// Where activation row i goes: packed row `dest` takes x[source], if
/// `keep` (null: always).
struct PackedRow {
  Value source, dest, keep;
};
using RowMapping = function_ref<PackedRow(ImplicitLocOpBuilder &, Value)>;

/// Splits activation rows into kParts bf16 parts and stores them in the
/// layout AMX reads its second operand in, one contiguous run per 16 rows:
/// `pairs` ([tiles * kParts * k/2, 16] i32) holds at [(t * kParts + p) * k/2
/// + c, i] the bf16 pair (part p of row 16t + i, columns 2c and 2c+1), for
/// the rows i < count that `mapping` keeps. With `sums` ([k/32, rows]
/// f32), also stores there the sum of each packed row's 32-element blocks,
/// which formats with minimums need.
void emitPackActivations(ImplicitLocOpBuilder &b, Value x, Value pairs, Value sums, Value count,
                         int64_t k, RowMapping mapping) {
  Type f32 = b.getF32Type(), bf16 = b.getBF16Type();
  auto packRow = [&](ImplicitLocOpBuilder &pb, Value source, Value r) {
    Value tile = arith::DivUIOp::create(pb, r, constIndex(pb, kTileRows));
    Value column = arith::RemUIOp::create(pb, r, constIndex(pb, kTileRows));
    Value tileBase = arith::MulIOp::create(pb, tile, constIndex(pb, kParts * (k / 2)));
    buildForLoop(pb, constIndex(pb, 0), constIndex(pb, k), constIndex(pb, kBlock), ValueRange{},
                 [&](ImplicitLocOpBuilder &lb, Value c, ValueRange) {
      Value rest = vector::LoadOp::create(lb, vec(kBlock, f32), x, ValueRange{source, c});
      if (sums)
        memref::StoreOp::create(
            lb, reduceAdd(lb, rest), sums,
            ValueRange{arith::DivUIOp::create(lb, c, constIndex(lb, kBlock)), r});
      Value pair0 = arith::AddIOp::create(lb, tileBase,
                                          arith::DivUIOp::create(lb, c, constIndex(lb, 2)));
      for (int64_t p = 0; p < kParts; ++p) {
        Value part = arith::TruncFOp::create(lb, vec(kBlock, bf16), rest);
        if (p + 1 < kParts)
          rest = arith::SubFOp::create(lb, rest, arith::ExtFOp::create(lb, vec(kBlock, f32), part));
        Value packed = vector::BitCastOp::create(lb, vec(kBlock / 2, lb.getI32Type()), part);
        Value row0 = offset(lb, pair0, p * (k / 2));
        for (int64_t i = 0; i < kBlock / 2; ++i)
          memref::StoreOp::create(lb, vector::ExtractOp::create(lb, packed, ArrayRef<int64_t>{i}),
                                  pairs, ValueRange{offset(lb, row0, i), column});
      }
      return SmallVector<Value>{};
    });
  };
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

/// Weight rows [first, first + rows) of slice `slice`: their integers as bf16 in `ints`
/// ([rows, k]), the factors of each 32-element sub-block in `scales` and,
/// for formats with minimums, the negated minimums in `negMins` (both
/// [k/32, rows] f32).
void emitUnpackWeights(ImplicitLocOpBuilder &b, const WeightReader &w, Value slice, Value first,
                       Value ints, Value scales, Value negMins, int64_t rows, int64_t k) {
  const RowLayout &layout = w.layout();
  int64_t subBlocks = layout.blockElems / kBlock;
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
        Value exact = arith::TruncFOp::create(lb, vec(kBlock, lb.getBF16Type()), values);
        vector::StoreOp::create(lb, exact, ints,
                                ValueRange{j, arith::MulIOp::create(lb, sub, constIndex(lb, kBlock))});
      });
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
}

/// Stack bytes per unpacked weight row: bf16 integers and f32 factors.
int64_t unpackedRowBytes(int64_t k, bool withMins) {
  return 2 * k + (withMins ? 2 : 1) * 4 * (k / kBlock);
}

bool hasMins(StorageType storage) { return storage == StorageType::q4_k; }

/// Weight rows unpacked together: as many as fit 1 MiB of L2 as bf16, so
/// every 16 activation rows fetched serve them all.
int64_t groupRows(int64_t n, int64_t k, bool withMins) {
  int64_t cap = std::max<int64_t>(
      kPairRows, kUnpackStackBytes / unpackedRowBytes(k, withMins) / kPairRows * kPairRows);
  for (int64_t g = std::min<int64_t>(cap, 256); g > kPairRows; g -= kPairRows)
    if (n % g == 0)
      return g;
  return kPairRows;
}

} // namespace

bool lmc::cpu::hasAmxMatmul(const WeightAccess &weight, int64_t n, int64_t k) {
  StorageType storage = weight.type().getStorage();
  // Scales stored apart: OpenAI's MXFP4 exponents, which decodeIntegers reads.
  return hasIntegerDecoding(storage) &&
         (!weight.scales || storage == StorageType::mxfp4_oai) && n % kPairRows == 0 &&
         k % kBlock == 0;
}

namespace {

/// One call's activations, packed for the tiles: runs of 16 rows (`pairs`
/// and `parts` view the same bytes) and, for formats with minimums, the
/// rows' 32-element block sums.
struct PackedActivations {
  Value pairs, parts, sums;
};

/// Packed storage for `rows` activation rows (a multiple of 32).
PackedActivations allocPacked(ImplicitLocOpBuilder &b, Value rows, int64_t k, bool withMins) {
  Value zero = constIndex(b, 0);
  Value runs = arith::MulIOp::create(
      b, arith::DivUIOp::create(b, rows, constIndex(b, kTileRows)),
      constIndex(b, kParts * (k / 2)));
  Value bytes = allocBuffer(b, b.getLoc(), MemRefType::get({ShapedType::kDynamic}, b.getI8Type()),
                            ValueRange{arith::MulIOp::create(b, runs, constIndex(b, 4 * kTileRows))});
  PackedActivations packed;
  packed.pairs = memref::ViewOp::create(
      b, MemRefType::get({ShapedType::kDynamic, kTileRows}, b.getI32Type()), bytes, zero,
      ValueRange{runs});
  packed.parts = memref::ViewOp::create(
      b, MemRefType::get({ShapedType::kDynamic, 2 * kTileRows}, b.getBF16Type()), bytes, zero,
      ValueRange{runs});
  if (withMins)
    packed.sums = allocBuffer(
        b, b.getLoc(), MemRefType::get({k / kBlock, ShapedType::kDynamic}, b.getF32Type()),
        ValueRange{rows});
  return packed;
}

/// The row of y that packed activation row `row` goes to.
using OutputRow = function_ref<Value(ImplicitLocOpBuilder &, Value row)>;

/// Unpacks weight rows [first, first + group) of slice `slice` and
/// multiplies them with the packed activation tiles [tile0, tileEnd) (whole
/// pairs of tiles): y[outputRow(r), first + j] = product (+ bias(first + j))
/// for the packed rows r below `rowsEnd`.
void emitGroupProducts(ImplicitLocOpBuilder &pb, const WeightReader &w, Value slice, Value first,
                       int64_t group, int64_t k, const PackedActivations &packed, Value tile0,
                       Value tileEnd, Value rowsEnd, Value y, OutputRow outputRow,
                       ColumnBias bias) {
  Type f32 = pb.getF32Type(), bf16 = pb.getBF16Type();
  Value zero = constIndex(pb, 0), one = constIndex(pb, 1);
  Value tileRows = constIndex(pb, kTileRows);
  int64_t tileRuns = kParts * (k / 2);
  bool withMins = hasMins(w.layout().storage);
  auto operandTile = amx::TileType::get({kTileRows, kBlock}, bf16);
  auto productTile = amx::TileType::get({kTileRows, kTileRows}, f32);
  VectorType lanes = vec(kTileRows, f32);
  Value zeros = arith::ConstantOp::create(pb, DenseElementsAttr::get(lanes, pb.getF32FloatAttr(0)));

  auto align = pb.getI64IntegerAttr(64);
  // The unpacked group lives on the stack of the thread running the item
  // when it fits, else (rows of 16K or more) on the heap.
  bool onHeap = group * unpackedRowBytes(k, withMins) > kUnpackStackBytes;
  auto buffer = [&](MemRefType type) -> Value {
    if (onHeap)
      return allocBuffer(pb, pb.getLoc(), type, ValueRange{});
    return memref::AllocaOp::create(pb, type, ValueRange{}, align);
  };
  Value ints = buffer(MemRefType::get({group, k}, bf16));
  Value scales = buffer(MemRefType::get({k / kBlock, group}, f32));
  Value negMins;
  if (withMins)
    negMins = buffer(MemRefType::get({k / kBlock, group}, f32));
  emitUnpackWeights(pb, w, slice, first, ints, scales, negMins, group, k);
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
          a[h] = amx::TileLoadOp::create(lb, operandTile, ints,
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
              lb, lanes, memref::LoadOp::create(lb, scales, ValueRange{block, weightRow}));
          Value negMin;
          if (withMins)
            negMin = vector::BroadcastOp::create(
                lb, lanes, memref::LoadOp::create(lb, negMins, ValueRange{block, weightRow}));
          for (int64_t u = 0; u < kActivationTiles; ++u) {
            Value column = constIndex(lb, u * kTileRows);
            Value sum = vector::FMAOp::create(
                lb, scale, vector::LoadOp::create(lb, lanes, products, ValueRange{rowIndex, column}),
                vector::LoadOp::create(lb, lanes, acc, ValueRange{rowIndex, column}));
            // Minus the minimum times the activations' block sums.
            if (withMins)
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
      Value column0 = arith::AddIOp::create(mb, first, pair);
      SmallVector<Value> columns, biases;
      for (int64_t r = 0; r < kPairRows; ++r) {
        columns.push_back(offset(mb, column0, r));
        if (bias)
          biases.push_back(bias(mb, columns.back()));
      }
      Value rowsLeft = arith::SubIOp::create(mb, arith::MaxUIOp::create(mb, rowsEnd, m0), m0);
      Value count = arith::MinUIOp::create(
          mb, constIndex(mb, kActivationTiles * kTileRows), rowsLeft);
      buildForLoop(mb, zero, count, one, ValueRange{}, [&](ImplicitLocOpBuilder &lb, Value i,
                                                           ValueRange) {
        Value yRow = outputRow(lb, arith::AddIOp::create(lb, m0, i));
        for (int64_t r = 0; r < kPairRows; ++r) {
          Value v = memref::LoadOp::create(lb, acc, ValueRange{constIndex(lb, r), i});
          if (bias)
            v = arith::AddFOp::create(lb, v, biases[r]);
          memref::StoreOp::create(lb, v, y, ValueRange{yRow, columns[r]});
        }
        return SmallVector<Value>{};
      });
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
}

/// `n` rounded up to whole pairs of activation tiles.
Value roundUpToTilePairs(ImplicitLocOpBuilder &b, Value n) {
  Value pairRows = constIndex(b, kActivationTiles * kTileRows);
  return arith::MulIOp::create(b, arith::CeilDivUIOp::create(b, n, pairRows), pairRows);
}

} // namespace

void lmc::cpu::emitAmxMatmul(ImplicitLocOpBuilder &b, const WeightReader &w, int64_t n,
                             int64_t k, Value x, Value y, Value m) {
  bool withMins = hasMins(w.layout().storage);
  // Activations, padded to whole pairs of tiles (the padding columns only
  // reach product columns that are never stored).
  Value paddedRows = roundUpToTilePairs(b, m);
  Value tiles = arith::DivUIOp::create(b, paddedRows, constIndex(b, kTileRows));
  PackedActivations packed = allocPacked(b, paddedRows, k, withMins);
  emitPackActivations(b, x, packed.pairs, packed.sums, m, k,
                      [](ImplicitLocOpBuilder &, Value r) { return PackedRow{r, r, Value()}; });

  // Work items: (weight group, block of activation tiles), group-major.
  int64_t group = groupRows(n, k, withMins);
  Value tileBlock = constIndex(b, kTilesPerBlock);
  Value blocks = arith::CeilDivUIOp::create(b, tiles, tileBlock);
  buildParallelLoop(b, arith::MulIOp::create(b, blocks, constIndex(b, n / group)),
                    [&](ImplicitLocOpBuilder &pb, Value item) {
    Value first = arith::MulIOp::create(
        pb, arith::DivUIOp::create(pb, item, blocks), constIndex(pb, group));
    Value tile0 = arith::MulIOp::create(pb, arith::RemUIOp::create(pb, item, blocks), tileBlock);
    Value tileEnd = arith::MinUIOp::create(pb, tiles, arith::AddIOp::create(pb, tile0, tileBlock));
    emitGroupProducts(pb, w, Value(), first, group, k, packed, tile0, tileEnd, m, y,
                      [](ImplicitLocOpBuilder &, Value row) { return row; }, ColumnBias());
  });
}

void lmc::cpu::emitAmxExpertMatmul(ImplicitLocOpBuilder &b, const WeightReader &w,
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
  PackedActivations packed = allocPacked(b, totalRows, k, withMins);
  emitPackActivations(b, x, packed.pairs, packed.sums, pairs, k,
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
  int64_t group = groupRows(n, k, withMins);
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
      emitGroupProducts(sb, w, e, first, group, k, packed, tile0, tileEnd, rowsEnd, y, outputRow,
                        bias ? ColumnBias(expertBias) : ColumnBias());
      scf::YieldOp::create(sb);
    }, rowPath);
  });
}
