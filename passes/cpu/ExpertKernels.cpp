//===- ExpertKernels.cpp - kernels of mixture-of-experts layers ------------===//
//
// Routing (top-k selection, the routing functions of tfm.moe), the product of
// each token with its chosen experts, and the weighted combination of the
// experts' outputs. Expert products group the (token, slot) pairs by expert,
// so experts nobody chose are never read; each chosen expert's weight rows
// are decoded once per group of up to four pairs (decode) or, with many
// pairs (prefill), once per tile for all of them (TiledMatmul.h).
//
//===----------------------------------------------------------------------===//
#include "passes/cpu/AmxMatmul.h"
#include "passes/cpu/KernelBuilder.h"
#include "passes/cpu/Kernels.h"
#include "passes/cpu/RowDotProducts.h"
#include "passes/cpu/TiledMatmul.h"
#include "passes/cpu/WeightDecoding.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace lmc::cpu;
using namespace lmc::tfm;

namespace {

MemRefType rows(MLIRContext *ctx, int64_t dim, Type element) {
  return MemRefType::get({ShapedType::kDynamic, dim}, element);
}

/// The f32 at element `index` of a weight stored as f32 (a bias).
Value loadF32Element(ImplicitLocOpBuilder &b, Value bytes, Value index) {
  Value offset = arith::MulIOp::create(b, index, constIndex(b, 4));
  Value v = vector::LoadOp::create(b, VectorType::get({4}, b.getI8Type()), bytes,
                                   ValueRange{offset});
  Value f = vector::BitCastOp::create(b, VectorType::get({1}, b.getF32Type()), v);
  return vector::ExtractOp::create(b, f, ArrayRef<int64_t>{0});
}

Value sigmoid(ImplicitLocOpBuilder &b, Value x) {
  Value one = constF32(b, 1.0f);
  return arith::DivFOp::create(
      b, one, arith::AddFOp::create(b, one, math::ExpOp::create(b, arith::NegFOp::create(b, x))));
}

/// Picks the k largest of `score(j)`, j < n, in descending order (equal
/// scores: lower j first), calling `store(slot, value, j)` for each.
void emitTopK(ImplicitLocOpBuilder &b, int64_t n, int64_t k,
              function_ref<Value(ImplicitLocOpBuilder &, Value)> score,
              function_ref<void(ImplicitLocOpBuilder &, Value, Value, Value)> store) {
  Type i8 = b.getI8Type();
  Value taken = memref::AllocaOp::create(b, MemRefType::get({n}, i8));
  Value zero8 = arith::ConstantOp::create(b, b.getIntegerAttr(i8, 0));
  Value one8 = arith::ConstantOp::create(b, b.getIntegerAttr(i8, 1));
  Value zero = constIndex(b, 0), one = constIndex(b, 1);
  buildForLoop(b, zero, constIndex(b, n), one, ValueRange{},
               [&](ImplicitLocOpBuilder &lb, Value j, ValueRange) {
                 memref::StoreOp::create(lb, zero8, taken, ValueRange{j});
                 return SmallVector<Value>{};
               });
  Value none = constIndex(b, -1);
  Value minusInf = constF32(b, -std::numeric_limits<float>::infinity());
  buildForLoop(b, zero, constIndex(b, k), one, ValueRange{},
               [&](ImplicitLocOpBuilder &sb, Value slot, ValueRange) {
                 ValueRange best = buildForLoop(
                     sb, zero, constIndex(sb, n), one, ValueRange{minusInf, none},
                     [&](ImplicitLocOpBuilder &lb, Value j, ValueRange s) {
                       Value v = score(lb, j);
                       Value free = arith::CmpIOp::create(
                           lb, arith::CmpIPredicate::eq,
                           memref::LoadOp::create(lb, taken, ValueRange{j}), zero8);
                       Value first = arith::CmpIOp::create(lb, arith::CmpIPredicate::eq,
                                                           s[1], none);
                       Value better = arith::CmpFOp::create(lb, arith::CmpFPredicate::OGT,
                                                            v, s[0]);
                       Value pick = arith::AndIOp::create(
                           lb, free, arith::OrIOp::create(lb, first, better));
                       return SmallVector<Value>{
                           arith::SelectOp::create(lb, pick, v, s[0]),
                           arith::SelectOp::create(lb, pick, j, s[1])};
                     });
                 memref::StoreOp::create(sb, one8, taken, ValueRange{best[1]});
                 store(sb, slot, best[0], best[1]);
                 return SmallVector<Value>{};
               });
}

/// An expert with at least this many pairs has its weight tiles decoded
/// once for all of them; fewer read the weight rows directly.
constexpr int64_t kTiledExpertMinPairs = 4;

/// Bytes of one block of the decode row path: its rows of every chosen
/// expert. Each expert's run is prefetched past its end into the rows the
/// thread reads next (its next block, usually); within this budget those
/// lines are still in L2 when that block comes.
constexpr int64_t kExpertBlockBytes = 512 * 1024;

/// Rows per block of the decode row path for n rows of `rowBytes` bytes
/// and `slots` chosen experts: a power of two up to 64 (or n if smaller).
int64_t expertRowBlock(int64_t n, int64_t rowBytes, int64_t slots) {
  int64_t rows = kExpertBlockBytes / std::max<int64_t>(1, rowBytes * slots);
  return std::clamp<int64_t>(int64_t(llvm::bit_floor(uint64_t(std::max<int64_t>(rows, 1)))), 1,
                             std::min<int64_t>(64, n));
}

Value indexToI32(ImplicitLocOpBuilder &b, Value i) {
  return arith::IndexCastOp::create(b, b.getI32Type(), i);
}
} // namespace

