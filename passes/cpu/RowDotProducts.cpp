//===- RowDotProducts.cpp - dot products of one weight row with activations ===//
#include "passes/cpu/RowDotProducts.h"
#include "passes/cpu/KernelBuilder.h"
#include "dialects/cpu/CPUDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>

using namespace mlir;

/// How far ahead of the block being decoded its row's bytes are prefetched.
/// A thread reads one row stream at a time (experts' rows too: the decode
/// expert path takes a run of each chosen expert's rows in turn). The
/// hardware prefetcher alone left single-row streams at ~45 % of the read
/// bandwidth; measured on Qwen3-0.6B Q8_0 decode (2 threads): none 16.2
/// tok/s, 4 KiB 23.3, 8 KiB 24.8, 16 KiB 25.5, 32 KiB 23.5 (docs/perf.md).
static constexpr int64_t kPrefetchDistance = 12 * 1024;
static constexpr int64_t kCacheLine = 64;

/// Independent accumulators per activation row, so consecutive FMAs do not
/// wait on each other (4-cycle latency, two per cycle): with one, a Q4_K
/// block's eight chunks were a serial chain and MXFP4's 17-byte blocks ran
/// at 4 cycles each. Fewer with more rows, which give the independence
/// themselves; at most 8 vector<32xf32> live accumulators (16 zmm).
static int64_t accumulatorsPerRow(size_t rows) { return rows == 1 ? 4 : rows == 2 ? 2 : 1; }

/// Prefetches the cache lines kPrefetchDistance bytes past the `count` blocks
/// starting at `block`.
static void prefetchAhead(ImplicitLocOpBuilder &b, const lmc::cpu::WeightReader &w,
                          const lmc::cpu::WeightRow &row, Value block, int64_t count) {
  const lmc::cpu::RowLayout &layout = w.layout();
  Value blockBase = arith::AddIOp::create(
      b, row.base, arith::MulIOp::create(b, block, lmc::cpu::constIndex(b, layout.blockBytes)));
  for (int64_t line = 0; line * kCacheLine < count * layout.blockBytes; ++line) {
    Value at = arith::AddIOp::create(
        b, blockBase, lmc::cpu::constIndex(b, kPrefetchDistance + line * kCacheLine));
    memref::PrefetchOp::create(b, w.bytes(), ValueRange{at}, /*isWrite=*/b.getBoolAttr(false),
                               /*localityHint=*/b.getI32IntegerAttr(3),
                               /*isDataCache=*/b.getBoolAttr(true));
  }
}

/// One block of a row loop: its index, its place u in the unrolled
/// iteration, and the loop-carried values to update.
using BlockBody = function_ref<void(ImplicitLocOpBuilder &, Value block, int64_t u,
                                    SmallVectorImpl<Value> &state)>;

/// Runs `body` over the blocks of `row`, `unroll` per iteration (then the
/// rest one at a time), the bytes ahead prefetched; returns the final state.
static SmallVector<Value> emitBlockLoop(ImplicitLocOpBuilder &b, const lmc::cpu::WeightReader &w,
                                        const lmc::cpu::WeightRow &row,
                                        int64_t unroll, ValueRange init, BlockBody body) {
  using namespace lmc::cpu;
  int64_t blocks = w.blocksPerRow();
  int64_t unrolledBlocks = blocks / unroll * unroll;
  auto blockLoop = [&](int64_t begin, int64_t end, int64_t step, ValueRange start) {
    return buildForLoop(
        b, constIndex(b, begin), constIndex(b, end), constIndex(b, step), start,
        [&](ImplicitLocOpBuilder &lb, Value first, ValueRange current) {
          SmallVector<Value> state(current);
          prefetchAhead(lb, w, row, first, step);
          for (int64_t u = 0; u < step; ++u) {
            Value block = u == 0 ? first
                                 : arith::AddIOp::create(lb, first, constIndex(lb, u)).getResult();
            body(lb, block, u, state);
          }
          return state;
        });
  };
  ValueRange sums = blockLoop(0, unrolledBlocks, unroll, init);
  if (unrolledBlocks < blocks)
    sums = blockLoop(unrolledBlocks, blocks, 1, sums);
  return SmallVector<Value>(sums.begin(), sums.end());
}

