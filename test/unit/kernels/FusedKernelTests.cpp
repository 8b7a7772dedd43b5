//===- FusedKernelTests.cpp - fused kernels vs the primitive reference path ===//
//
// Each fused op's kernel is checked twice on fresh random inputs: against the
// plain lowering of the primitive graph it replaces (the `--no-fuse` path,
// compiled from the same IR with fusion off) and against a double-precision
// computation written here. The IR is the primitive form the frontend emits,
// so the fusion pass must also recognise it: the test checks that the fused
// op, and only it, is left after fusion.
//
//===----------------------------------------------------------------------===//
#include "frontends/quant/QuantFormats.h"
#include "test/unit/kernels/KernelHarness.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace lmc::test;

namespace {

/// Compiles `source` fused and unfused; returns both entry points. Fusion must
/// have turned the whole graph into `fusedOp`.
template <typename Fn>
std::pair<Fn, Fn> compileBoth(KernelHarness &fused, KernelHarness &plain,
                              const std::string &source, const char *fusedOp) {
  EXPECT_TRUE(fused.compile(source, /*fuse=*/true)) << fused.error();
  EXPECT_EQ(fused.opsAfterFusion(), std::set<std::string>{fusedOp});
  EXPECT_TRUE(plain.compile(source, /*fuse=*/false)) << plain.error();
  return {(Fn)fused.lookup("run"), (Fn)plain.lookup("run")};
}

/// Max |a - b| relative to max(1, |b|), elementwise.
double maxRelativeError(const std::vector<float> &a, const std::vector<double> &b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::fabs(a[i] - b[i]) / std::max(1.0, std::fabs(b[i])));
  return worst;
}

double maxRelativeError(const std::vector<float> &a, const std::vector<float> &b) {
  return maxRelativeError(a, std::vector<double>(b.begin(), b.end()));
}

std::string str(int64_t v) { return std::to_string(v); }

/// A float in MLIR syntax that parses back to exactly `v`.
std::string str(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9e", v);
  return buf;
}

//===----------------------------------------------------------------------===//
// RMSNorm
//===----------------------------------------------------------------------===//

TEST(FusedKernels, RMSNorm) {
  const int64_t rows = 7, dim = 96;
  const float eps = 1e-6f;
  std::string t = "tensor<?x" + str(dim) + "xf32>", r = "tensor<?x1xf32>";
  std::string source =
      "func.func @run(%x: " + t + ", %g: tensor<" + str(dim) +
      "xf32>) -> " + t + " attributes {llvm.emit_c_interface} {\n"
      "  %sq = tfm.mul %x, %x : (" + t + ", " + t + ") -> " + t + "\n"
      "  %ms = tfm.reduce_mean %sq along 1 : (" + t + ") -> " + r + "\n"
      "  %eps = tfm.constant 1.0e-06 : tensor<f32>\n"
      "  %a = tfm.add %ms, %eps : (" + r + ", tensor<f32>) -> " + r + "\n"
      "  %i = tfm.rsqrt %a : " + r + "\n"
      "  %n = tfm.mul %x, %i : (" + t + ", " + r + ") -> " + t + "\n"
      "  %y = tfm.mul %n, %g : (" + t + ", tensor<" + str(dim) + "xf32>) -> " + t + "\n"
      "  return %y : " + t + "\n}\n";
  KernelHarness fused, plain;
  using Fn = void (*)(MemRef<float, 2> *, MemRef<float, 1> *, MemRef<float, 2> *);
  auto [runFused, runPlain] = compileBoth<Fn>(fused, plain, source, "tfm.rms_norm");
  ASSERT_TRUE(runFused && runPlain);

  TestRandom rng(101);
  std::vector<float> x = rng.floats(rows * dim, -3, 3), g = rng.floats(dim, 0.5f, 1.5f);
  std::vector<float> a(rows * dim), b(rows * dim);
  auto xm = memref<float, 2>(x.data(), {rows, dim});
  auto gm = memref<float, 1>(g.data(), {dim});
  auto am = memref<float, 2>(a.data(), {rows, dim});
  auto bm = memref<float, 2>(b.data(), {rows, dim});
  runFused(&xm, &gm, &am);
  runPlain(&xm, &gm, &bm);

  std::vector<double> expected(rows * dim);
  for (int64_t i = 0; i < rows; ++i) {
    double ss = 0;
    for (int64_t j = 0; j < dim; ++j)
      ss += double(x[i * dim + j]) * x[i * dim + j];
    double inv = 1.0 / std::sqrt(ss / dim + eps);
    for (int64_t j = 0; j < dim; ++j)
      expected[i * dim + j] = x[i * dim + j] * inv * g[j];
  }
  EXPECT_LT(maxRelativeError(a, expected), 1e-6);
  EXPECT_LT(maxRelativeError(a, b), 1e-6);
}

