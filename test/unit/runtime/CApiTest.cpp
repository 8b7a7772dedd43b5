//===- CApiTest.cpp - lmc.h on the fake model -----------------------------===//
#include "runtime/lmc.h"
#include "test/unit/runtime/FakeModelRule.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

using namespace lmc::rt;

namespace {

class CApi : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(lmc_model_open(LMC_FAKE_MODEL_WEIGHTS, &model), LMC_OK)
        << lmc_last_error();
  }
  void TearDown() override { lmc_model_free(model); }

  std::vector<float> eval(lmc_seq *seq, const std::vector<int32_t> &tokens,
                          int32_t nLogits, lmc_status expected = LMC_OK) {
    std::vector<float> logits(size_t(nLogits) * fake::kVocab, -1.0f);
    EXPECT_EQ(lmc_eval(seq, tokens.data(), int32_t(tokens.size()), nLogits,
                       logits.data()),
              expected)
        << lmc_last_error();
    return logits;
  }

  lmc_model *model = nullptr;
};

/// The rows of fake::logitsOf(all) for the last n positions.
std::vector<float> lastRows(const std::vector<int32_t> &all, size_t n) {
  std::vector<float> rows = fake::logitsOf(all);
  return std::vector<float>(rows.end() - n * fake::kVocab, rows.end());
}

} // namespace

TEST_F(CApi, ModelProperties) {
  EXPECT_EQ(lmc_api_version(), LMC_API_VERSION);
  EXPECT_EQ(lmc_model_vocab_size(model), fake::kVocab);
  EXPECT_EQ(lmc_model_context_length(model), fake::kContextLength);
  EXPECT_STREQ(lmc_model_arch(model), "fake");
  EXPECT_EQ(lmc_model_bos(model), fake::kEndOfText);
  EXPECT_EQ(lmc_model_add_bos(model), 0);
  EXPECT_EQ(lmc_model_is_eos(model, fake::kImEnd), 1);
  EXPECT_EQ(lmc_model_is_eos(model, fake::kEndOfText), 1);
  EXPECT_EQ(lmc_model_is_eos(model, 'a'), 0);
  EXPECT_NE(std::strstr(lmc_model_manifest_json(model), "\"arch\": \"fake\""),
            nullptr);
}

TEST_F(CApi, EvalKeepsHistoryInTheCache) {
  lmc_seq *seq = nullptr;
  ASSERT_EQ(lmc_seq_new(model, 0, &seq), LMC_OK) << lmc_last_error();
  EXPECT_EQ(lmc_seq_capacity(seq), fake::kContextLength);
  EXPECT_EQ(lmc_seq_pos(seq), 0);

  std::vector<int32_t> all = {'H', 'i', 5, 299};
  EXPECT_EQ(eval(seq, all, 4), fake::logitsOf(all));
  EXPECT_EQ(lmc_seq_pos(seq), 4);
  // Later calls see the earlier tokens only through the cache.
  std::vector<int32_t> more = {'x', 'y'};
  all.insert(all.end(), more.begin(), more.end());
  EXPECT_EQ(eval(seq, more, 1), lastRows(all, 1));
  EXPECT_EQ(eval(seq, {'z'}, 1), (all.push_back('z'), lastRows(all, 1)));
  EXPECT_EQ(lmc_seq_pos(seq), 7);
  // n_logits = 0: nothing written.
  std::vector<int32_t> one = {'q'};
  EXPECT_EQ(lmc_eval(seq, one.data(), 1, 0, nullptr), LMC_OK);
  EXPECT_EQ(lmc_seq_pos(seq), 8);
  lmc_seq_free(seq);
}

