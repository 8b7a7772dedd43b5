//===- AttentionKernels.cpp - attention and KV cache kernels --------------===//
//
// The cache of a sequence is one buffer [layers, streams, heads, capacity,
// dim]: each head's positions are contiguous, so attention streams through
// them. Attention keeps a running maximum and denominator (online softmax)
// updated once per block of keys, so scores are never materialised beyond
// one vector.
//
//===----------------------------------------------------------------------===//
#include "passes/cpu/KernelBuilder.h"
#include "passes/cpu/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace lmc::cpu;
using namespace lmc::tfm;

MemRefType lmc::cpu::getCacheMemRefType(KVCacheType cache) {
  return MemRefType::get({cache.getLayers(), cache.getStreams(),
                          cache.getHeads(), ShapedType::kDynamic, cache.getDim()},
                         cache.getElementType());
}

static std::string cacheKey(KVCacheType cache) {
  return std::to_string(cache.getLayers()) + "x" +
         std::to_string(cache.getStreams()) + "x" +
         std::to_string(cache.getHeads()) + "x" + std::to_string(cache.getDim());
}

func::FuncOp lmc::cpu::getAttentionKernel(OpBuilder &builder, ModuleOp module,
                                          int64_t queryHeads, KVCacheType cache,
                                          bool withSinks) {
  MLIRContext *ctx = module.getContext();
  int64_t dim = cache.getDim(), kvHeads = cache.getHeads();
  Type f32 = Float32Type::get(ctx), index = IndexType::get(ctx);
  auto act = MemRefType::get({ShapedType::kDynamic, queryHeads, dim}, f32);
  SmallVector<Type> args{act, getCacheMemRefType(cache), act, index, index,
                         index, f32};
  if (withSinks)
    args.push_back(MemRefType::get({queryHeads}, f32));
  std::string name = "lmc_attention_" + std::to_string(queryHeads) + "_" +
                     cacheKey(cache) + (withSinks ? "_sinks" : "");
  return getOrCreateKernel(
      builder, module, name, args, [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value q = a[0], kv = a[1], out = a[2], layer = a[3], start = a[4],
              window = a[5], scale = a[6];
        VectorType vec = VectorType::get({dim}, f32);
        // Keys are taken a block at a time: their scores form one vector, so
        // the softmax update (and its exp) is vectorized across them.
        int64_t lanes = std::min<int64_t>(16, vectorWidthFor(dim));
        int64_t keyBlock = lanes;
        VectorType blockVec = VectorType::get({keyBlock}, f32);
        Value minusInf = constF32(b, -std::numeric_limits<float>::infinity());
        auto splat = [&](ImplicitLocOpBuilder &lb, Value scalar) -> Value {
          return vector::BroadcastOp::create(lb, blockVec, scalar);
        };
        // The dim lanes of a product summed down to `lanes`.
        auto foldLanes = [&](ImplicitLocOpBuilder &lb, Value product) {
          Value sum;
          for (int64_t c = 0; c < dim; c += lanes) {
            Value part = vector::ExtractStridedSliceOp::create(
                lb, product, ArrayRef<int64_t>{c}, ArrayRef<int64_t>{lanes},
                ArrayRef<int64_t>{1});
            sum = sum ? arith::AddFOp::create(lb, sum, part).getResult() : part;
          }
          return sum;
        };
        Value zero = constIndex(b, 0), one = constIndex(b, 1);
        Value tokens = memref::DimOp::create(b, q, 0);
        Value work = arith::MulIOp::create(b, tokens, constIndex(b, queryHeads));
        buildParallelLoop(b, work, [&](ImplicitLocOpBuilder &pb, Value item) {
          // Head-major, so the queries a thread takes in turn read the same
          // keys and values (from L2, not L3).
          Value h = arith::DivUIOp::create(pb, item, tokens);
          Value t = arith::RemUIOp::create(pb, item, tokens);
          Value kvHead =
              arith::DivUIOp::create(pb, h, constIndex(pb, queryHeads / kvHeads));
          // Keys [first, end): up to the query's own position, and within the
          // window when there is one.
          Value end = arith::AddIOp::create(pb, arith::AddIOp::create(pb, start, t), one);
          Value windowed = arith::CmpIOp::create(pb, arith::CmpIPredicate::ugt,
                                                 window, zero);
          Value fits = arith::CmpIOp::create(pb, arith::CmpIPredicate::ugt, end, window);
          Value first = arith::SelectOp::create(
              pb, arith::AndIOp::create(pb, windowed, fits),
              arith::SubIOp::create(pb, end, window), zero);
          Value query = vector::LoadOp::create(pb, vec, q, ValueRange{t, h, zero});
          Value accInit = arith::ConstantOp::create(
              pb, DenseElementsAttr::get(vec, pb.getF32FloatAttr(0.0f)));
          // A sink is a key with a fixed logit and no value: the running
          // maximum starts at it and the denominator at exp(0) = 1.
          Value maxInit = constF32(pb, -std::numeric_limits<float>::infinity());
          Value denomInit = constF32(pb, 0.0f);
          if (withSinks) {
            maxInit = memref::LoadOp::create(pb, a[7], ValueRange{h});
            denomInit = constF32(pb, 1.0f);
          }
          Value last = arith::SubIOp::create(pb, end, one);
          ValueRange state = buildForLoop(
              pb, first, end, constIndex(pb, keyBlock), ValueRange{maxInit, denomInit, accInit},
              [&](ImplicitLocOpBuilder &lb, Value j0, ValueRange s) {
                Value maxSoFar = s[0], denom = s[1], acc = s[2];
                // Keys past the end read the last one again and are masked.
                SmallVector<Value> keys, partials;
                for (int64_t i = 0; i < keyBlock; ++i) {
                  Value j = arith::AddIOp::create(lb, j0, constIndex(lb, i));
                  keys.push_back(arith::MinUIOp::create(lb, j, last));
                  Value key = vector::LoadOp::create(
                      lb, vec, kv, ValueRange{layer, zero, kvHead, keys.back(), zero});
                  partials.push_back(foldLanes(lb, arith::MulFOp::create(lb, query, key)));
                }
                Value lane = vector::StepOp::create(lb, VectorType::get({keyBlock}, index));
                Value valid = arith::CmpIOp::create(
                    lb, arith::CmpIPredicate::ult,
                    arith::AddIOp::create(lb, vector::BroadcastOp::create(lb, lane.getType(), j0),
                                          lane),
                    vector::BroadcastOp::create(lb, lane.getType(), end));
                Value scores =
                    arith::MulFOp::create(lb, reduceAddEach(lb, partials), splat(lb, scale));
                scores = arith::SelectOp::create(lb, valid, scores, splat(lb, minusInf));
                Value blockMax = vector::ReductionOp::create(
                    lb, vector::CombiningKind::MAXNUMF, scores);
                Value newMax = arith::MaxNumFOp::create(lb, maxSoFar, blockMax);
                Value rescale = math::ExpOp::create(
                    lb, arith::SubFOp::create(lb, maxSoFar, newMax));
                Value weights = math::ExpOp::create(
                    lb, arith::SubFOp::create(lb, scores, splat(lb, newMax)));
                weights = arith::SelectOp::create(lb, valid, weights, splat(lb, constF32(lb, 0)));
                Value newDenom = arith::AddFOp::create(
                    lb, arith::MulFOp::create(lb, denom, rescale), reduceAdd(lb, weights));
                Value newAcc = arith::MulFOp::create(
                    lb, acc, vector::BroadcastOp::create(lb, vec, rescale));
                for (int64_t i = 0; i < keyBlock; ++i) {
                  Value value = vector::LoadOp::create(
                      lb, vec, kv, ValueRange{layer, one, kvHead, keys[i], zero});
                  Value weight = vector::ExtractOp::create(lb, weights, ArrayRef<int64_t>{i});
                  newAcc = vector::FMAOp::create(
                      lb, vector::BroadcastOp::create(lb, vec, weight), value, newAcc);
                }
                return SmallVector<Value>{newMax, newDenom, newAcc};
              });
          Value result = arith::DivFOp::create(
              pb, state[2], vector::BroadcastOp::create(pb, vec, state[1]));
          vector::StoreOp::create(pb, result, out, ValueRange{t, h, zero});
        });
      });
}

