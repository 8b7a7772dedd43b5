//===- KernelBuilder.cpp - building CPU kernel functions ------------------===//
#include "passes/cpu/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

func::FuncOp lmc::cpu::getOrCreateKernel(OpBuilder &builder, ModuleOp module,
                                         StringRef name, TypeRange argTypes,
                                         KernelBodyBuilder buildBody) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  Location loc = module.getLoc();
  auto fn = func::FuncOp::create(builder, loc, name,
                                 builder.getFunctionType(argTypes, {}));
  fn.setPrivate();
  Block *entry = fn.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  ImplicitLocOpBuilder b(loc, builder);
  buildBody(b, entry->getArguments());
  func::ReturnOp::create(b);
  return fn;
}

Value lmc::cpu::constIndex(ImplicitLocOpBuilder &b, int64_t value) {
  return arith::ConstantIndexOp::create(b, value);
}

Value lmc::cpu::constF32(ImplicitLocOpBuilder &b, float value) {
  return arith::ConstantOp::create(b, b.getF32FloatAttr(value));
}

Value lmc::cpu::constI8Vector(ImplicitLocOpBuilder &b, int64_t width,
                              int8_t value) {
  auto type = VectorType::get({width}, b.getI8Type());
  return arith::ConstantOp::create(
      b, DenseElementsAttr::get(type, b.getI8IntegerAttr(value)));
}

void lmc::cpu::buildParallelLoop(
    ImplicitLocOpBuilder &b, Value count,
    function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
  Value zero = constIndex(b, 0), one = constIndex(b, 1);
  scf::ParallelOp::create(
      b, ValueRange{zero}, ValueRange{count}, ValueRange{one},
      [&](OpBuilder &nested, Location loc, ValueRange ivs) {
        ImplicitLocOpBuilder nb(loc, nested);
        body(nb, ivs[0]);
      });
}

ValueRange lmc::cpu::buildForLoop(
    ImplicitLocOpBuilder &b, Value lower, Value upper, Value step,
    ValueRange init,
    function_ref<SmallVector<Value>(ImplicitLocOpBuilder &, Value, ValueRange)>
        body) {
  auto loop = scf::ForOp::create(
      b, lower, upper, step, init,
      [&](OpBuilder &nested, Location loc, Value iv, ValueRange args) {
        ImplicitLocOpBuilder nb(loc, nested);
        SmallVector<Value> results = body(nb, iv, args);
        scf::YieldOp::create(nb, results);
      });
  return loop.getResults();
}

void lmc::cpu::buildGroupedLoop(ImplicitLocOpBuilder &b, Value begin, Value end, int64_t group,
                                function_ref<void(ImplicitLocOpBuilder &, Value, int64_t)> body) {
  Value span = arith::SubIOp::create(b, end, begin);
  Value groupedEnd =
      arith::SubIOp::create(b, end, arith::RemUIOp::create(b, span, constIndex(b, group)));
  auto run = [&](Value from, Value to, int64_t count) {
    buildForLoop(b, from, to, constIndex(b, count), ValueRange{},
                 [&](ImplicitLocOpBuilder &lb, Value first, ValueRange) {
                   body(lb, first, count);
                   return SmallVector<Value>{};
                 });
  };
  run(begin, groupedEnd, group);
  run(groupedEnd, end, 1);
}

SmallVector<Value> lmc::cpu::consecutiveIndices(ImplicitLocOpBuilder &b, Value first,
                                                int64_t count) {
  SmallVector<Value> indices{first};
  for (int64_t i = 1; i < count; ++i)
    indices.push_back(arith::AddIOp::create(b, first, constIndex(b, i)));
  return indices;
}

Value lmc::cpu::allocBuffer(OpBuilder &b, Location loc, MemRefType type,
                            ValueRange dynamicSizes) {
  return memref::AllocOp::create(b, loc, type, dynamicSizes,
                                 b.getI64IntegerAttr(64));
}