/// The horizontal sum of `count` vectors from values[first].
static Value sumOf(ImplicitLocOpBuilder &b, ArrayRef<Value> values, size_t first, size_t count) {
  Value total = values[first];
  for (size_t a = 1; a < count; ++a)
    total = arith::AddFOp::create(b, total, values[first + a]);
  return lmc::cpu::reduceAdd(b, total);
}

/// y[yRows[r], n] = sums[r] (+ bias).
static void storeRowSums(ImplicitLocOpBuilder &b, ArrayRef<Value> sums, Value y,
                         ArrayRef<Value> yRows, Value n, Value bias) {
  for (size_t r = 0; r < sums.size(); ++r) {
    Value sum = bias ? arith::AddFOp::create(b, sums[r], bias).getResult() : sums[r];
    memref::StoreOp::create(b, sum, y, ValueRange{yRows[r], n});
  }
}

/// Element `offset` of the chunk starting at element k0.
static Value chunkStart(ImplicitLocOpBuilder &b, Value k0, int64_t offset) {
  return offset == 0 ? k0 : arith::AddIOp::create(b, k0, lmc::cpu::constIndex(b, offset)).getResult();
}

void lmc::cpu::emitRowDotProducts(ImplicitLocOpBuilder &b, const WeightReader &w,
                                  const WeightRow &row, Value x, ArrayRef<Value> xRows,
                                  Value y, ArrayRef<Value> yRows, Value n, Value bias) {
  const RowLayout &layout = w.layout();
  size_t rows = xRows.size();
  int64_t accs = accumulatorsPerRow(rows);
  int64_t chunksPerBlock = layout.blockElems / layout.chunkWidth;
  // Blocks per iteration: enough chunks to use every accumulator.
  int64_t unroll = std::max<int64_t>(1, accs / chunksPerBlock);

  VectorType accType = VectorType::get({layout.chunkWidth}, b.getF32Type());
  Value zero = arith::ConstantOp::create(
      b, DenseElementsAttr::get(accType, b.getF32FloatAttr(0.0f)));
  // Accumulator a of activation row r is acc[r * accs + a].
  SmallVector<Value> init(rows * accs, zero);
  SmallVector<Value> acc = emitBlockLoop(
      b, w, row, unroll, init,
      [&](ImplicitLocOpBuilder &lb, Value block, int64_t u, SmallVectorImpl<Value> &acc) {
        Value k0 = arith::MulIOp::create(lb, block, constIndex(lb, layout.blockElems));
        w.decode(lb, row, block, [&](int64_t chunk, Value weights) {
          Value k = chunkStart(lb, k0, chunk * layout.chunkWidth);
          int64_t a = (u * chunksPerBlock + chunk) % accs;
          for (size_t r = 0; r < rows; ++r) {
            Value xs = vector::LoadOp::create(lb, accType, x, ValueRange{xRows[r], k});
            acc[r * accs + a] = vector::FMAOp::create(lb, weights, xs, acc[r * accs + a]);
          }
        });
      });
  SmallVector<Value> sums;
  for (size_t r = 0; r < rows; ++r)
    sums.push_back(sumOf(b, acc, r * accs, accs));
  storeRowSums(b, sums, y, yRows, n, bias);
}

/// The factor of each i32 lane of chunk `chunk` (lane l sums elements
/// chunk * width + 4l ..+3) picked from the block's group factors.
static Value laneFactors(ImplicitLocOpBuilder &b, Value groupFactors, int64_t chunk,
                         int64_t width, int64_t groupElems) {
  SmallVector<int64_t> order;
  for (int64_t l = 0; l < width / 4; ++l)
    order.push_back((chunk * width + 4 * l) / groupElems);
  return vector::ShuffleOp::create(b, groupFactors, groupFactors, order);
}