//===----------------------------------------------------------------------===//
// SwiGLU
//===----------------------------------------------------------------------===//

TEST(FusedKernels, SwiGLU) {
  const int64_t rows = 5, dim = 200;
  std::string t = "tensor<?x" + str(dim) + "xf32>";
  std::string source =
      "func.func @run(%g: " + t + ", %u: " + t + ") -> " + t +
      " attributes {llvm.emit_c_interface} {\n"
      "  %s = tfm.sigmoid %g : " + t + "\n"
      "  %a = tfm.mul %g, %s : (" + t + ", " + t + ") -> " + t + "\n"
      "  %y = tfm.mul %a, %u : (" + t + ", " + t + ") -> " + t + "\n"
      "  return %y : " + t + "\n}\n";
  KernelHarness fused, plain;
  using Fn = void (*)(MemRef<float, 2> *, MemRef<float, 2> *, MemRef<float, 2> *);
  auto [runFused, runPlain] = compileBoth<Fn>(fused, plain, source, "tfm.swiglu");
  ASSERT_TRUE(runFused && runPlain);

  TestRandom rng(102);
  // Wide range: silu saturates on both sides.
  std::vector<float> g = rng.floats(rows * dim, -30, 30), u = rng.floats(rows * dim, -2, 2);
  std::vector<float> a(rows * dim), b(rows * dim);
  auto gm = memref<float, 2>(g.data(), {rows, dim});
  auto um = memref<float, 2>(u.data(), {rows, dim});
  auto am = memref<float, 2>(a.data(), {rows, dim});
  auto bm = memref<float, 2>(b.data(), {rows, dim});
  runFused(&gm, &um, &am);
  runPlain(&gm, &um, &bm);
  std::vector<double> expected(rows * dim);
  for (size_t i = 0; i < g.size(); ++i)
    expected[i] = g[i] / (1.0 + std::exp(-double(g[i]))) * u[i];
  EXPECT_LT(maxRelativeError(a, expected), 1e-6);
  EXPECT_LT(maxRelativeError(a, b), 1e-6);
}

//===----------------------------------------------------------------------===//
// RoPE (NeoX pairing), plain and YaRN-scaled, at large positions
//===----------------------------------------------------------------------===//

struct RopeCase {
  const char *name;
  const char *config;
  float mscale;
  // The same frequencies, for the double-precision reference: base, and for
  // YaRN the factor and original context (0: no scaling).
  double base, factor;
  int64_t originalContext;
};

/// theta_i of a rotary embedding of `dim` dimensions, YaRN-blended when
/// originalContext > 0 (beta_fast 32, beta_slow 1, as ggml's rope_yarn).
double ropeTheta(const RopeCase &c, int64_t dim, int64_t i) {
  double theta = std::pow(c.base, -2.0 * i / dim);
  if (c.originalContext == 0)
    return theta;
  auto corr = [&](double rotations) {
    return dim * std::log(c.originalContext / (rotations * 2 * M_PI)) / (2 * std::log(c.base));
  };
  double low = std::max(0.0, std::floor(corr(32))), high = std::min(dim - 1.0, std::ceil(corr(1)));
  double y = (i - low) / std::max(0.001, high - low);
  double extrapolate = 1 - std::min(1.0, std::max(0.0, y));
  return theta / c.factor * (1 - extrapolate) + theta * extrapolate;
}