TEST_F(CApi, SequencesAreIndependent) {
  lmc_seq *a = nullptr, *b = nullptr;
  ASSERT_EQ(lmc_seq_new(model, 16, &a), LMC_OK);
  ASSERT_EQ(lmc_seq_new(model, 32, &b), LMC_OK);
  EXPECT_EQ(lmc_seq_capacity(a), 16);
  EXPECT_EQ(lmc_seq_capacity(b), 32);
  eval(a, {1, 2, 3}, 1);
  eval(b, {7}, 1);
  EXPECT_EQ(eval(a, {4}, 1), lastRows({1, 2, 3, 4}, 1));
  EXPECT_EQ(eval(b, {8}, 1), lastRows({7, 8}, 1));
  lmc_seq_free(a);
  lmc_seq_free(b);
}

TEST_F(CApi, Rewind) {
  lmc_seq *seq = nullptr;
  ASSERT_EQ(lmc_seq_new(model, 8, &seq), LMC_OK);
  eval(seq, {1, 2, 3, 4}, 1);
  ASSERT_EQ(lmc_seq_rewind(seq, 2), LMC_OK);
  EXPECT_EQ(lmc_seq_pos(seq), 2);
  EXPECT_EQ(eval(seq, {9}, 1), lastRows({1, 2, 9}, 1));
  EXPECT_EQ(lmc_seq_rewind(seq, 4), LMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lmc_seq_rewind(seq, -1), LMC_ERR_INVALID_ARGUMENT);
  lmc_seq_free(seq);
}

TEST_F(CApi, EvalErrorsLeaveTheSequenceAlone) {
  lmc_seq *seq = nullptr;
  ASSERT_EQ(lmc_seq_new(model, 4, &seq), LMC_OK);
  eval(seq, {1, 2, 3}, 1);
  eval(seq, {4, 5}, 1, LMC_ERR_CONTEXT_FULL);
  EXPECT_NE(std::string(lmc_last_error()).find("context is full"),
            std::string::npos)
      << lmc_last_error();
  EXPECT_EQ(lmc_seq_pos(seq), 3);
  eval(seq, {fake::kVocab}, 1, LMC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lmc_last_error()).find("token id 300 is out of range"),
            std::string::npos)
      << lmc_last_error();
  eval(seq, {-1}, 1, LMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lmc_eval(seq, nullptr, 0, 0, nullptr), LMC_ERR_INVALID_ARGUMENT);
  int32_t t = 1;
  EXPECT_EQ(lmc_eval(seq, &t, 1, 2, nullptr), LMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lmc_eval(seq, &t, 1, 1, nullptr), LMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lmc_eval(nullptr, &t, 1, 0, nullptr), LMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lmc_seq_pos(seq), 3);
  // The last free slot still works.
  EXPECT_EQ(eval(seq, {4}, 1), lastRows({1, 2, 3, 4}, 1));
  lmc_seq_free(seq);
}