func::FuncOp lmc::cpu::getTopKKernel(OpBuilder &builder, ModuleOp module, int64_t n,
                                     int64_t k) {
  MLIRContext *ctx = module.getContext();
  Type f32 = Float32Type::get(ctx), i32 = IntegerType::get(ctx, 32);
  SmallVector<Type> args{rows(ctx, n, f32), rows(ctx, k, f32), rows(ctx, k, i32)};
  return getOrCreateKernel(
      builder, module, "lmc_top_k_" + std::to_string(n) + "_" + std::to_string(k), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value x = a[0], values = a[1], indices = a[2];
        buildParallelLoop(b, memref::DimOp::create(b, x, 0),
                          [&](ImplicitLocOpBuilder &pb, Value r) {
          emitTopK(
              pb, n, k,
              [&](ImplicitLocOpBuilder &lb, Value j) {
                return memref::LoadOp::create(lb, x, ValueRange{r, j});
              },
              [&](ImplicitLocOpBuilder &sb, Value slot, Value v, Value j) {
                memref::StoreOp::create(sb, v, values, ValueRange{r, slot});
                memref::StoreOp::create(sb, indexToI32(sb, j), indices, ValueRange{r, slot});
              });
        });
      });
}

func::FuncOp lmc::cpu::getExpertMatmulKernel(OpBuilder &builder, ModuleOp module,
                                             const WeightAccess &weight, int64_t slots,
                                             bool sharedInput, WeightType bias,
                                             ProductModes requested) {
  MLIRContext *ctx = module.getContext();
  ArrayRef<int64_t> shape = weight.type().getShape();
  int64_t experts = shape[0], n = shape[1];
  Type f32 = Float32Type::get(ctx), i32 = IntegerType::get(ctx, 32);
  SmallVector<Type> args{rows(ctx, shape[2], f32), MemRefType::get({ShapedType::kDynamic}, i32),
                         rows(ctx, n, f32)};
  if (bias)
    args.push_back(weightBytesType(ctx));
  weight.appendArgTypes(ctx, args);
  ProductModes modes = requested.supportedBy(weight, n, shape[2]);
  AmxMode amx = modes.amx;
  std::string name = "lmc_expert_matmul_" + weight.key() + "_s" + std::to_string(slots) +
                     (sharedInput ? "_shared" : "") + (bias ? "_bias" : "") +
                     modes.kernelSuffix();
  return getOrCreateKernel(builder, module, name, args, [&](ImplicitLocOpBuilder &b,
                                                            ValueRange a) {
    Value x = a[0], ids = a[1], y = a[2];
    Value biasBytes = bias ? a[3] : Value();
    WeightReader w(weight, a.drop_front(bias ? 4 : 3));
    Type index = b.getIndexType();
    Value zero = constIndex(b, 0), one = constIndex(b, 1);
    Value pairs = memref::DimOp::create(b, ids, 0);

    // Counting sort of the (token, slot) pairs by expert: offsets[e] ..
    // offsets[e + 1] index `order`, the pairs that chose expert e.
    Value offsets = memref::AllocaOp::create(b, MemRefType::get({experts + 1}, index));
    Value cursor = memref::AllocaOp::create(b, MemRefType::get({experts}, index));
    Value order = allocBuffer(b, b.getLoc(), MemRefType::get({ShapedType::kDynamic}, index),
                              pairs);
    buildForLoop(b, zero, constIndex(b, experts + 1), one, ValueRange{},
                 [&](ImplicitLocOpBuilder &lb, Value e, ValueRange) {
                   memref::StoreOp::create(lb, zero, offsets, ValueRange{e});
                   return SmallVector<Value>{};
                 });
    auto expertOf = [&](ImplicitLocOpBuilder &lb, Value p) -> Value {
      return arith::IndexCastOp::create(lb, index, memref::LoadOp::create(lb, ids, ValueRange{p}));
    };
    buildForLoop(b, zero, pairs, one, ValueRange{},
                 [&](ImplicitLocOpBuilder &lb, Value p, ValueRange) {
                   Value slot = arith::AddIOp::create(lb, expertOf(lb, p), one);
                   Value c = memref::LoadOp::create(lb, offsets, ValueRange{slot});
                   memref::StoreOp::create(lb, arith::AddIOp::create(lb, c, one), offsets,
                                           ValueRange{slot});
                   return SmallVector<Value>{};
                 });
    buildForLoop(b, zero, constIndex(b, experts), one, ValueRange{},
                 [&](ImplicitLocOpBuilder &lb, Value e, ValueRange) {
                   Value next = arith::AddIOp::create(lb, e, one);
                   Value begin = memref::LoadOp::create(lb, offsets, ValueRange{e});
                   Value count = memref::LoadOp::create(lb, offsets, ValueRange{next});
                   memref::StoreOp::create(lb, arith::AddIOp::create(lb, begin, count),
                                           offsets, ValueRange{next});
                   memref::StoreOp::create(lb, begin, cursor, ValueRange{e});
                   return SmallVector<Value>{};
                 });
    buildForLoop(b, zero, pairs, one, ValueRange{},
                 [&](ImplicitLocOpBuilder &lb, Value p, ValueRange) {
                   Value e = expertOf(lb, p);
                   Value at = memref::LoadOp::create(lb, cursor, ValueRange{e});
                   memref::StoreOp::create(lb, p, order, ValueRange{at});
                   memref::StoreOp::create(lb, arith::AddIOp::create(lb, at, one), cursor,
                                           ValueRange{e});
                   return SmallVector<Value>{};
                 });

    // (input row, output row) of the pair at position `at` of `order`.
    auto pairRows = [&](ImplicitLocOpBuilder &tb, Value at) {
      Value p = memref::LoadOp::create(tb, order, ValueRange{at});
      Value xRow = sharedInput ? arith::DivUIOp::create(tb, p, constIndex(tb, slots)).getResult()
                               : p;
      return std::pair{xRow, p};
    };
    auto biasOf = [&](ImplicitLocOpBuilder &tb, Value e, Value column) {
      return loadF32Element(
          tb, biasBytes,
          arith::AddIOp::create(tb, arith::MulIOp::create(tb, e, constIndex(tb, n)), column));
    };
    auto pairRange = [&](ImplicitLocOpBuilder &tb, Value e) {
      Value begin = memref::LoadOp::create(tb, offsets, ValueRange{e});
      Value end = memref::LoadOp::create(tb, offsets,
                                         ValueRange{arith::AddIOp::create(tb, e, one)});
      return std::pair{begin, end};
    };
    // Row `row` of expert e times the pairs [begin, end), each row decoded
    // once per group of up to four pairs; from `quantized` rows of x when
    // given.
    auto rowProducts = [&](ImplicitLocOpBuilder &eb, Value e, Value row, Value begin, Value end,
                           const QuantizedRows *quantized = nullptr) {
      constexpr int64_t kGroup = 4;
      WeightRow weightRow = w.row(eb, e, row);
      Value biasValue = biasBytes ? biasOf(eb, e, row) : Value();
      buildGroupedLoop(eb, begin, end, kGroup,
                       [&](ImplicitLocOpBuilder &tb, Value first, int64_t count) {
                         SmallVector<Value> xRows, yRows;
                         gatherProductRows(tb, pairRows, first, count, xRows, yRows);
                         if (quantized)
                           emitInt8RowDotProducts(tb, w, weightRow, *quantized, xRows, y, yRows,
                                                  row, biasValue);
                         else
                           emitRowDotProducts(tb, w, weightRow, x, xRows, y, yRows, row,
                                              biasValue);
                       });
    };
    // Few pairs (decode): blocks of output features in parallel; in a
    // block, the chosen experts one after another, each a run of
    // consecutive rows decoded in registers (one stream at a time), the
    // experts nobody chose skipped.
    auto emitRowPath = [&](ImplicitLocOpBuilder &rb) {
      std::optional<QuantizedRows> quantized;
      if (modes.int8Rows)
        quantized = emitQuantizeRows(rb, x, memref::DimOp::create(rb, x, 0), shape[2],
                                     getByteLayout(w.layout().storage).groupElems);
      int64_t blockRows = expertRowBlock(n, w.blocksPerRow() * w.layout().blockBytes, slots);
      Value blocks = constIndex(rb, llvm::divideCeil(n, blockRows));
      buildParallelLoop(rb, blocks, [&](ImplicitLocOpBuilder &pb, Value block) {
        Value first = arith::MulIOp::create(pb, block, constIndex(pb, blockRows));
        Value last = arith::MinUIOp::create(
            pb, constIndex(pb, n), arith::AddIOp::create(pb, first, constIndex(pb, blockRows)));
        buildForLoop(pb, zero, constIndex(pb, experts), one, ValueRange{},
                     [&](ImplicitLocOpBuilder &eb, Value e, ValueRange) -> SmallVector<Value> {
          auto range = pairRange(eb, e);
          Value begin = range.first, end = range.second;
          Value chosen = arith::CmpIOp::create(eb, arith::CmpIPredicate::ugt, end, begin);
          scf::IfOp::create(eb, chosen, [&](OpBuilder &nb, Location loc) {
            ImplicitLocOpBuilder sb(loc, nb);
            buildForLoop(sb, first, last, one, ValueRange{},
                         [&](ImplicitLocOpBuilder &lb, Value row, ValueRange) {
                           rowProducts(lb, e, row, begin, end,
                                       quantized ? &*quantized : nullptr);
                           return SmallVector<Value>{};
                         });
            scf::YieldOp::create(sb);
          });
          return {};
        });
      });
    };
    if (amx != AmxMode::off) {
      // Many pairs (prefill): on AMX tiles, each chosen expert's weights
      // unpacked once per group of rows for all its pairs.
      auto fewPairs = [&](ImplicitLocOpBuilder &rb, Value e, Value first, int64_t count) {
        auto range = pairRange(rb, e);
        Value begin = range.first, end = range.second;
        buildForLoop(rb, zero, constIndex(rb, count), one, ValueRange{},
                     [&](ImplicitLocOpBuilder &lb, Value j, ValueRange) {
                       rowProducts(lb, e, arith::AddIOp::create(lb, first, j), begin, end);
                       return SmallVector<Value>{};
                     });
      };
      auto amxPath = [&](ImplicitLocOpBuilder &tb) {
        emitAmxExpertMatmul(tb, amx, w, experts, n, shape[2], x, y, pairs, offsets, pairRows,
                            expertOf, fewPairs, biasBytes ? ExpertBias(biasOf) : ExpertBias());
      };
      emitByRowCount(b, pairs, amxPath, emitRowPath);
      return;
    }
    std::optional<WeightTiling> tiling = WeightTiling::get(n, shape[2]);
    if (!tiling) {
      emitRowPath(b);
      return;
    }
    // Many pairs (prefill): (tile, expert) in parallel, tile-major so every
    // thread sees every expert; an expert's tile is decoded once for all its
    // pairs when it has enough of them.
    auto emitTiledPath = [&](ImplicitLocOpBuilder &tb) {
      Value expertCount = constIndex(tb, experts);
      buildParallelLoop(tb, constIndex(tb, experts * tiling->tiles()),
                        [&](ImplicitLocOpBuilder &pb, Value i) {
        Value e = arith::RemUIOp::create(pb, i, expertCount);
        Value first = arith::MulIOp::create(pb, arith::DivUIOp::create(pb, i, expertCount),
                                            constIndex(pb, tiling->tileRows));
        auto range = pairRange(pb, e);
        Value begin = range.first, end = range.second;
        Value enough = arith::CmpIOp::create(
            pb, arith::CmpIPredicate::uge, arith::SubIOp::create(pb, end, begin),
            constIndex(pb, kTiledExpertMinPairs));
        scf::IfOp::create(
            pb, enough,
            [&](OpBuilder &nb, Location loc) {
              ImplicitLocOpBuilder sb(loc, nb);
              Value tile = memref::AllocaOp::create(sb, tiling->tileType(sb.getContext()),
                                                    ValueRange{}, sb.getI64IntegerAttr(64));
              emitDecodeWeightTile(sb, w, *tiling, e, first, tile);
              auto bias = [&](ImplicitLocOpBuilder &cb, Value column) {
                return biasOf(cb, e, column);
              };
              emitTileProducts(sb, *tiling, tile, x, y, begin, end, first, pairRows,
                               biasBytes ? ColumnBias(bias) : ColumnBias());
              scf::YieldOp::create(sb);
            },
            [&](OpBuilder &nb, Location loc) {
              ImplicitLocOpBuilder sb(loc, nb);
              buildForLoop(sb, zero, constIndex(sb, tiling->tileRows), one, ValueRange{},
                           [&](ImplicitLocOpBuilder &rb, Value j, ValueRange) {
                             rowProducts(rb, e, arith::AddIOp::create(rb, first, j), begin, end);
                             return SmallVector<Value>{};
                           });
              scf::YieldOp::create(sb);
            });
      });
    };
    emitByRowCount(b, pairs, emitTiledPath, emitRowPath);
  });
}