class FusedRope : public ::testing::TestWithParam<RopeCase> {};

TEST_P(FusedRope, MatchesPrimitiveGraph) {
  const RopeCase &c = GetParam();
  const int64_t tokens = 6, heads = 3, dim = 64, half = dim / 2;
  std::string x = "tensor<?x" + str(heads) + "x" + str(dim) + "xf32>";
  std::string hx = "tensor<?x" + str(heads) + "x" + str(half) + "xf32>";
  std::string a = "tensor<?x" + str(half) + "xf32>", f = "tensor<?x" + str(dim) + "xf32>";
  std::string f3 = "tensor<?x1x" + str(dim) + "xf32>";
  std::string scale;
  std::string cosName = "%c", sinName = "%s";
  if (c.mscale != 1.0f) {
    scale = "  %m = tfm.constant " + str(c.mscale) + " : tensor<f32>\n"
            "  %cm = tfm.mul %c, %m : (" + a + ", tensor<f32>) -> " + a + "\n"
            "  %sm = tfm.mul %s, %m : (" + a + ", tensor<f32>) -> " + a + "\n";
    cosName = "%cm";
    sinName = "%sm";
  }
  std::string source =
      "func.func @run(%x: " + x + ", %pos: index) -> " + x +
      " attributes {llvm.emit_c_interface} {\n"
      "  %c0 = arith.constant 0 : index\n"
      "  %n = tensor.dim %x, %c0 : " + x + "\n"
      "  %ang = tfm.rope_angles %pos, %n config" + c.config + " : " + a + "\n"
      "  %c = tfm.cos %ang : " + a + "\n"
      "  %s = tfm.sin %ang : " + a + "\n" + scale +
      "  %cc = tfm.concat " + cosName + ", " + cosName + " along 1 : (" + a + ", " + a + ") -> " + f + "\n"
      "  %ss = tfm.concat " + sinName + ", " + sinName + " along 1 : (" + a + ", " + a + ") -> " + f + "\n"
      "  %c3 = tfm.reshape %cc : (" + f + ") -> " + f3 + "\n"
      "  %s3 = tfm.reshape %ss : (" + f + ") -> " + f3 + "\n"
      "  %x1 = tfm.slice %x along 2 from 0 size " + str(half) + " : (" + x + ") -> " + hx + "\n"
      "  %x2 = tfm.slice %x along 2 from " + str(half) + " size " + str(half) + " : (" + x + ") -> " + hx + "\n"
      "  %nx2 = tfm.neg %x2 : " + hx + "\n"
      "  %rot = tfm.concat %nx2, %x1 along 2 : (" + hx + ", " + hx + ") -> " + x + "\n"
      "  %p = tfm.mul %x, %c3 : (" + x + ", " + f3 + ") -> " + x + "\n"
      "  %q = tfm.mul %rot, %s3 : (" + x + ", " + f3 + ") -> " + x + "\n"
      "  %y = tfm.add %p, %q : (" + x + ", " + x + ") -> " + x + "\n"
      "  return %y : " + x + "\n}\n";
  KernelHarness fused, plain;
  using Fn = void (*)(MemRef<float, 3> *, int64_t, MemRef<float, 3> *);
  auto [runFused, runPlain] = compileBoth<Fn>(fused, plain, source, "tfm.rope");
  ASSERT_TRUE(runFused && runPlain);

  TestRandom rng(103);
  for (int64_t pos : {0, 17, 4000, 30000}) {
    std::vector<float> in = rng.floats(tokens * heads * dim, -2, 2);
    std::vector<float> outA(in.size()), outB(in.size());
    auto im = memref<float, 3>(in.data(), {tokens, heads, dim});
    auto am = memref<float, 3>(outA.data(), {tokens, heads, dim});
    auto bm = memref<float, 3>(outB.data(), {tokens, heads, dim});
    runFused(&im, pos, &am);
    runPlain(&im, pos, &bm);
    // Both paths compute the angle as an f32 product position * theta.
    EXPECT_LT(maxRelativeError(outA, outB), 2e-6) << c.name << " at position " << pos;

    double worst = 0;
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < half; ++i) {
          double angle = double(pos + t) * ropeTheta(c, dim, i);
          double cs = std::cos(angle) * c.mscale, sn = std::sin(angle) * c.mscale;
          const float *x = &in[(t * heads + h) * dim];
          const float *y = &outA[(t * heads + h) * dim];
          worst = std::max({worst, std::fabs(y[i] - (x[i] * cs - x[i + half] * sn)),
                            std::fabs(y[i + half] - (x[i + half] * cs + x[i] * sn))});
        }
    // An f32 angle is off by up to ~2 ulps of (position * theta <= position)
    // radians, times |x| <= 2 on each of two terms.
    double angleError = 2 * std::ldexp(double(pos + tokens), -23);
    EXPECT_LT(worst, 1e-5 + 4 * angleError * c.mscale) << c.name << " at position " << pos;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Configs, FusedRope,
    ::testing::Values(
        RopeCase{"plain", "<dim = 64, base = 1000000.0, scaling = none>", 1.0f,
                 1e6, 1, 0},
        RopeCase{"yarn", "<dim = 64, base = 10000.0, scaling = yarn, factor = 4.0, "
                         "original_context = 512>",
                 1.1386294f, 1e4, 4, 512}),
    [](const ::testing::TestParamInfo<RopeCase> &info) { return info.param.name; });

