//===- Sampler.cpp - Sampling filters and the draw ------------------------===//
#include "runtime/core/Sampler.h"

#include <algorithm>
#include <cmath>

using namespace lmc::rt;

namespace {
/// Largest logit first, then lowest id: a total order on the candidates.
bool before(const Sampler::Candidate &a, const Sampler::Candidate &b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}
} // namespace

bool SamplerParams::validate(std::string &err) const {
  if (!std::isfinite(temperature) || temperature < 0) {
    err = "temperature must be a finite number >= 0";
    return false;
  }
  if (!(topP >= 0 && topP <= 1)) {
    err = "top-p must be in [0, 1]";
    return false;
  }
  if (!(minP >= 0 && minP <= 1)) {
    err = "min-p must be in [0, 1]";
    return false;
  }
  return true;
}

Sampler::Sampler(const SamplerParams &params)
    : params_(params), random_(params.seed) {}

int32_t Sampler::greedy(const float *logits, int32_t nVocab) {
  int32_t best = -1;
  for (int32_t i = 0; i < nVocab; ++i) {
    if (std::isnan(logits[i]))
      continue;
    // Strictly greater keeps the lowest id among equal maxima.
    if (best < 0 || logits[i] > logits[best])
      best = i;
  }
  return best < 0 ? 0 : best;
}

void Sampler::sortPrefix(size_t count) {
  count = std::min(count, candidates_.size());
  std::partial_sort(candidates_.begin(), candidates_.begin() + count,
                    candidates_.end(), before);
}

const std::vector<Sampler::Candidate> &
Sampler::candidates(const float *logits, int32_t nVocab) {
  candidates_.clear();
  if (params_.temperature <= 0)
    return candidates_;
  for (int32_t i = 0; i < nVocab; ++i)
    if (!std::isnan(logits[i]) && logits[i] != -INFINITY)
      candidates_.push_back({i, logits[i], 0.0});
  if (candidates_.empty())
    return candidates_;

  // Invariant: candidates_[0, sorted) is in `before` order; when sorted is
  // not the whole set, the rest is in id order (the filters below keep
  // relative order), so the draw's walk order never depends on how the
  // standard library partitions.
  size_t sorted = 0;
  auto maxLogit = [&] {
    if (sorted > 0)
      return candidates_[0].logit;
    float m = -INFINITY;
    for (const Candidate &c : candidates_)
      m = std::max(m, c.logit);
    return m;
  };

  if (params_.topK > 0 && size_t(params_.topK) < candidates_.size()) {
    sortPrefix(size_t(params_.topK));
    candidates_.resize(size_t(params_.topK));
    sorted = candidates_.size();
  }

  if (params_.topP < 1.0f) {
    float max = maxLogit();
    double total = 0;
    for (const Candidate &c : candidates_)
      total += std::exp(double(c.logit) - max);
    double target = double(params_.topP) * total;
    // Sort only as far as the walk needs: a small prefix, doubled on demand.
    size_t keep = candidates_.size(), have = sorted;
    double cumulative = 0;
    for (size_t i = 0; i < candidates_.size(); ++i) {
      if (i == have) {
        have = std::min(candidates_.size(), std::max<size_t>(64, 2 * have));
        sortPrefix(have);
      }
      cumulative += std::exp(double(candidates_[i].logit) - max);
      if (cumulative >= target) {
        keep = i + 1;
        break;
      }
    }
    candidates_.resize(keep);
    sorted = keep;
  }

  if (params_.minP > 0.0f) {
    float threshold = maxLogit() + std::log(params_.minP);
    // The maximum itself always passes: at least one candidate stays.
    candidates_.erase(std::remove_if(candidates_.begin(), candidates_.end(),
                                     [&](const Candidate &c) {
                                       return c.logit < threshold;
                                     }),
                      candidates_.end());
    sorted = std::min(sorted, candidates_.size());
  }

  float max = maxLogit();
  double invTemp = 1.0 / double(params_.temperature);
  double total = 0;
  for (Candidate &c : candidates_) {
    c.p = std::exp((double(c.logit) - max) * invTemp);
    total += c.p;
  }
  for (Candidate &c : candidates_)
    c.p /= total;
  return candidates_;
}

int32_t Sampler::sample(const float *logits, int32_t nVocab) {
  if (params_.temperature <= 0)
    return greedy(logits, nVocab);
  const std::vector<Candidate> &cands = candidates(logits, nVocab);
  if (cands.empty())
    return greedy(logits, nVocab);
  double u = random_.uniform();
  double cumulative = 0;
  for (const Candidate &c : cands) {
    cumulative += c.p;
    if (u < cumulative)
      return c.id;
  }
  // Rounding left u above the last partial sum.
  return cands.back().id;
}