func::FuncOp lmc::cpu::getMoeRoutingKernel(OpBuilder &builder, ModuleOp module, MoeOp op) {
  MLIRContext *ctx = module.getContext();
  auto router = cast<WeightType>(op.getRouter().getType());
  int64_t experts = router.getShape()[0], k = op.getTopK();
  int64_t groups = op.getGroups(), topkGroup = op.getTopkGroup();
  MoeRouting routing = op.getRouting();
  bool normalize = op.getNormalize();
  float routedScale = op.getRoutedScale().convertToFloat();
  Type f32 = Float32Type::get(ctx), i32 = IntegerType::get(ctx, 32);
  SmallVector<Type> args{rows(ctx, experts, f32)};
  if (Value bias = op.getRouterBias())
    args.push_back(weightBytesType(ctx));
  if (Value bias = op.getSelectionBias())
    args.push_back(weightBytesType(ctx));
  args.push_back(rows(ctx, k, i32));
  args.push_back(rows(ctx, k, f32));
  std::string name = "lmc_moe_routing_" + stringifyMoeRouting(routing).str() + "_" +
                     std::to_string(experts) + "_k" + std::to_string(k) + "_g" +
                     std::to_string(groups) + "_" + std::to_string(topkGroup) +
                     (normalize ? "_norm" : "") + (op.getRouterBias() ? "_rb" : "") +
                     (op.getSelectionBias() ? "_sb" : "") + "_" +
                     attrKey(op.getRoutedScaleAttr());
  return getOrCreateKernel(builder, module, name, args, [&](ImplicitLocOpBuilder &b,
                                                            ValueRange a) {
    size_t i = 0;
    Value logits = a[i++];
    Value routerBias = op.getRouterBias() ? a[i++] : Value();
    Value selectionBias = op.getSelectionBias() ? a[i++] : Value();
    Value ids = a[i++], weights = a[i++];
    Value zero = constIndex(b, 0), one = constIndex(b, 1);
    buildParallelLoop(b, memref::DimOp::create(b, logits, 0), [&](ImplicitLocOpBuilder &pb,
                                                                  Value t) {
      // scores[e]: what the weights are made of; rank[e]: what selects.
      Value scores = memref::AllocaOp::create(pb, MemRefType::get({experts}, f32));
      Value rank = memref::AllocaOp::create(pb, MemRefType::get({experts}, f32));
      Value maxLogit = buildForLoop(
          pb, zero, constIndex(pb, experts), one,
          ValueRange{constF32(pb, -std::numeric_limits<float>::infinity())},
          [&](ImplicitLocOpBuilder &lb, Value e, ValueRange s) {
            Value l = memref::LoadOp::create(lb, logits, ValueRange{t, e});
            if (routerBias)
              l = arith::AddFOp::create(lb, l, loadF32Element(lb, routerBias, e));
            Value score = routing == MoeRouting::sigmoid ? sigmoid(lb, l) : l;
            memref::StoreOp::create(lb, score, scores, ValueRange{e});
            Value r = selectionBias
                          ? arith::AddFOp::create(lb, score, loadF32Element(lb, selectionBias, e))
                                .getResult()
                          : score;
            memref::StoreOp::create(lb, r, rank, ValueRange{e});
            return SmallVector<Value>{arith::MaximumFOp::create(lb, s[0], l)};
          })[0];
      if (routing == MoeRouting::softmax_topk) {
        // Probabilities over all experts (selecting by them or by the
        // logits is the same).
        Value total = buildForLoop(
            pb, zero, constIndex(pb, experts), one, ValueRange{constF32(pb, 0.0f)},
            [&](ImplicitLocOpBuilder &lb, Value e, ValueRange s) {
              Value p = math::ExpOp::create(
                  lb, arith::SubFOp::create(
                          lb, memref::LoadOp::create(lb, scores, ValueRange{e}), maxLogit));
              memref::StoreOp::create(lb, p, scores, ValueRange{e});
              return SmallVector<Value>{arith::AddFOp::create(lb, s[0], p)};
            })[0];
        buildForLoop(pb, zero, constIndex(pb, experts), one, ValueRange{},
                     [&](ImplicitLocOpBuilder &lb, Value e, ValueRange) {
                       Value p = arith::DivFOp::create(
                           lb, memref::LoadOp::create(lb, scores, ValueRange{e}), total);
                       memref::StoreOp::create(lb, p, scores, ValueRange{e});
                       memref::StoreOp::create(lb, p, rank, ValueRange{e});
                       return SmallVector<Value>{};
                     });
      }
      if (groups > 1) {
        // Keep the experts of the topk_group groups whose two best ranks sum
        // highest; the others drop out of the selection.
        int64_t perGroup = experts / groups;
        Value groupScore = memref::AllocaOp::create(pb, MemRefType::get({groups}, f32));
        buildForLoop(pb, zero, constIndex(pb, groups), one, ValueRange{},
                     [&](ImplicitLocOpBuilder &gb, Value g, ValueRange) {
          Value base = arith::MulIOp::create(gb, g, constIndex(gb, perGroup));
          // The sum of the group's two best ranks.
          ValueRange best2 = buildForLoop(
              gb, zero, constIndex(gb, perGroup), one,
              ValueRange{constF32(gb, -std::numeric_limits<float>::infinity()),
                         constF32(gb, -std::numeric_limits<float>::infinity())},
              [&](ImplicitLocOpBuilder &lb, Value j, ValueRange s) {
                Value v = memref::LoadOp::create(lb, rank,
                                                 ValueRange{arith::AddIOp::create(lb, base, j)});
                Value isTop = arith::CmpFOp::create(lb, arith::CmpFPredicate::OGT, v, s[0]);
                Value isSecond = arith::CmpFOp::create(lb, arith::CmpFPredicate::OGT, v, s[1]);
                Value top = arith::SelectOp::create(lb, isTop, v, s[0]);
                Value second = arith::SelectOp::create(
                    lb, isTop, s[0], arith::SelectOp::create(lb, isSecond, v, s[1]));
                return SmallVector<Value>{top, second};
              });
          Value sum = perGroup >= 2 ? arith::AddFOp::create(gb, best2[0], best2[1]).getResult()
                                    : best2[0];
          memref::StoreOp::create(gb, sum, groupScore, ValueRange{g});
          return SmallVector<Value>{};
        });
        Value keep = memref::AllocaOp::create(pb, MemRefType::get({groups}, b.getI1Type()));
        Value no = arith::ConstantOp::create(pb, pb.getBoolAttr(false));
        Value yes = arith::ConstantOp::create(pb, pb.getBoolAttr(true));
        buildForLoop(pb, zero, constIndex(pb, groups), one, ValueRange{},
                     [&](ImplicitLocOpBuilder &lb, Value g, ValueRange) {
                       memref::StoreOp::create(lb, no, keep, ValueRange{g});
                       return SmallVector<Value>{};
                     });
        emitTopK(
            pb, groups, topkGroup,
            [&](ImplicitLocOpBuilder &lb, Value g) {
              return memref::LoadOp::create(lb, groupScore, ValueRange{g});
            },
            [&](ImplicitLocOpBuilder &sb, Value, Value, Value g) {
              memref::StoreOp::create(sb, yes, keep, ValueRange{g});
            });
        Value minusInf = constF32(pb, -std::numeric_limits<float>::infinity());
        buildForLoop(pb, zero, constIndex(pb, experts), one, ValueRange{},
                     [&](ImplicitLocOpBuilder &lb, Value e, ValueRange) {
                       Value g = arith::DivUIOp::create(lb, e, constIndex(lb, perGroup));
                       Value kept = memref::LoadOp::create(lb, keep, ValueRange{g});
                       Value r = memref::LoadOp::create(lb, rank, ValueRange{e});
                       memref::StoreOp::create(lb, arith::SelectOp::create(lb, kept, r, minusInf),
                                               rank, ValueRange{e});
                       return SmallVector<Value>{};
                     });
      }
      emitTopK(
          pb, experts, k,
          [&](ImplicitLocOpBuilder &lb, Value e) {
            return memref::LoadOp::create(lb, rank, ValueRange{e});
          },
          [&](ImplicitLocOpBuilder &sb, Value slot, Value, Value e) {
            memref::StoreOp::create(sb, indexToI32(sb, e), ids, ValueRange{t, slot});
            memref::StoreOp::create(sb, memref::LoadOp::create(sb, scores, ValueRange{e}),
                                    weights, ValueRange{t, slot});
          });
      // Weights of the chosen: softmax over them (topk_softmax), or the
      // scores, renormalised and scaled as asked.
      Value kIndex = constIndex(pb, k);
      if (routing == MoeRouting::topk_softmax) {
        Value top = memref::LoadOp::create(pb, weights, ValueRange{t, zero});
        Value total = buildForLoop(
            pb, zero, kIndex, one, ValueRange{constF32(pb, 0.0f)},
            [&](ImplicitLocOpBuilder &lb, Value s, ValueRange acc) {
              Value e = math::ExpOp::create(
                  lb, arith::SubFOp::create(
                          lb, memref::LoadOp::create(lb, weights, ValueRange{t, s}), top));
              memref::StoreOp::create(lb, e, weights, ValueRange{t, s});
              return SmallVector<Value>{arith::AddFOp::create(lb, acc[0], e)};
            })[0];
        buildForLoop(pb, zero, kIndex, one, ValueRange{},
                     [&](ImplicitLocOpBuilder &lb, Value s, ValueRange) {
                       Value w = memref::LoadOp::create(lb, weights, ValueRange{t, s});
                       memref::StoreOp::create(lb, arith::DivFOp::create(lb, w, total), weights,
                                               ValueRange{t, s});
                       return SmallVector<Value>{};
                     });
      }
      if (normalize || routedScale != 1.0f) {
        Value total = constF32(pb, 1.0f);
        if (normalize)
          total = buildForLoop(pb, zero, kIndex, one, ValueRange{constF32(pb, 0.0f)},
                               [&](ImplicitLocOpBuilder &lb, Value s, ValueRange acc) {
                                 return SmallVector<Value>{arith::AddFOp::create(
                                     lb, acc[0],
                                     memref::LoadOp::create(lb, weights, ValueRange{t, s}))};
                               })[0];
        buildForLoop(pb, zero, kIndex, one, ValueRange{},
                     [&](ImplicitLocOpBuilder &lb, Value s, ValueRange) {
                       Value w = memref::LoadOp::create(lb, weights, ValueRange{t, s});
                       if (normalize)
                         w = arith::DivFOp::create(lb, w, total);
                       if (routedScale != 1.0f)
                         w = arith::MulFOp::create(lb, w, constF32(lb, routedScale));
                       memref::StoreOp::create(lb, w, weights, ValueRange{t, s});
                       return SmallVector<Value>{};
                     });
      }
    });
  });
}

