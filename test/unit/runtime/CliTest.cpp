//===- CliTest.cpp - The compiled executable, end to end ------------------===//
//
// Runs lmc-rt-fake-model (the fake model linked as `lmc compile` links a real
// one) with command lines and checks stdout, stderr and the exit status.
//
//===----------------------------------------------------------------------===//
#include "runtime/chat/ChatTemplate.h"
#include "runtime/lmc.h"
#include "test/unit/runtime/FakeModelRule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace lmc::rt;

namespace {

struct Result {
  int code = -1;
  std::string out, err;
};

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const std::string &path, const std::string &data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

class Cli : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lmc-cli-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  /// Runs exe with args, stdin from input, in cwd (if given).
  Result run(const std::vector<std::string> &args,
             const std::string &input = "",
             const std::string &exe = LMC_FAKE_MODEL_EXE,
             const std::string &cwd = "") {
    std::string in = dir + "/stdin", out = dir + "/stdout",
                err = dir + "/stderr";
    writeFile(in, input);
    pid_t pid = ::fork();
    if (pid == 0) {
      if (!cwd.empty() && ::chdir(cwd.c_str()) != 0)
        ::_exit(120);
      int fds[3] = {::open(in.c_str(), O_RDONLY),
                    ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600),
                    ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600)};
      for (int i = 0; i < 3; ++i)
        ::dup2(fds[i], i);
      std::vector<char *> argv;
      argv.push_back(const_cast<char *>(exe.c_str()));
      for (const std::string &a : args)
        argv.push_back(const_cast<char *>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(exe.c_str(), argv.data());
      ::_exit(121);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    Result r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = readFile(out);
    r.err = readFile(err);
    return r;
  }

  /// Expects a clean failure: the status, nothing on stdout, one line on
  /// stderr starting "error: " and containing message.
  void expectFailure(const Result &r, int code, const std::string &message) {
    EXPECT_EQ(r.code, code) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos)
        << "stderr '" << r.err << "' lacks '" << message << "'";
  }

  std::string dir;
};

std::string joinIds(const std::vector<int32_t> &ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i)
    s += (i ? " " : "") + std::to_string(ids[i]);
  return s;
}

/// The ASCII text of ids that are all single bytes.
std::string asText(const std::vector<int32_t> &ids) {
  std::string s;
  for (int32_t id : ids)
    s.push_back(char(id));
  return s;
}

std::vector<int32_t> tokenize(lmc_model *model, const std::string &text) {
  std::vector<int32_t> ids(256);
  int32_t n = lmc_tokenize(model, text.data(), text.size(), 1, ids.data(),
                           int32_t(ids.size()));
  EXPECT_GE(n, 0);
  ids.resize(size_t(n));
  return ids;
}

} // namespace

TEST_F(Cli, GreedyIds) {
  std::string want = joinIds(fake::greedy({72, 105}, 10)) + "\n";
  for (const char *threads : {"1", "2", "3"}) {
    Result r = run({"--tokens", "72,105", "-n", "10", "--temp", "0", "--ids",
                    "-t", threads});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, want) << "-t " << threads;
    EXPECT_NE(r.err.find("prompt: 2 tokens"), std::string::npos) << r.err;
  }
}

