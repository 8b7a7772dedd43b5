//===- MLAKernelTests.cpp - absorbed MLA vs its explicit form and float64 --===//
//
// Multi-head latent attention over a latent cache with random entries (also
// beyond the positions in use, which must not be read) and random W_UK/W_UV:
// the explicit form (per-head keys and values expanded from the latents, as
// the DeepSeek builder emits it) compiled unfused, the same IR compiled with
// fusion (absorbed: head_matmul + latent_attention + head_matmul, checked),
// and a double-precision computation of the explicit form.
//
//===----------------------------------------------------------------------===//
#include "frontends/quant/QuantFormats.h"
#include "test/unit/kernels/KernelHarness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace lmc::test;

namespace {

std::string str(int64_t v) { return std::to_string(v); }

struct MLACase {
  const char *name;
  int64_t heads, latent, rope, nope, value, start, tokens;
  /// An f16 latent cache: both paths read its rounded values as f32.
  bool halfCache = false;
};

class MLAKernel : public ::testing::TestWithParam<MLACase> {};

TEST_P(MLAKernel, AbsorbedMatchesExplicitAndFloat64) {
  const MLACase &c = GetParam();
  const int64_t H = c.heads, R = c.latent, P = c.rope, N = c.nope, V = c.value;
  const int64_t E = R + P, layers = 2, layer = 1;
  // Room past the positions in use, which must not be read.
  const int64_t capacity = std::max<int64_t>(48, c.start + c.tokens + 5);
  const float scale = 0.3f;
  TestRandom rng(0x3a1a + H * 31 + R);
  std::vector<float> kb = rng.floats(H * R * N, -0.5f, 0.5f), vb = rng.floats(H * V * R, -0.5f, 0.5f);
  std::vector<uint8_t> weights((kb.size() + vb.size()) * 4);
  std::memcpy(weights.data(), kb.data(), kb.size() * 4);
  std::memcpy(weights.data() + kb.size() * 4, vb.data(), vb.size() * 4);

  std::string kbT = "!tfm.weight<" + str(H) + "x" + str(R) + "x" + str(N) + ", f32>";
  std::string vbT = "!tfm.weight<" + str(H) + "x" + str(V) + "x" + str(R) + ", f32>";
  auto t3 = [](int64_t a, const std::string &b, int64_t c3) {
    return "tensor<" + (a < 0 ? std::string("?") : str(a)) + "x" + b + "x" + str(c3) + "xf32>";
  };
  std::string cache = "!tfm.kv_cache<" + str(layers) + "x1x1x" + str(E) + (c.halfCache ? ", f16>" : ", f32>");
  std::string qn = t3(-1, str(H), N), qp = t3(-1, str(H), P), out = t3(-1, str(H), V);
  std::string src =
      "tfm.weight_decl @k_b : " + kbT + " at 0\n"
      "tfm.weight_decl @v_b : " + vbT + " at " + str(kb.size() * 4) + "\n"
      "func.func @run(%qn: " + qn + ", %qp: " + qp + ", %cache: " + cache + ", %pos: index) -> " +
      out + " attributes {llvm.emit_c_interface} {\n"
      "  %c0 = arith.constant 0 : index\n"
      "  %n = tensor.dim %qn, %c0 : " + qn + "\n"
      "  %t = arith.addi %pos, %n : index\n"
      "  %l = tfm.cache_read %cache[layer 1, stream 0] count %t : " + cache + " -> " + t3(-1, "1", E) + "\n"
      "  %c = tfm.slice %l along 2 from 0 size " + str(R) + " : (" + t3(-1, "1", E) + ") -> " + t3(-1, "1", R) + "\n"
      "  %ct = tfm.transpose %c [1, 0, 2] : (" + t3(-1, "1", R) + ") -> " + t3(1, "?", R) + "\n"
      "  %ch = tfm.repeat_interleave %ct along 0 times " + str(H) + " : (" + t3(1, "?", R) + ") -> " + t3(H, "?", R) + "\n"
      "  %kbw = tfm.weight @k_b : " + kbT + "\n"
      "  %kb = tfm.dequantize %kbw : " + kbT + " -> " + t3(H, str(R), N) + "\n"
      "  %kn = tfm.batch_matmul %ch, %kb : (" + t3(H, "?", R) + ", " + t3(H, str(R), N) + ") -> " + t3(H, "?", N) + "\n"
      "  %kp = tfm.slice %l along 2 from " + str(R) + " size " + str(P) + " : (" + t3(-1, "1", E) + ") -> " + t3(-1, "1", P) + "\n"
      "  %kpt = tfm.transpose %kp [1, 0, 2] : (" + t3(-1, "1", P) + ") -> " + t3(1, "?", P) + "\n"
      "  %kph = tfm.repeat_interleave %kpt along 0 times " + str(H) + " : (" + t3(1, "?", P) + ") -> " + t3(H, "?", P) + "\n"
      "  %k = tfm.concat %kn, %kph along 2 : (" + t3(H, "?", N) + ", " + t3(H, "?", P) + ") -> " + t3(H, "?", N + P) + "\n"
      "  %vbw = tfm.weight @v_b : " + vbT + "\n"
      "  %vb = tfm.dequantize %vbw : " + vbT + " -> " + t3(H, str(V), R) + "\n"
      "  %v = tfm.batch_matmul %ch, %vb {transpose_rhs} : (" + t3(H, "?", R) + ", " + t3(H, str(V), R) + ") -> " + t3(H, "?", V) + "\n"
      "  %qc = tfm.concat %qn, %qp along 2 : (" + qn + ", " + qp + ") -> " + t3(-1, str(H), N + P) + "\n"
      "  %q = tfm.transpose %qc [1, 0, 2] : (" + t3(-1, str(H), N + P) + ") -> " + t3(H, "?", N + P) + "\n"
      "  %s = tfm.batch_matmul %q, %k {transpose_rhs} : (" + t3(H, "?", N + P) + ", " + t3(H, "?", N + P) + ") -> tensor<" + str(H) + "x?x?xf32>\n"
      "  %sc = tfm.constant 0.3 : tensor<f32>\n"
      "  %ss = tfm.mul %s, %sc : (tensor<" + str(H) + "x?x?xf32>, tensor<f32>) -> tensor<" + str(H) + "x?x?xf32>\n"
      "  %m = tfm.causal_mask %ss, %pos : tensor<" + str(H) + "x?x?xf32>\n"
      "  %p = tfm.softmax %m along 2 : tensor<" + str(H) + "x?x?xf32>\n"
      "  %o = tfm.batch_matmul %p, %v : (tensor<" + str(H) + "x?x?xf32>, " + t3(H, "?", V) + ") -> " + t3(H, "?", V) + "\n"
      "  %ot = tfm.transpose %o [1, 0, 2] : (" + t3(H, "?", V) + ") -> " + out + "\n"
      "  return %ot : " + out + "\n}\n";

  KernelHarness fused, plain;
  ASSERT_TRUE(fused.compile(src, true)) << fused.error();
  EXPECT_TRUE(fused.opsAfterFusion().count("tfm.latent_attention"));
  EXPECT_FALSE(fused.opsAfterFusion().count("tfm.batch_matmul"));
  ASSERT_TRUE(plain.compile(src, false)) << plain.error();
  using Fn = void (*)(MemRef<uint8_t, 1> *, MemRef<float, 3> *, MemRef<float, 3> *,
                      void *, int64_t, MemRef<float, 3> *);
  auto runFused = (Fn)fused.lookup("run"), runPlain = (Fn)plain.lookup("run");
  ASSERT_TRUE(runFused && runPlain);

  const int64_t T = c.tokens;
  std::vector<float> qNope = rng.floats(T * H * N, -1, 1), qPe = rng.floats(T * H * P, -1, 1);
  std::vector<float> kv = rng.floats(layers * capacity * E, -1, 1);
  std::vector<uint16_t> halfKV;
  if (c.halfCache)
    halfKV = roundToHalf(kv);
  std::vector<float> a(T * H * V), b(T * H * V);
  auto wm = memref<uint8_t, 1>(weights.data(), {(int64_t)weights.size()});
  auto qnm = memref<float, 3>(qNope.data(), {T, H, N});
  auto qpm = memref<float, 3>(qPe.data(), {T, H, P});
  auto cm = memref<float, 5>(kv.data(), {layers, 1, 1, capacity, E});
  auto hm = memref<uint16_t, 5>(halfKV.data(), {layers, 1, 1, capacity, E});
  void *cacheRef = c.halfCache ? (void *)&hm : (void *)&cm;
  auto am = memref<float, 3>(a.data(), {T, H, V}), bm = memref<float, 3>(b.data(), {T, H, V});
  runFused(&wm, &qnm, &qpm, cacheRef, c.start, &am);
  runPlain(&wm, &qnm, &qpm, cacheRef, c.start, &bm);

  // float64, explicit form.
  auto entry = [&](int64_t pos, int64_t i) { return double(kv[(layer * capacity + pos) * E + i]); };
  double worstFused = 0, worstPlain = 0, magnitude = 0;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < H; ++h) {
      int64_t visible = c.start + t + 1;
      std::vector<double> score(visible);
      double best = -INFINITY;
      for (int64_t s = 0; s < visible; ++s) {
        double dot = 0;
        for (int64_t d = 0; d < N; ++d) {
          double key = 0;
          for (int64_t r = 0; r < R; ++r)
            key += entry(s, r) * kb[(h * R + r) * N + d];
          dot += qNope[(t * H + h) * N + d] * key;
        }
        for (int64_t d = 0; d < P; ++d)
          dot += qPe[(t * H + h) * P + d] * entry(s, R + d);
        score[s] = dot * scale;
        best = std::max(best, score[s]);
      }
      double total = 0;
      for (double &x : score)
        total += (x = std::exp(x - best));
      for (int64_t v = 0; v < V; ++v) {
        double acc = 0;
        for (int64_t s = 0; s < visible; ++s) {
          double value = 0;
          for (int64_t r = 0; r < R; ++r)
            value += entry(s, r) * vb[(h * V + v) * R + r];
          acc += score[s] / total * value;
        }
        size_t i = (t * H + h) * V + v;
        worstFused = std::max(worstFused, std::fabs(a[i] - acc));
        worstPlain = std::max(worstPlain, std::fabs(b[i] - acc));
        magnitude = std::max(magnitude, std::fabs(acc));
      }
    }
  EXPECT_LT(worstFused, 1e-5 * std::max(1.0, magnitude)) << c.name;
  EXPECT_LT(worstPlain, 1e-5 * std::max(1.0, magnitude)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MLAKernel,
    ::testing::Values(MLACase{"prefill", 4, 32, 16, 24, 20, 0, 9},
                      MLACase{"decode_after_history", 3, 64, 8, 16, 32, 30, 1},
                      MLACase{"odd_widths", 2, 24, 8, 12, 8, 5, 6},
                      MLACase{"half_cache", 4, 32, 16, 24, 20, 12, 5, true},
                      // Decode with the entries split into parts merged after,
                      // heads in two groups of 8.
                      MLACase{"decode_split_two_groups", 16, 64, 16, 16, 32, 1300, 1},
                      // Groups of 6 heads (register blocks of 4 and 2), one
                      // value slice per step, a part ending mid-block.
                      MLACase{"decode_split_groups_of_six_half", 12, 32, 16, 8, 24, 700, 1, true},
                      MLACase{"prefill_groups_of_five", 10, 32, 16, 16, 32, 3, 21}),
    [](const ::testing::TestParamInfo<MLACase> &info) { return info.param.name; });

} // namespace