func::FuncOp lmc::cpu::getClampedSwiGLUKernel(OpBuilder &builder, ModuleOp module,
                                              int64_t dim, float alpha, float limit) {
  MLIRContext *ctx = module.getContext();
  SmallVector<Type> args(3, rows(ctx, dim, Float32Type::get(ctx)));
  std::string name = "lmc_clamped_swiglu_" + std::to_string(dim) + "_" +
                     attrKey(FloatAttr::get(Float32Type::get(ctx), alpha)) + "_" +
                     attrKey(FloatAttr::get(Float32Type::get(ctx), limit));
  return getOrCreateKernel(builder, module, name, args, [&](ImplicitLocOpBuilder &b,
                                                            ValueRange a) {
    Value gate = a[0], up = a[1], y = a[2];
    int64_t w = vectorWidthFor(dim);
    VectorType vec = VectorType::get({w}, b.getF32Type());
    auto splat = [&](float v) {
      return arith::ConstantOp::create(b, DenseElementsAttr::get(vec, b.getF32FloatAttr(v)));
    };
    Value one = splat(1.0f), alphaV = splat(alpha), hi = splat(limit), lo = splat(-limit);
    buildParallelLoop(b, memref::DimOp::create(b, gate, 0), [&](ImplicitLocOpBuilder &pb,
                                                                Value r) {
      buildForLoop(pb, constIndex(pb, 0), constIndex(pb, dim), constIndex(pb, w), ValueRange{},
                   [&](ImplicitLocOpBuilder &lb, Value k, ValueRange) {
                     Value g = arith::MinimumFOp::create(
                         lb, vector::LoadOp::create(lb, vec, gate, ValueRange{r, k}), hi);
                     Value u = arith::MinimumFOp::create(
                         lb,
                         arith::MaximumFOp::create(
                             lb, vector::LoadOp::create(lb, vec, up, ValueRange{r, k}), lo),
                         hi);
                     // g * sigmoid(alpha g) = g / (1 + e^(-alpha g))
                     Value denom = arith::AddFOp::create(
                         lb, one,
                         math::ExpOp::create(
                             lb, arith::NegFOp::create(lb, arith::MulFOp::create(lb, g, alphaV))));
                     Value glu = arith::DivFOp::create(lb, g, denom);
                     vector::StoreOp::create(
                         lb, arith::MulFOp::create(lb, glu, arith::AddFOp::create(lb, u, one)), y,
                         ValueRange{r, k});
                     return SmallVector<Value>{};
                   });
    });
  });
}