TEST_F(CApi, SequenceErrors) {
  lmc_seq *seq = nullptr;
  EXPECT_EQ(lmc_seq_new(model, -1, &seq), LMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(seq, nullptr);
  EXPECT_EQ(lmc_seq_new(nullptr, 1, &seq), LMC_ERR_INVALID_ARGUMENT);
  lmc_seq_free(nullptr);
}

TEST_F(CApi, Threads) {
  for (int32_t n : {1, 2, 3}) {
    ASSERT_EQ(lmc_set_threads(n), LMC_OK);
    EXPECT_EQ(lmc_get_threads(), n);
    lmc_seq *seq = nullptr;
    ASSERT_EQ(lmc_seq_new(model, 0, &seq), LMC_OK);
    std::vector<int32_t> prompt = {10, 20, 30, 40, 50};
    EXPECT_EQ(eval(seq, prompt, 5), fake::logitsOf(prompt));
    lmc_seq_free(seq);
  }
  EXPECT_EQ(lmc_set_threads(-1), LMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lmc_set_threads(0), LMC_OK);
  EXPECT_GE(lmc_get_threads(), 1);
}

TEST_F(CApi, TokenizeAndDetokenize) {
  std::string text = "hello<|im_end|> world";
  int32_t ids[32];
  int32_t n = lmc_tokenize(model, text.data(), text.size(), 1, ids, 32);
  ASSERT_GT(n, 0) << lmc_last_error();
  // "hell" is one merged token, the special text one id.
  EXPECT_EQ(std::vector<int32_t>(ids, ids + n),
            (std::vector<int32_t>{258, 'o', fake::kImEnd, 259, 'o', 'r', 'l',
                                  'd'}));
  // Asking for the size first.
  EXPECT_EQ(lmc_tokenize(model, text.data(), text.size(), 1, nullptr, 0), n);
  EXPECT_EQ(lmc_tokenize(model, text.data(), text.size(), 1, ids, 2), n);
  // Without special parsing the marker is plain text.
  EXPECT_GT(lmc_tokenize(model, text.data(), text.size(), 0, ids, 32), n);

  char out[64];
  int32_t back[] = {258, 'o', fake::kImEnd, 259, 'o', 'r', 'l', 'd'};
  int64_t len = lmc_detokenize(model, back, 8, out, sizeof out);
  ASSERT_EQ(len, int64_t(text.size()));
  EXPECT_EQ(std::string(out, size_t(len)), text);
  EXPECT_EQ(lmc_detokenize(model, back, 8, nullptr, 0), len);
  EXPECT_EQ(lmc_detokenize(model, back, -1, out, 64), -1);
}

TEST_F(CApi, Sampler) {
  lmc_sampler *greedy = lmc_sampler_new(0.0f, 40, 0.95f, 0.05f, 1);
  ASSERT_NE(greedy, nullptr);
  std::vector<float> logits = fake::logitsOf({'a', 'b'});
  const float *last = logits.data() + fake::kVocab;
  EXPECT_EQ(lmc_sampler_sample(greedy, last, fake::kVocab),
            fake::greedy({'a', 'b'}, 1)[0]);
  lmc_sampler *a = lmc_sampler_new(1.0f, 0, 1.0f, 0.0f, 77);
  lmc_sampler *b = lmc_sampler_new(1.0f, 0, 1.0f, 0.0f, 77);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(lmc_sampler_sample(a, last, fake::kVocab),
              lmc_sampler_sample(b, last, fake::kVocab));
  EXPECT_EQ(lmc_sampler_sample(a, nullptr, 3), -1);
  EXPECT_EQ(lmc_sampler_new(-1.0f, 0, 1.0f, 0.0f, 1), nullptr);
  EXPECT_NE(std::string(lmc_last_error()).find("temperature"),
            std::string::npos);
  EXPECT_EQ(lmc_sampler_new(1.0f, 0, 2.0f, 0.0f, 1), nullptr);
  lmc_sampler_free(greedy);
  lmc_sampler_free(a);
  lmc_sampler_free(b);
  lmc_sampler_free(nullptr);
}

TEST(CApiOpen, WeightsErrors) {
  lmc_model *model = reinterpret_cast<lmc_model *>(1);
  EXPECT_EQ(lmc_model_open("/nonexistent/model.weights", &model), LMC_ERR_IO);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::string(lmc_last_error()).find("/nonexistent/model.weights"),
            std::string::npos);
  // By default, <this executable>.weights: the test binary has none.
  EXPECT_EQ(lmc_model_open(nullptr, &model), LMC_ERR_IO);
  EXPECT_NE(std::string(lmc_last_error()).find("RuntimeModelTests.weights"),
            std::string::npos)
      << lmc_last_error();
  // A file of the wrong size is a model error, not an I/O one.
  EXPECT_EQ(lmc_model_open("/proc/self/exe", &model), LMC_ERR_MODEL);
  EXPECT_EQ(lmc_model_open(LMC_FAKE_MODEL_WEIGHTS, nullptr),
            LMC_ERR_INVALID_ARGUMENT);
}