Value lmc::cpu::reduceAdd(ImplicitLocOpBuilder &b, Value vector) {
  return vector::ReductionOp::create(
      b, vector::CombiningKind::ADD, vector,
      arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
}

/// Pairs up the lanes of `x` and `y`, viewed as groups of `group` lanes:
/// the result holds, for each group of x and then each group of y, the sum
/// of its lower and upper halves. With no `y`, only x's groups.
static Value addGroupHalves(ImplicitLocOpBuilder &b, Value x, Value y, int64_t group) {
  int64_t width = cast<VectorType>(x.getType()).getNumElements();
  SmallVector<int64_t> lower, upper;
  for (int64_t source = 0; source < (y ? 2 : 1); ++source)
    for (int64_t g = 0; g < width / group; ++g)
      for (int64_t l = 0; l < group / 2; ++l) {
        lower.push_back(source * width + g * group + l);
        upper.push_back(source * width + g * group + group / 2 + l);
      }
  Value other = y ? y : x;
  return arith::AddFOp::create(b, vector::ShuffleOp::create(b, x, other, lower),
                               vector::ShuffleOp::create(b, x, other, upper));
}

Value lmc::cpu::reduceAddEach(ImplicitLocOpBuilder &b, ValueRange vectors) {
  ReduceAddEachInOrder sums;
  for (Value v : vectors)
    sums.push(b, v);
  return sums.finish(b);
}

void lmc::cpu::ReduceAddEachInOrder::push(ImplicitLocOpBuilder &b, Value vector) {
  int64_t width = cast<VectorType>(vector.getType()).getNumElements();
  ++pushed;
  assert(pushed <= width && "at most as many vectors as their width");
  // Two partial sums of one depth d cover 2^d vectors each, every vector in
  // groups of width >> d lanes: adding their halves halves the groups.
  pending.push_back({vector, 0});
  while (pending.size() >= 2 && pending.back().second == pending[pending.size() - 2].second) {
    auto [y, depth] = pending.pop_back_val();
    Value x = pending.pop_back_val().first;
    pending.push_back({addGroupHalves(b, x, y, width >> depth), depth + 1});
  }
}

Value lmc::cpu::ReduceAddEachInOrder::finish(ImplicitLocOpBuilder &b) {
  assert(pushed > 0 && llvm::isPowerOf2_64(pushed) && pending.size() == 1 &&
         "a power of two of vectors");
  auto [sum, depth] = pending.front();
  // Within the one vector left, down to single lanes.
  for (int64_t group = cast<VectorType>(sum.getType()).getNumElements() >> depth; group > 1;
       group /= 2)
    sum = addGroupHalves(b, sum, Value(), group);
  pending.clear();
  pushed = 0;
  return sum;
}

Value lmc::cpu::loadAsF32(ImplicitLocOpBuilder &b, VectorType type, Value memref,
                          ValueRange indices) {
  Type stored = cast<MemRefType>(memref.getType()).getElementType();
  if (stored == type.getElementType())
    return vector::LoadOp::create(b, type, memref, indices);
  Value raw = vector::LoadOp::create(b, type.clone(stored), memref, indices);
  return arith::ExtFOp::create(b, type, raw);
}

void lmc::cpu::storeFromF32(ImplicitLocOpBuilder &b, Value value, Value memref,
                            ValueRange indices) {
  Type stored = cast<MemRefType>(memref.getType()).getElementType();
  auto type = cast<VectorType>(value.getType());
  if (stored != type.getElementType())
    value = arith::TruncFOp::create(b, type.clone(stored), value);
  vector::StoreOp::create(b, value, memref, indices);
}

int64_t lmc::cpu::vectorWidthFor(int64_t n) {
  for (int64_t w : {32, 16, 8, 4, 2})
    if (n % w == 0)
      return w;
  return 1;
}

std::string lmc::cpu::attrKey(Attribute attr) {
  std::string text;
  llvm::raw_string_ostream os(text);
  attr.print(os);
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text)
    hash = (hash ^ c) * 0x100000001b3ULL;
  return llvm::utohexstr(hash, /*LowerCase=*/true);
}

/// A private constant global initialised with `init`, named after it.
static Value getConstantGlobal(ImplicitLocOpBuilder &b, ModuleOp module, StringRef prefix,
                               DenseElementsAttr init) {
  auto tensorType = cast<RankedTensorType>(init.getType());
  auto type = MemRefType::get(tensorType.getShape(), tensorType.getElementType());
  std::string name = (prefix + "_" + lmc::cpu::attrKey(init)).str();
  if (!module.lookupSymbol<memref::GlobalOp>(name)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    memref::GlobalOp::create(b, name, b.getStringAttr("private"), type, init,
                             /*constant=*/true, /*alignment=*/b.getI64IntegerAttr(64));
  }
  return memref::GetGlobalOp::create(b, type, name);
}

Value lmc::cpu::getConstantTable(ImplicitLocOpBuilder &b, ModuleOp module,
                                 StringRef prefix, ArrayRef<float> values) {
  auto type = RankedTensorType::get({(int64_t)values.size()}, b.getF32Type());
  return getConstantGlobal(b, module, prefix, DenseElementsAttr::get(type, values));
}

Value lmc::cpu::getConstantTable(ImplicitLocOpBuilder &b, ModuleOp module,
                                 StringRef prefix, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({(int64_t)values.size()}, b.getI64Type());
  return getConstantGlobal(b, module, prefix, DenseElementsAttr::get(type, values));
}