func::FuncOp lmc::cpu::getExpertCombineKernel(OpBuilder &builder, ModuleOp module,
                                              int64_t slots, int64_t dim) {
  MLIRContext *ctx = module.getContext();
  Type f32 = Float32Type::get(ctx);
  SmallVector<Type> args{rows(ctx, dim, f32), rows(ctx, slots, f32), rows(ctx, dim, f32)};
  std::string name = "lmc_expert_combine_" + std::to_string(slots) + "_" + std::to_string(dim);
  return getOrCreateKernel(builder, module, name, args, [&](ImplicitLocOpBuilder &b,
                                                            ValueRange a) {
    Value outputs = a[0], weights = a[1], y = a[2];
    int64_t w = vectorWidthFor(dim);
    VectorType vec = VectorType::get({w}, f32);
    Value zero = arith::ConstantOp::create(b, DenseElementsAttr::get(vec, b.getF32FloatAttr(0.0f)));
    buildParallelLoop(b, memref::DimOp::create(b, y, 0), [&](ImplicitLocOpBuilder &pb,
                                                             Value t) {
      Value first = arith::MulIOp::create(pb, t, constIndex(pb, slots));
      buildForLoop(pb, constIndex(pb, 0), constIndex(pb, dim), constIndex(pb, w), ValueRange{},
                   [&](ImplicitLocOpBuilder &lb, Value k, ValueRange) {
                     Value acc = zero;
                     // In slot order, as the primitive reduce_sum adds them.
                     for (int64_t s = 0; s < slots; ++s) {
                       Value row = arith::AddIOp::create(lb, first, constIndex(lb, s));
                       Value v = vector::LoadOp::create(lb, vec, outputs, ValueRange{row, k});
                       Value ws = memref::LoadOp::create(lb, weights,
                                                         ValueRange{t, constIndex(lb, s)});
                       acc = arith::AddFOp::create(
                           lb, acc,
                           arith::MulFOp::create(lb, v, vector::BroadcastOp::create(lb, vec, ws)));
                     }
                     vector::StoreOp::create(lb, acc, y, ValueRange{t, k});
                     return SmallVector<Value>{};
                   });
    });
  });
}