bool lmc::cpu::hasInt8RowDotProducts(const WeightAccess &weight) {
  return hasByteDecoding(weight.type().getStorage()) && !weight.scales;
}

void lmc::cpu::emitInt8RowDotProducts(ImplicitLocOpBuilder &b, const WeightReader &w,
                                      const WeightRow &row, const QuantizedRows &x,
                                      ArrayRef<Value> xRows, Value y, ArrayRef<Value> yRows,
                                      Value n, Value bias) {
  const RowLayout &layout = w.layout();
  ByteLayout bytes = getByteLayout(layout.storage);
  assert(bytes.groupElems == x.groupElems && "activations quantized for another format");
  int64_t width = bytes.chunkWidth;
  int64_t groups = layout.blockElems / bytes.groupElems;
  int64_t chunksPerBlock = layout.blockElems / width;
  size_t rows = xRows.size();
  int64_t accs = accumulatorsPerRow(rows);
  int64_t unroll = std::max<int64_t>(1, accs / chunksPerBlock);

  Type f32 = b.getF32Type();
  auto zeros = [&](int64_t lanes) -> Value {
    return arith::ConstantOp::create(
        b, DenseElementsAttr::get(VectorType::get({lanes}, f32), b.getF32FloatAttr(0.0f)));
  };
  VectorType laneType = VectorType::get({width / 4}, f32);
  VectorType groupType = VectorType::get({groups}, f32);
  VectorType byteType = VectorType::get({width}, b.getI8Type());
  VectorType dotType = VectorType::get({width / 4}, b.getI32Type());
  // Accumulator a of row r is state[r * accs + a], and its corrections
  // (weight corrections times activation sums, one chain per unrolled
  // block) state[(rows + r) * accs + a].
  SmallVector<Value> init(rows * accs, zeros(width / 4));
  init.append(rows * accs, zeros(groups));
  SmallVector<Value> state = emitBlockLoop(
      b, w, row, unroll, init,
      [&](ImplicitLocOpBuilder &lb, Value block, int64_t u, SmallVectorImpl<Value> &state) {
        ByteFactors factors = w.decodeByteFactors(lb, row, block);
        Value group0 = arith::MulIOp::create(lb, block, constIndex(lb, groups));
        SmallVector<Value> combined;
        for (size_t r = 0; r < rows; ++r) {
          Value scales =
              vector::LoadOp::create(lb, groupType, x.factors, ValueRange{xRows[r], group0});
          combined.push_back(arith::MulFOp::create(lb, factors.factors, scales));
          Value sums = vector::LoadOp::create(lb, groupType, x.sums, ValueRange{xRows[r], group0});
          Value &corrections = state[(rows + r) * accs + u % accs];
          corrections = vector::FMAOp::create(lb, factors.corrections, sums, corrections);
        }
        Value k0 = arith::MulIOp::create(lb, block, constIndex(lb, layout.blockElems));
        w.decodeBytes(lb, row, block, [&](int64_t chunk, Value weights) {
          Value k = chunkStart(lb, k0, chunk * width);
          int64_t a = (u * chunksPerBlock + chunk) % accs;
          for (size_t r = 0; r < rows; ++r) {
            Value xs = vector::LoadOp::create(lb, byteType, x.ints, ValueRange{xRows[r], k});
            Value dots = arith::SIToFPOp::create(
                lb, laneType, lmc::cpu::DotBytesOp::create(lb, dotType, weights, xs, Value()));
            Value scale = laneFactors(lb, combined[r], chunk, width, bytes.groupElems);
            state[r * accs + a] = vector::FMAOp::create(lb, dots, scale, state[r * accs + a]);
          }
        });
      });
  SmallVector<Value> sums;
  for (size_t r = 0; r < rows; ++r)
    sums.push_back(arith::SubFOp::create(b, sumOf(b, state, r * accs, accs),
                                         sumOf(b, state, (rows + r) * accs, accs)));
  storeRowSums(b, sums, y, yRows, n, bias);
}
