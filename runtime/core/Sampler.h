//===- Sampler.h - Picking the next token from logits -----------*- C++ -*-===//
//
// Temperature 0 is greedy: the argmax, the lowest id among equal maxima.
// Otherwise, as llama.cpp's default chain does, in this order:
//
//   1. top-k   keep the k largest logits                   (k <= 0: off)
//   2. top-p   keep the smallest prefix, largest first, whose softmax mass
//              reaches p (the token that crosses p stays)   (p >= 1: off)
//   3. min-p   keep logits >= max + ln(p), i.e. probability >= p * max prob
//                                                          (p <= 0: off)
//   4. divide the logits by the temperature, softmax
//   5. draw from the sampler's own seeded stream (Random.h)
//
// Ties are broken by id everywhere, and the draw walks the candidates in an
// order fixed by (logit, id), so a seed gives the same tokens on any
// platform. NaN logits are never picked.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CORE_SAMPLER_H
#define LMC_RUNTIME_CORE_SAMPLER_H

#include "runtime/core/Random.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lmc::rt {

struct SamplerParams {
  float temperature = 0.8f;
  int32_t topK = 40;
  float topP = 0.95f;
  float minP = 0.05f;
  uint64_t seed = 0;

  /// False with a one-line reason for a value no filter accepts (negative
  /// or non-finite temperature, p outside [0, 1]).
  bool validate(std::string &err) const;
};

class Sampler {
public:
  /// params must validate().
  explicit Sampler(const SamplerParams &params);

  /// The next token for one row of nVocab logits (nVocab >= 1).
  int32_t sample(const float *logits, int32_t nVocab);

  /// The argmax, lowest id among ties, NaN ignored (0 if all are NaN).
  static int32_t greedy(const float *logits, int32_t nVocab);

  struct Candidate {
    int32_t id;
    float logit;
    /// Probability after all filters and the temperature.
    double p;
  };
  /// The candidates the draw chooses from, after the filters, with their
  /// probabilities (exposed for tests). Empty when greedy.
  const std::vector<Candidate> &candidates(const float *logits, int32_t nVocab);

  const SamplerParams &params() const { return params_; }

private:
  /// Sorts candidates_ (largest logit first, then lowest id) enough that the
  /// first count are in order.
  void sortPrefix(size_t count);

  SamplerParams params_;
  Random random_;
  std::vector<Candidate> candidates_;
};

} // namespace lmc::rt

#endif // LMC_RUNTIME_CORE_SAMPLER_H