//===----------------------------------------------------------------------===//
// Attention over the KV cache (GQA, causal, optional sliding window)
//===----------------------------------------------------------------------===//

struct AttentionCase {
  const char *name;
  int64_t queryHeads, kvHeads, window, start, tokens;
  bool sinks = false;
  /// An f16 cache: both paths read its rounded values as f32.
  bool halfCache = false;
};

class FusedAttention : public ::testing::TestWithParam<AttentionCase> {};

TEST_P(FusedAttention, MatchesPrimitiveGraphAndReference) {
  const AttentionCase &c = GetParam();
  const int64_t layers = 2, layer = 1, dim = 32;
  const int64_t capacity = std::max<int64_t>(64, c.start + c.tokens + 5);
  const float scale = 1.0f / std::sqrt(float(dim));
  std::string q = "tensor<?x" + str(c.queryHeads) + "x" + str(dim) + "xf32>";
  std::string kv = "tensor<?x" + str(c.kvHeads) + "x" + str(dim) + "xf32>";
  std::string kvT = "tensor<" + str(c.kvHeads) + "x?x" + str(dim) + "xf32>";
  std::string hq = "tensor<" + str(c.queryHeads) + "x?x" + str(dim) + "xf32>";
  std::string sc = "tensor<" + str(c.queryHeads) + "x?x?xf32>";
  std::string cache = "!tfm.kv_cache<" + str(layers) + "x2x" + str(c.kvHeads) + "x" +
                      str(dim) + (c.halfCache ? ", f16>" : ", f32>");
  // Keys or values of the layer as [query heads, positions, dim]: transposed,
  // and repeated when KV heads are shared.
  auto heads = [&](const char *stream, const std::string &name) {
    bool shared = c.queryHeads != c.kvHeads;
    std::string read = "  %" + name + "r = tfm.cache_read %cache[layer 1, stream " + stream +
                       "] count %t : " + cache + " -> " + kv + "\n";
    std::string transposed = shared ? name + "t" : name;
    read += "  %" + transposed + " = tfm.transpose %" + name + "r [1, 0, 2] : (" + kv +
            ") -> " + kvT + "\n";
    if (shared)
      read += "  %" + name + " = tfm.repeat_interleave %" + transposed + " along 0 times " +
              str(c.queryHeads / c.kvHeads) + " : (" + kvT + ") -> " + hq + "\n";
    return read;
  };
  std::string window = c.window ? " {window = " + str(c.window) + " : i64}" : "";
  std::string sinkT = "tensor<" + str(c.queryHeads) + "xf32>";
  std::string sinkArg = c.sinks ? ", %sinks: " + sinkT : "";
  std::string sinkOperand, sinkReshape;
  if (c.sinks) {
    std::string perRow = "tensor<" + str(c.queryHeads) + "x1x1xf32>";
    sinkReshape = "  %sk = tfm.reshape %sinks : (" + sinkT + ") -> " + perRow + "\n";
    sinkOperand = " sinks %sk : " + perRow;
  }
  std::string source =
      "func.func @run(%q: " + q + ", %cache: " + cache + ", %pos: index" + sinkArg + ") -> " + q +
      " attributes {llvm.emit_c_interface} {\n"
      "  %c0 = arith.constant 0 : index\n"
      "  %n = tensor.dim %q, %c0 : " + q + "\n"
      "  %t = arith.addi %pos, %n : index\n" + heads("0", "k") + heads("1", "v") +
      "  %qt = tfm.transpose %q [1, 0, 2] : (" + q + ") -> " + hq + "\n"
      "  %s = tfm.batch_matmul %qt, %k {transpose_rhs} : (" + hq + ", " + hq + ") -> " + sc + "\n"
      "  %scale = tfm.constant " + str(scale) + " : tensor<f32>\n"
      "  %ss = tfm.mul %s, %scale : (" + sc + ", tensor<f32>) -> " + sc + "\n"
      "  %m = tfm.causal_mask %ss, %pos" + window + " : " + sc + "\n" + sinkReshape +
      "  %p = tfm.softmax %m along 2" + sinkOperand + " : " + sc + "\n"
      "  %o = tfm.batch_matmul %p, %v : (" + sc + ", " + hq + ") -> " + hq + "\n"
      "  %ot = tfm.transpose %o [1, 0, 2] : (" + hq + ") -> " + q + "\n"
      "  return %ot : " + q + "\n}\n";
  KernelHarness fused, plain;
  // The cache descriptor's element type is f32 or f16.
  using Fn = void (*)(MemRef<float, 3> *, void *, int64_t, MemRef<float, 3> *);
  using SinkFn = void (*)(MemRef<float, 3> *, void *, int64_t, MemRef<float, 1> *,
                          MemRef<float, 3> *);
  auto [runFused, runPlain] = compileBoth<void *>(fused, plain, source, "tfm.attention");
  ASSERT_TRUE(runFused && runPlain);

  TestRandom rng(104 + c.start);
  // Random keys and values everywhere, also beyond start + tokens: nothing
  // there may be read.
  std::vector<float> cacheData =
      rng.floats(layers * 2 * c.kvHeads * capacity * dim, -2, 2);
  std::vector<uint16_t> halfData;
  if (c.halfCache)
    halfData = roundToHalf(cacheData);
  std::vector<float> query = rng.floats(c.tokens * c.queryHeads * dim, -2, 2);
  std::vector<float> outA(query.size()), outB(query.size());
  auto qm = memref<float, 3>(query.data(), {c.tokens, c.queryHeads, dim});
  auto cm = memref<float, 5>(cacheData.data(), {layers, 2, c.kvHeads, capacity, dim});
  auto hm = memref<uint16_t, 5>(halfData.data(), {layers, 2, c.kvHeads, capacity, dim});
  void *cacheRef = c.halfCache ? (void *)&hm : (void *)&cm;
  auto am = memref<float, 3>(outA.data(), {c.tokens, c.queryHeads, dim});
  auto bm = memref<float, 3>(outB.data(), {c.tokens, c.queryHeads, dim});
  std::vector<float> sinks = rng.floats(c.queryHeads, -3, 3);
  auto sm = memref<float, 1>(sinks.data(), {c.queryHeads});
  for (auto [run, out] : {std::pair{runFused, &am}, std::pair{runPlain, &bm}}) {
    if (c.sinks)
      ((SinkFn)run)(&qm, cacheRef, c.start, &sm, out);
    else
      ((Fn)run)(&qm, cacheRef, c.start, out);
  }

  auto at = [&](int64_t stream, int64_t head, int64_t p, int64_t d) {
    return double(cacheData[(((layer * 2 + stream) * c.kvHeads + head) * capacity + p) * dim + d]);
  };
  std::vector<double> expected(query.size());
  for (int64_t t = 0; t < c.tokens; ++t)
    for (int64_t h = 0; h < c.queryHeads; ++h) {
      int64_t kvh = h / (c.queryHeads / c.kvHeads), self = c.start + t;
      std::vector<double> scores;
      double best = -INFINITY;
      for (int64_t p = 0; p <= self; ++p) {
        bool visible = c.window == 0 || self - p < c.window;
        double s = -INFINITY;
        if (visible) {
          s = 0;
          for (int64_t d = 0; d < dim; ++d)
            s += query[(t * c.queryHeads + h) * dim + d] * at(0, kvh, p, d);
          s *= scale;
        }
        scores.push_back(s);
        best = std::max(best, s);
      }
      if (c.sinks)
        best = std::max(best, double(sinks[h]));
      double total = c.sinks ? std::exp(sinks[h] - best) : 0.0;
      for (double &s : scores)
        total += (s = std::exp(s - best));
      for (int64_t d = 0; d < dim; ++d) {
        double acc = 0;
        for (int64_t p = 0; p <= self; ++p)
          acc += scores[p] / total * at(1, kvh, p, d);
        expected[(t * c.queryHeads + h) * dim + d] = acc;
      }
    }
  EXPECT_LT(maxRelativeError(outA, expected), 2e-6) << c.name;
  EXPECT_LT(maxRelativeError(outA, outB), 2e-6) << c.name;
}