TEST_F(Cli, PromptTextAndGeneratedText) {
  // "hello" is [258 "hell", 'o'].
  std::vector<int32_t> gen = fake::greedy({258, 'o'}, 6);
  Result r = run({"-p", "hello", "-n", "6", "--temp", "0"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "hello" + asText(gen) + "\n");
  r = run({"-p", "hello", "-n", "6", "--temp", "0", "--ids"});
  EXPECT_EQ(r.out, joinIds(gen) + "\n");
}

TEST_F(Cli, StopsAtEosWithoutPrintingIt) {
  // The fake model ends the turn after '!'.
  Result r = run({"--tokens", "72,33", "-n", "5", "--temp", "0", "--ids"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "\n");
  EXPECT_NE(r.err.find("generated: 0 tokens"), std::string::npos) << r.err;
  r = run({"-p", "Hi!", "-n", "5", "--temp", "0"});
  EXPECT_EQ(r.out, "Hi!\n");
}

TEST_F(Cli, IgnoreEosGeneratesAllTokens) {
  Result r = run({"--tokens", "72,33", "-n", "5", "--temp", "0", "--ids", "--ignore-eos"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("generated: 5 tokens"), std::string::npos) << r.err;
}

TEST_F(Cli, PromptOnly) {
  // UTF-8 split over two byte tokens is printed whole.
  Result r = run({"--tokens", "195,169", "-n", "0"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "\xc3\xa9\n");
  r = run({"--tokens", "195,169", "-n", "0", "--ids"});
  EXPECT_EQ(r.out, "\n");
}

TEST_F(Cli, LogitsOut) {
  std::string file = dir + "/logits.bin";
  std::vector<int32_t> prompt = {1, 2, 3, 4, 299};
  Result r = run({"--tokens", "1,2,3,4,299", "-n", "0", "--logits-out", file});
  EXPECT_EQ(r.code, 0) << r.err;
  std::vector<float> want = fake::logitsOf(prompt);
  std::string got = readFile(file);
  ASSERT_EQ(got.size(), want.size() * sizeof(float));
  EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size()), 0);

  // In batches of 2 tokens (2, 2, 1): the same rows.
  r = run({"--tokens", "1,2,3,4,299", "-n", "0", "-b", "2", "--logits-out", file});
  EXPECT_EQ(r.code, 0) << r.err;
  got = readFile(file);
  ASSERT_EQ(got.size(), want.size() * sizeof(float));
  EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size()), 0);

  // With -p and generation: the prompt's rows only.
  r = run({"-p", "hello", "-n", "3", "--temp", "0", "--ids", "--logits-out",
           file});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, joinIds(fake::greedy({258, 'o'}, 3)) + "\n");
  want = fake::logitsOf({258, 'o'});
  got = readFile(file);
  ASSERT_EQ(got.size(), want.size() * sizeof(float));
  EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size()), 0);
}

TEST_F(Cli, Tokenize) {
  Result r = run({"tokenize", "hello<|im_end|> world"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "258 111 262 259 111 114 108 100\n");
  r = run({"tokenize", ""});
  EXPECT_EQ(r.out, "\n");
}

TEST_F(Cli, InfoPrintsTheManifest) {
  Result r = run({"info"});
  EXPECT_EQ(r.code, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.front(), '{');
  EXPECT_EQ(r.out.back(), '\n');
  EXPECT_NE(r.out.find("\"arch\""), std::string::npos);
}

TEST_F(Cli, TokenizeNeedsNoWeights) {
  std::string exe = dir + "/model";
  ASSERT_EQ(std::system(("cp '" LMC_FAKE_MODEL_EXE "' '" + exe + "'").c_str()),
            0);
  Result r = run({"tokenize", "hello"}, "", exe);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "258 111\n");
}

TEST_F(Cli, SeededSamplingRepeats) {
  std::vector<std::string> args = {"--tokens", "1,2",    "-n",    "20",
                                   "--seed",   "5",      "--temp", "1.5",
                                   "--ids",    "--top-k", "0"};
  Result a = run(args), b = run(args);
  EXPECT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, "\n");
  EXPECT_NE(a.err.find("seed 5"), std::string::npos) << a.err;
}

