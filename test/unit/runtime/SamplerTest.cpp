//===- SamplerTest.cpp - Greedy, filters, seeds, distribution -------------===//
#include "runtime/core/Sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

using namespace lmc::rt;

namespace {

SamplerParams plain(float temperature = 1.0f) {
  SamplerParams p;
  p.temperature = temperature;
  p.topK = 0;
  p.topP = 1.0f;
  p.minP = 0.0f;
  p.seed = 1;
  return p;
}

/// Logits whose softmax at temperature 1 is probs.
std::vector<float> logitsFor(const std::vector<double> &probs) {
  std::vector<float> l;
  for (double p : probs)
    l.push_back(float(std::log(p)));
  return l;
}

std::vector<int32_t> ids(const std::vector<Sampler::Candidate> &cands) {
  std::vector<int32_t> out;
  for (const auto &c : cands)
    out.push_back(c.id);
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST(Sampler, GreedyIsArgmaxWithLowestIdOnTies) {
  std::vector<float> l = {0.5f, 2.0f, -1.0f, 2.0f, 1.9f};
  EXPECT_EQ(Sampler::greedy(l.data(), int32_t(l.size())), 1);
  Sampler s(plain(0.0f));
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(s.sample(l.data(), int32_t(l.size())), 1);
  std::vector<float> withNan = {NAN, -3.0f, NAN, -2.0f};
  EXPECT_EQ(Sampler::greedy(withNan.data(), 4), 3);
  std::vector<float> allNan = {NAN, NAN};
  EXPECT_EQ(Sampler::greedy(allNan.data(), 2), 0);
}

TEST(Sampler, GreedyIgnoresFilters) {
  SamplerParams p;
  p.temperature = 0;
  p.topK = 1;
  p.topP = 0.1f;
  p.minP = 0.9f;
  Sampler s(p);
  std::vector<float> l = {1, 3, 2};
  EXPECT_EQ(s.sample(l.data(), 3), 1);
  EXPECT_TRUE(s.candidates(l.data(), 3).empty());
}

TEST(Sampler, TopK) {
  SamplerParams p = plain();
  p.topK = 2;
  Sampler s(p);
  std::vector<float> l = {0.1f, 3.0f, 2.0f, 2.5f, -1.0f};
  EXPECT_EQ(ids(s.candidates(l.data(), 5)), (std::vector<int32_t>{1, 3}));
  // Ties at the cut keep the lower id.
  std::vector<float> tied = {1.0f, 2.0f, 1.0f, 1.0f};
  EXPECT_EQ(ids(s.candidates(tied.data(), 4)), (std::vector<int32_t>{0, 1}));
  // k >= vocab keeps everything.
  p.topK = 10;
  Sampler all(p);
  EXPECT_EQ(all.candidates(l.data(), 5).size(), 5u);
}

TEST(Sampler, TopP) {
  std::vector<float> l = logitsFor({0.15, 0.5, 0.05, 0.3});
  auto keep = [&](float topP) {
    SamplerParams p = plain();
    p.topP = topP;
    Sampler s(p);
    return ids(s.candidates(l.data(), 4));
  };
  EXPECT_EQ(keep(0.4f), (std::vector<int32_t>{1}));
  // The token that crosses p stays.
  EXPECT_EQ(keep(0.75f), (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(keep(0.85f), (std::vector<int32_t>{0, 1, 3}));
  EXPECT_EQ(keep(0.0f), (std::vector<int32_t>{1}));
  EXPECT_EQ(keep(1.0f), (std::vector<int32_t>{0, 1, 2, 3}));
}

TEST(Sampler, MinP) {
  std::vector<float> l = logitsFor({0.15, 0.5, 0.05, 0.3});
  auto keep = [&](float minP) {
    SamplerParams p = plain();
    p.minP = minP;
    Sampler s(p);
    return ids(s.candidates(l.data(), 4));
  };
  // Keeps probability >= minP * 0.5.
  EXPECT_EQ(keep(0.2f), (std::vector<int32_t>{0, 1, 3}));
  EXPECT_EQ(keep(0.5f), (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(keep(1.0f), (std::vector<int32_t>{1}));
  EXPECT_EQ(keep(0.0f), (std::vector<int32_t>{0, 1, 2, 3}));
}

TEST(Sampler, FiltersApplyInOrderTopKTopPMinP) {
  std::vector<float> l = logitsFor({0.5, 0.3, 0.15, 0.05});
  // top-p alone at 0.6 needs two tokens (0.5 < 0.6)...
  SamplerParams p = plain();
  p.topP = 0.6f;
  EXPECT_EQ(ids(Sampler(p).candidates(l.data(), 4)),
            (std::vector<int32_t>{0, 1}));
  // ...but after top-k 2 renormalises to 0.625/0.375, one is enough.
  p.topK = 2;
  EXPECT_EQ(ids(Sampler(p).candidates(l.data(), 4)), (std::vector<int32_t>{0}));
  // min-p sees what top-p left: 0.3 >= 0.55 * 0.5 survives top-p 0.85,
  // 0.15 is cut by min-p.
  SamplerParams q = plain();
  q.topP = 0.85f;
  q.minP = 0.55f;
  EXPECT_EQ(ids(Sampler(q).candidates(l.data(), 4)),
            (std::vector<int32_t>{0, 1}));
}

TEST(Sampler, TemperatureScalesAfterFilters) {
  std::vector<float> l = {0.0f, 1.0f, 2.0f};
  SamplerParams p = plain(0.5f);
  Sampler s(p);
  const auto &c = s.candidates(l.data(), 3);
  ASSERT_EQ(c.size(), 3u);
  double z = 1 + std::exp(2.0) + std::exp(4.0);
  std::map<int32_t, double> prob;
  for (const auto &x : c)
    prob[x.id] = x.p;
  EXPECT_NEAR(prob[0], 1 / z, 1e-12);
  EXPECT_NEAR(prob[1], std::exp(2.0) / z, 1e-12);
  EXPECT_NEAR(prob[2], std::exp(4.0) / z, 1e-12);
  // min-p is judged before the temperature: at T = 0.5 token 0 has
  // probability 0.016 < 0.1 * 0.867 but before it 0.09 >= 0.1 * 0.665.
  p.minP = 0.1f;
  EXPECT_EQ(Sampler(p).candidates(l.data(), 3).size(), 3u);
}

TEST(Sampler, SameSeedSameTokens) {
  std::vector<float> l(1000);
  for (size_t i = 0; i < l.size(); ++i)
    l[i] = float(std::sin(double(i) * 0.37) * 3);
  SamplerParams p;
  p.seed = 1234;
  Sampler a(p), b(p);
  p.seed = 1235;
  Sampler c(p);
  int differences = 0;
  for (int i = 0; i < 200; ++i) {
    int32_t x = a.sample(l.data(), int32_t(l.size()));
    EXPECT_EQ(x, b.sample(l.data(), int32_t(l.size())));
    differences += x != c.sample(l.data(), int32_t(l.size()));
  }
  EXPECT_GT(differences, 0);
}

TEST(Sampler, RandomStreamIsFixed) {
  // The stream is part of the seed contract: a change here changes every
  // seeded run's output.
  Random r(42);
  uint64_t first = r.next(), second = r.next();
  Random again(42);
  EXPECT_EQ(again.next(), first);
  EXPECT_EQ(again.next(), second);
  // xoshiro256** seeded by splitmix64(42), checked against an independent
  // implementation.
  EXPECT_EQ(first, 0x15780b2e0c2ec716ull) << std::hex << first;
  EXPECT_EQ(second, 0x6104d9866d113a7eull) << std::hex << second;
  Random u(7);
  for (int i = 0; i < 1000; ++i) {
    double x = u.uniform();
    ASSERT_GE(x, 0.0);
    ASSERT_LT(x, 1.0);
  }
}

TEST(Sampler, DrawsFollowTheDistribution) {
  std::vector<double> probs = {0.1, 0.2, 0.3, 0.4};
  std::vector<float> l = logitsFor(probs);
  Sampler s(plain());
  std::vector<int> counts(4);
  const int draws = 100000;
  for (int i = 0; i < draws; ++i)
    counts[size_t(s.sample(l.data(), 4))]++;
  for (size_t i = 0; i < 4; ++i)
    EXPECT_NEAR(double(counts[i]) / draws, probs[i], 0.01) << "token " << i;

  // With temperature 2 the distribution flattens to p^(1/2), normalised.
  Sampler hot(plain(2.0f));
  std::vector<int> hotCounts(4);
  for (int i = 0; i < draws; ++i)
    hotCounts[size_t(hot.sample(l.data(), 4))]++;
  double z = 0;
  for (double p : probs)
    z += std::sqrt(p);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_NEAR(double(hotCounts[i]) / draws, std::sqrt(probs[i]) / z, 0.01);
}

TEST(Sampler, LargeVocabularyTopPMatchesFullSort) {
  const int32_t vocab = 151936;
  std::vector<float> l(vocab);
  Random r(9);
  for (float &x : l)
    x = float(r.uniform() * 20 - 10);
  for (float topP : {0.5f, 0.9f, 0.999f}) {
    SamplerParams p = plain(0.7f);
    p.topP = topP;
    std::vector<int32_t> got = ids(Sampler(p).candidates(l.data(), vocab));
    // Reference: sort everything, take the prefix reaching topP.
    std::vector<int32_t> order(vocab);
    for (int32_t i = 0; i < vocab; ++i)
      order[i] = i;
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return l[a] > l[b] || (l[a] == l[b] && a < b);
    });
    double max = l[order[0]], total = 0;
    for (float x : l)
      total += std::exp(double(x) - max);
    std::vector<int32_t> want;
    double cum = 0;
    for (int32_t id : order) {
      want.push_back(id);
      cum += std::exp(double(l[id]) - max);
      if (cum >= topP * total)
        break;
    }
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want) << "top-p " << topP;
  }
}

TEST(Sampler, NeverPicksNanOrMinusInfinity) {
  std::vector<float> l = {NAN, -INFINITY, 0.0f, NAN, 0.0f};
  Sampler s(plain());
  std::set<int32_t> seen;
  for (int i = 0; i < 200; ++i)
    seen.insert(s.sample(l.data(), 5));
  EXPECT_EQ(seen, (std::set<int32_t>{2, 4}));
  std::vector<float> none = {NAN, -INFINITY};
  EXPECT_EQ(s.sample(none.data(), 2), 1);
}

TEST(Sampler, ValidatesParams) {
  std::string err;
  SamplerParams p;
  EXPECT_TRUE(p.validate(err));
  p.temperature = -1;
  EXPECT_FALSE(p.validate(err));
  p = SamplerParams();
  p.temperature = INFINITY;
  EXPECT_FALSE(p.validate(err));
  p = SamplerParams();
  p.topP = 1.5f;
  EXPECT_FALSE(p.validate(err));
  p = SamplerParams();
  p.minP = -0.1f;
  EXPECT_FALSE(p.validate(err));
  p.minP = NAN;
  EXPECT_FALSE(p.validate(err));
}