// Writing an f16 cache rounds each value to nearest even (ties, halfway
// cases and values beyond f16's range included); reading widens exactly.
TEST(KVCacheKernels, HalfCacheRoundsOnWriteAndWidensOnRead) {
  const int64_t heads = 2, dim = 16, capacity = 8, start = 3, tokens = 4;
  std::string values = "tensor<?x" + str(heads) + "x" + str(dim) + "xf32>";
  std::string cache = "!tfm.kv_cache<1x2x" + str(heads) + "x" + str(dim) + ", f16>";
  std::string source =
      "func.func @run(%x: " + values + ", %cache: " + cache + ", %pos: index) -> " + values +
      " attributes {llvm.emit_c_interface} {\n"
      "  %c0 = arith.constant 0 : index\n"
      "  %n = tensor.dim %x, %c0 : " + values + "\n"
      "  %t = arith.addi %pos, %n : index\n"
      "  %c1 = tfm.cache_write %x into %cache[layer 0, stream 1] at %pos : " + values + ", " +
      cache + "\n"
      "  %r = tfm.cache_read %c1[layer 0, stream 1] count %t : " + cache + " -> " + values + "\n"
      "  return %r : " + values + "\n}\n";
  KernelHarness harness;
  ASSERT_TRUE(harness.compile(source, /*fuse=*/false)) << harness.error();
  using Fn = void (*)(MemRef<float, 3> *, void *, int64_t, MemRef<float, 3> *);
  auto run = (Fn)harness.lookup("run");
  ASSERT_TRUE(run);

  TestRandom rng(77);
  std::vector<float> x = rng.floats(tokens * heads * dim, -3, 3);
  // 1 + 2^-11 is halfway between two halves (rounds to the even 1.0),
  // 1 + 3 * 2^-11 rounds up; 70000 overflows to inf; tiny values go subnormal.
  x[0] = 1.0f + 0x1p-11f;
  x[1] = 1.0f + 3 * 0x1p-11f;
  x[2] = 70000.0f;
  x[3] = 3e-6f;
  std::vector<uint16_t> stored(2 * heads * capacity * dim, 0x7e00);
  auto cm = memref<uint16_t, 5>(stored.data(), {1, 2, heads, capacity, dim});
  auto xm = memref<float, 3>(x.data(), {tokens, heads, dim});
  std::vector<float> read((start + tokens) * heads * dim);
  auto rm = memref<float, 3>(read.data(), {start + tokens, heads, dim});
  run(&xm, &cm, start, &rm);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t d = 0; d < dim; ++d) {
        float v = x[(t * heads + h) * dim + d];
        uint16_t half = stored[((heads + h) * capacity + start + t) * dim + d];
        ASSERT_EQ(half, lmc::quant::f32ToF16(v)) << t << " " << h << " " << d;
        float back = read[((start + t) * heads + h) * dim + d];
        ASSERT_EQ(back, lmc::quant::f16ToF32(half));
      }
  // Stream 0 was not touched.
  for (int64_t i = 0; i < heads * capacity * dim; ++i)
    ASSERT_EQ(stored[i], 0x7e00);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, FusedAttention,
    ::testing::Values(AttentionCase{"gqa_prefill", 4, 2, 0, 0, 9},
                      AttentionCase{"gqa_after_history", 6, 2, 0, 20, 5},
                      AttentionCase{"mha_decode", 3, 3, 0, 40, 1},
                      AttentionCase{"one_kv_head_window", 4, 1, 8, 13, 7},
                      AttentionCase{"sinks_window", 4, 2, 8, 21, 6, true},
                      AttentionCase{"sinks_decode", 8, 2, 0, 30, 1, true},
                      // Several query tiles, blocks masked for some rows only.
                      AttentionCase{"long_prefill", 4, 2, 0, 0, 50},
                      AttentionCase{"long_prefill_window", 6, 2, 11, 3, 45, true},
                      AttentionCase{"many_heads_per_kv", 32, 1, 0, 5, 9},
                      AttentionCase{"half_cache_prefill", 4, 2, 0, 3, 20, false, true},
                      AttentionCase{"half_cache_decode_sinks", 8, 2, 16, 40, 1, true, true},
                      // Decode reads each block once for all the heads of a
                      // KV head, the last block partly masked; or, with too
                      // many heads per KV head, a row at a time.
                      AttentionCase{"pairs_half_decode", 4, 2, 0, 70, 1, false, true},
                      AttentionCase{"eight_per_kv_half_decode_sinks", 16, 2, 0, 90, 1, true, true},
                      AttentionCase{"many_per_kv_half_decode", 32, 1, 0, 50, 1, false, true},
                      // Past 1024 keys a decode step's keys are split into
                      // parts whose results are merged.
                      AttentionCase{"split_decode", 8, 2, 0, 2600, 1},
                      AttentionCase{"split_decode_sinks_window", 8, 2, 1500, 3000, 1, true, true},
                      AttentionCase{"split_short_prompt_half", 4, 2, 0, 2100, 3, false, true},
                      AttentionCase{"split_mha_half_sinks", 3, 3, 0, 1030, 2, true, true},
                      AttentionCase{"split_pairs_half_decode_window_sinks", 4, 2, 1300, 2200, 1, true, true},
                      AttentionCase{"split_mha_half_decode", 2, 2, 0, 1100, 1, false, true}),
    [](const ::testing::TestParamInfo<AttentionCase> &info) { return info.param.name; });

} // namespace