TEST_F(Cli, ContextLimits) {
  // Default -n shrinks to the context (64 tokens).
  Result r = run({"--tokens", "1,2,3", "--temp", "0", "--ids"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, joinIds(fake::greedy({1, 2, 3}, 61)) + "\n");
  // An explicit -n that does not fit is an error...
  expectFailure(run({"--tokens", "1,2,3", "-n", "62"}), 2,
                "too small for 3 prompt tokens + 62 generated ones");
  expectFailure(run({"--ctx", "2", "--tokens", "1,2,3"}), 2,
                "the prompt has 3 tokens but the context holds only 2");
  // ...unless --ctx makes room (beyond the trained length: a warning).
  r = run({"--tokens", "1,2,3", "-n", "62", "--ctx", "100", "--temp", "0",
           "--ids"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, joinIds(fake::greedy({1, 2, 3}, 62)) + "\n");
  EXPECT_NE(r.err.find("warning: --ctx 100 exceeds"), std::string::npos)
      << r.err;
}

TEST_F(Cli, UsageErrors) {
  expectFailure(run({"--bogus"}), 2, "unknown option '--bogus'");
  expectFailure(run({"-n", "-1", "--tokens", "1"}), 2, "-n: -1 is out of range");
  expectFailure(run({"-n", "five"}), 2, "-n: 'five' is not an integer");
  expectFailure(run({"--temp"}), 2, "--temp needs a value");
  expectFailure(run({"--batch-size", "0", "--tokens", "1"}), 2,
                "--batch-size: 0 is out of range");
  expectFailure(run({"--tokens", ""}), 2, "--tokens: the list is empty");
  expectFailure(run({"--tokens", "1,300"}), 2,
                "--tokens: id 300 is out of range (the vocabulary has 300");
  expectFailure(run({"--tokens", "1", "--logits-out", "/nonexistent/dir/x"}),
                2, "--logits-out: cannot write '/nonexistent/dir/x'");
  expectFailure(run({"-p", ""}), 2, "the prompt is empty");
  expectFailure(run({}), 2, "no prompt");
  expectFailure(run({"tokenize"}), 2, "tokenize takes exactly one argument");
}

TEST_F(Cli, Help) {
  Result r = run({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("usage: "), std::string::npos);
  EXPECT_NE(r.out.find("--logits-out FILE"), std::string::npos);
}

TEST_F(Cli, WeightsBesideTheExecutableFromAnyDirectory) {
  std::string exe = dir + "/model";
  ASSERT_EQ(std::system(("cp '" LMC_FAKE_MODEL_EXE "' '" + exe + "'").c_str()),
            0);
  std::vector<std::string> args = {"--tokens", "5", "-n", "2", "--temp", "0",
                                   "--ids"};
  expectFailure(run(args, "", exe), 1, exe + ".weights");

  std::string weights = readFile(LMC_FAKE_MODEL_WEIGHTS);
  writeFile(exe + ".weights", weights);
  Result r = run(args, "", exe, "/");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, joinIds(fake::greedy({5}, 2)) + "\n");

  // Through a symlink the real file's weights are used.
  std::string link = dir + "/sub/link";
  ::mkdir((dir + "/sub").c_str(), 0700);
  ASSERT_EQ(::symlink(exe.c_str(), link.c_str()), 0);
  EXPECT_EQ(run(args, "", link).out, r.out);

  // Same size, other content: the fingerprint catches it.
  std::string other = weights;
  other[10] ^= 1;
  writeFile(exe + ".weights", other);
  expectFailure(run(args, "", exe), 1, "does not belong to this model");
  // Another size.
  writeFile(exe + ".weights", weights + "x");
  expectFailure(run(args, "", exe), 1, "was compiled for");
}

TEST_F(Cli, Chat) {
  lmc_model *model = nullptr;
  ASSERT_EQ(lmc_model_open(LMC_FAKE_MODEL_WEIGHTS, &model), LMC_OK);
  // The model sees the conversation as ChatML; replies stay in the cache.
  std::vector<int32_t> history = tokenize(
      model, "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  std::vector<int32_t> first = fake::greedy(history, 8);
  history.insert(history.end(), first.begin(), first.end());
  std::vector<int32_t> turn = tokenize(
      model, "<|im_end|>\n<|im_start|>user\nhello<|im_end|>\n"
             "<|im_start|>assistant\n");
  history.insert(history.end(), turn.begin(), turn.end());
  std::vector<int32_t> second = fake::greedy(history, 8);
  lmc_model_free(model);

  Result r = run({"chat", "--temp", "0", "-n", "8", "--ctx", "200"},
                 "hi\n\nhello\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, asText(first) + "\n" + asText(second) + "\n");
}

TEST_F(Cli, ChatOutgrowsTheContext) {
  Result r = run({"chat", "--temp", "0", "-n", "4", "--ctx", "30"},
                 "hi\nthis message is too long to fit\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no longer fits in the context of 30 tokens"),
            std::string::npos)
      << r.err;
}

TEST_F(Cli, ChatWithTheModelsOwnTemplate) {
  // chat.format "jinja": the conversation is rendered with the model's
  // template; with --no-think its first prompt ends in an empty think block
  // that the template leaves out of the history later, so the second turn
  // rewinds the cache to the last token before the change. The model must
  // then see exactly the tokens of the whole second rendering.
  lmc_model *model = nullptr;
  ASSERT_EQ(lmc_model_open(LMC_FAKE_MODEL_WEIGHTS, &model), LMC_OK);
  std::string err, first, second;
  auto tmpl = chat::ChatTemplate::parse(fake::kFakeChatTemplate, err);
  ASSERT_TRUE(tmpl) << err;
  nlohmann::ordered_json context = {{"messages", nlohmann::ordered_json::array()},
                                    {"add_generation_prompt", true},
                                    {"enable_thinking", false}};
  context["messages"].push_back({{"role", "user"}, {"content", "hi"}});
  ASSERT_TRUE(tmpl->render(context, first, err)) << err;
  std::vector<int32_t> reply1 = fake::greedy(tokenize(model, first), 8);
  context["messages"].push_back({{"role", "assistant"}, {"content", asText(reply1)}});
  context["messages"].push_back({{"role", "user"}, {"content", "hello"}});
  ASSERT_TRUE(tmpl->render(context, second, err)) << err;
  ASSERT_NE(second.compare(0, first.size(), first), 0) << "no rewind to test";
  std::vector<int32_t> reply2 = fake::greedy(tokenize(model, second), 8);
  lmc_model_free(model);

  Result r = run({"chat", "--temp", "0", "-n", "8", "--ctx", "200", "--no-think"},
                 "hi\nhello\n", LMC_FAKE_JINJA_MODEL_EXE);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, asText(reply1) + "\n" + asText(reply2) + "\n");
}

TEST_F(Cli, ChatOptionsNeedAFormatThatTakesThem) {
  // The fake jinja template has no reasoning_effort: a warning, not an error.
  Result r = run({"chat", "--temp", "0", "-n", "2", "--reasoning-effort", "low"},
                 "hi\n", LMC_FAKE_JINJA_MODEL_EXE);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: --reasoning-effort"), std::string::npos) << r.err;
  Result bad = run({"chat", "--reasoning-effort", "max"});
  EXPECT_EQ(bad.code, 2);
  Result notChat = run({"--think", "--tokens", "1"});
  EXPECT_EQ(notChat.code, 2);
  EXPECT_NE(notChat.err.find("--think is an option of chat"), std::string::npos);
}

TEST_F(Cli, ChatSystemMessageComesFirst) {
  lmc_model *model = nullptr;
  ASSERT_EQ(lmc_model_open(LMC_FAKE_MODEL_WEIGHTS, &model), LMC_OK);
  std::vector<int32_t> history = tokenize(
      model, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi"
             "<|im_end|>\n<|im_start|>assistant\n");
  std::vector<int32_t> reply = fake::greedy(history, 6);
  lmc_model_free(model);
  Result r = run({"chat", "--temp", "0", "-n", "6", "--system", "Be brief."},
                 "hi\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, asText(reply) + "\n");
}
