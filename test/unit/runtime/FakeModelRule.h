//===- FakeModelRule.h - What the test-only fake model computes -*- C++ -*-===//
//
// The fake model stands in for a compiled model in runtime tests. Its forward
// is a simple deterministic function of the tokens and positions that goes
// through the KV cache (it finds the history only there) and the weights
// (they shift the logits), so the tests see whether the runtime wires both
// correctly. Every logit is exact in float32, so tests compare bit for bit.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_TEST_UNIT_RUNTIME_FAKEMODELRULE_H
#define LMC_TEST_UNIT_RUNTIME_FAKEMODELRULE_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lmc::rt::fake {

constexpr int32_t kVocab = 300;
constexpr int32_t kContextLength = 64;
constexpr int64_t kLayers = 2, kStreams = 2, kHeads = 2, kDim = 4;
constexpr uint64_t kWeightsSize = 4096 + 123;

// Tokenizer ids: 0..255 are the bytes, 256..259 merges, then the specials.
constexpr int32_t kEndOfText = 260;
constexpr int32_t kImStart = 261;
constexpr int32_t kImEnd = 262;
constexpr int32_t kThink = 263;
constexpr int32_t kTokenizerVocab = 264;

/// The chat template of the fake model's "jinja" build: ChatML that, like
/// Qwen3's, drops an earlier reply's <think> block and leading white space
/// from the history and writes an empty think block for enable_thinking
/// false, so later renderings stop extending what the cache holds.
constexpr const char *kFakeChatTemplate =
    "{%- for m in messages -%}"
    "{%- if m.role == 'assistant' -%}"
    "{{- '<|im_start|>assistant\n' + m.content.split('</think>')[-1].lstrip()"
    " + '<|im_end|>\n' -}}"
    "{%- else -%}"
    "{{- '<|im_start|>' + m.role + '\n' + m.content + '<|im_end|>\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\n' -}}"
    "{%- if enable_thinking is defined and enable_thinking is false -%}"
    "{{- '<think>\n\n</think>\n\n' -}}{%- endif -%}{%- endif -%}";

inline uint8_t weightByte(uint64_t i) { return uint8_t((i * 131 + 7) & 0xff); }

/// Index of a cache entry within one position, and the value stored there.
inline int64_t slot(int64_t l, int64_t s, int64_t h, int64_t d) {
  return ((l * kStreams + s) * kHeads + h) * kDim + d;
}
inline float cacheValue(int32_t token, int64_t slotIndex) {
  return float(token) + 1024.0f * float(slotIndex);
}

/// The token the model favours after history[0..p]: end of turn after '!',
/// otherwise a printable ASCII byte depending on the whole history.
inline int32_t target(const int32_t *history, int64_t p) {
  if (history[p] == '!')
    return kImEnd;
  uint64_t sum = 0;
  for (int64_t q = 0; q <= p; ++q)
    sum += uint64_t(history[q]) * uint64_t(q + 1);
  return 32 + int32_t((sum + uint64_t(p)) % 95);
}

/// Logit of token v at position p whose favoured token is favoured.
inline float logit(int32_t v, int64_t p, int32_t favoured) {
  float base = float((int64_t(v) * 37 + p * 11) % 101) / 64.0f;
  float w = float(weightByte(uint64_t(v))) / 4096.0f;
  return base + w + (v == favoured ? 4.0f : 0.0f);
}

/// The logits rows of every position of a token stream.
inline std::vector<float> logitsOf(const std::vector<int32_t> &tokens) {
  std::vector<float> out;
  for (size_t p = 0; p < tokens.size(); ++p) {
    int32_t t = target(tokens.data(), int64_t(p));
    for (int32_t v = 0; v < kVocab; ++v)
      out.push_back(logit(v, int64_t(p), t));
  }
  return out;
}

/// Greedy continuation of prompt: up to n tokens, stopping before an EOS.
inline std::vector<int32_t> greedy(std::vector<int32_t> history, int64_t n) {
  std::vector<int32_t> out;
  for (int64_t i = 0; i < n; ++i) {
    int32_t t = target(history.data(), int64_t(history.size()) - 1);
    if (t == kImEnd || t == kEndOfText)
      break;
    out.push_back(t);
    history.push_back(t);
  }
  return out;
}

} // namespace lmc::rt::fake

#endif // LMC_TEST_UNIT_RUNTIME_FAKEMODELRULE_H