func::FuncOp lmc::cpu::getCacheWriteKernel(OpBuilder &builder, ModuleOp module,
                                           KVCacheType cache) {
  MLIRContext *ctx = module.getContext();
  Type index = IndexType::get(ctx);
  auto values = MemRefType::get(
      {ShapedType::kDynamic, cache.getHeads(), cache.getDim()},
      cache.getElementType());
  SmallVector<Type> args{values, getCacheMemRefType(cache), index, index, index};
  return getOrCreateKernel(
      builder, module, "lmc_cache_write_" + cacheKey(cache), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value in = a[0], kv = a[1], layer = a[2], stream = a[3], start = a[4];
        VectorType vec = VectorType::get({cache.getDim()}, cache.getElementType());
        Value zero = constIndex(b, 0), one = constIndex(b, 1);
        Value tokens = memref::DimOp::create(b, in, 0);
        buildForLoop(b, zero, tokens, one, ValueRange{},
                     [&](ImplicitLocOpBuilder &tb, Value t, ValueRange) {
                       Value pos = arith::AddIOp::create(tb, start, t);
                       buildForLoop(tb, zero, constIndex(tb, cache.getHeads()), one,
                                    ValueRange{},
                                    [&](ImplicitLocOpBuilder &hb, Value h, ValueRange) {
                                      Value v = vector::LoadOp::create(
                                          hb, vec, in, ValueRange{t, h, zero});
                                      vector::StoreOp::create(
                                          hb, v, kv,
                                          ValueRange{layer, stream, h, pos, zero});
                                      return SmallVector<Value>{};
                                    });
                       return SmallVector<Value>{};
                     });
      });
}

func::FuncOp lmc::cpu::getCacheReadKernel(OpBuilder &builder, ModuleOp module,
                                          KVCacheType cache) {
  MLIRContext *ctx = module.getContext();
  Type index = IndexType::get(ctx);
  auto values = MemRefType::get(
      {ShapedType::kDynamic, cache.getHeads(), cache.getDim()},
      cache.getElementType());
  SmallVector<Type> args{getCacheMemRefType(cache), values, index, index};
  return getOrCreateKernel(
      builder, module, "lmc_cache_read_" + cacheKey(cache), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value kv = a[0], out = a[1], layer = a[2], stream = a[3];
        VectorType vec = VectorType::get({cache.getDim()}, cache.getElementType());
        Value zero = constIndex(b, 0), one = constIndex(b, 1);
        Value tokens = memref::DimOp::create(b, out, 0);
        buildForLoop(b, zero, tokens, one, ValueRange{},
                     [&](ImplicitLocOpBuilder &tb, Value t, ValueRange) {
                       buildForLoop(tb, zero, constIndex(tb, cache.getHeads()), one,
                                    ValueRange{},
                                    [&](ImplicitLocOpBuilder &hb, Value h, ValueRange) {
                                      Value v = vector::LoadOp::create(
                                          hb, vec, kv, ValueRange{layer, stream, h, t, zero});
                                      vector::StoreOp::create(hb, v, out,
                                                              ValueRange{t, h, zero});
                                      return SmallVector<Value>{};
                                    });
                       return SmallVector<Value>{};
                     });
      });
}
