//===- CommandLineTest.cpp - The executable's argument rules --------------===//
#include "runtime/cli/CommandLine.h"

#include <gtest/gtest.h>

#include <cstdio>

using namespace lmc::rt::cli;

namespace {

Options parseOk(const std::vector<std::string> &args) {
  Options o;
  std::string err;
  EXPECT_TRUE(parseCommandLine(args, o, err)) << err;
  return o;
}

/// Expects args to be rejected with an error containing message.
void expectError(const std::vector<std::string> &args,
                 const std::string &message) {
  Options o;
  std::string err;
  std::string joined;
  for (const auto &a : args)
    joined += "[" + a + "]";
  EXPECT_FALSE(parseCommandLine(args, o, err)) << joined;
  EXPECT_NE(err.find(message), std::string::npos)
      << joined << ": error '" << err << "' lacks '" << message << "'";
  EXPECT_EQ(err.find('\n'), std::string::npos) << "one line: " << err;
}

} // namespace

TEST(CommandLine, Defaults) {
  Options o = parseOk({});
  EXPECT_EQ(o.command, Command::Generate);
  EXPECT_FALSE(o.hasPrompt);
  EXPECT_FALSE(o.hasTokens);
  EXPECT_FALSE(o.nSet);
  EXPECT_EQ(o.nPredict, kDefaultPredict);
  EXPECT_FLOAT_EQ(o.sampling.temperature, 0.8f);
  EXPECT_EQ(o.sampling.topK, 40);
  EXPECT_FLOAT_EQ(o.sampling.topP, 0.95f);
  EXPECT_FLOAT_EQ(o.sampling.minP, 0.05f);
  EXPECT_FALSE(o.seedSet);
  EXPECT_EQ(o.threads, 0);
  EXPECT_EQ(o.ctx, 0);
  EXPECT_FALSE(o.ids);
  EXPECT_TRUE(o.logitsOut.empty());
}

TEST(CommandLine, EveryFlag) {
  Options o = parseOk({"-p", "Hello -n 5", "-n", "7", "--temp", "0", "--top-k",
                       "5", "--top-p", "0.5", "--min-p", "0.1", "--seed",
                       "18446744073709551615", "-t", "3", "--ctx", "256",
                       "--ids", "--logits-out", "/tmp/x.bin"});
  EXPECT_TRUE(o.hasPrompt);
  EXPECT_EQ(o.prompt, "Hello -n 5");
  EXPECT_TRUE(o.nSet);
  EXPECT_EQ(o.nPredict, 7);
  EXPECT_EQ(o.sampling.temperature, 0.0f);
  EXPECT_EQ(o.sampling.topK, 5);
  EXPECT_FLOAT_EQ(o.sampling.topP, 0.5f);
  EXPECT_FLOAT_EQ(o.sampling.minP, 0.1f);
  EXPECT_TRUE(o.seedSet);
  EXPECT_EQ(o.sampling.seed, UINT64_MAX);
  EXPECT_EQ(o.threads, 3);
  EXPECT_EQ(o.ctx, 256);
  EXPECT_TRUE(o.ids);
  EXPECT_EQ(o.logitsOut, "/tmp/x.bin");
}

TEST(CommandLine, LongFormsAndAliases) {
  Options o = parseOk({"--prompt=a=b", "--n-predict", "0", "--temp=1.5",
                       "--threads=2", "--ctx=9"});
  EXPECT_EQ(o.prompt, "a=b");
  EXPECT_EQ(o.nPredict, 0);
  EXPECT_TRUE(o.nSet);
  EXPECT_FLOAT_EQ(o.sampling.temperature, 1.5f);
  EXPECT_EQ(o.threads, 2);
  EXPECT_EQ(o.ctx, 9);
  // A value may start with a dash.
  EXPECT_EQ(parseOk({"-p", "-h"}).prompt, "-h");
  EXPECT_EQ(parseOk({"-p", ""}).prompt, "");
}

TEST(CommandLine, TokenList) {
  Options o = parseOk({"--tokens", "1,2, 3 ,2147483647"});
  EXPECT_TRUE(o.hasTokens);
  EXPECT_EQ(o.tokens, (std::vector<int32_t>{1, 2, 3, 2147483647}));
  EXPECT_EQ(parseOk({"--tokens", "0"}).tokens, (std::vector<int32_t>{0}));
  expectError({"--tokens", ""}, "--tokens: the list is empty");
  expectError({"--tokens", "  "}, "--tokens: the list is empty");
  expectError({"--tokens", "1,,2"}, "--tokens: empty id");
  expectError({"--tokens", "1,2,"}, "--tokens: empty id");
  expectError({"--tokens", ",1"}, "--tokens: empty id");
  expectError({"--tokens", "1,x"}, "--tokens: 'x' is not an integer");
  expectError({"--tokens", "1 2"}, "is not an integer");
  expectError({"--tokens", "-1"}, "--tokens: -1 is out of range");
  expectError({"--tokens", "2147483648"}, "out of range");
  expectError({"--tokens", "99999999999999999999"}, "out of range");
  expectError({"--tokens", "0x10"}, "not an integer");
}

TEST(CommandLine, TokenListFromFile) {
  // A list longer than one argument may be (128 KiB), over several lines.
  std::string path = testing::TempDir() + "/lmc-prompt-ids.txt";
  std::vector<int32_t> ids;
  std::string text;
  for (int32_t i = 0; i < 40000; ++i) {
    ids.push_back((i * 7919) % 151936);
    text += std::to_string(ids.back()) + (i % 16 == 15 ? ",\n" : ", ");
  }
  text.resize(text.size() - 2);
  text += "\n";
  auto write = [&](const std::string &content) {
    std::FILE *f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(content.data(), 1, content.size(), f);
    std::fclose(f);
  };
  write(text);
  ASSERT_GT(text.size(), size_t(128 * 1024));
  EXPECT_EQ(parseOk({"--tokens", "@" + path}).tokens, ids);

  write("5,x\n");
  expectError({"--tokens", "@" + path}, "--tokens: 'x' is not an integer (in " + path + ")");
  write("\n");
  expectError({"--tokens", "@" + path}, "--tokens: the list is empty");
  expectError({"--tokens", "@/nonexistent/ids.txt"},
              "--tokens: cannot read '/nonexistent/ids.txt': No such file or directory");
  expectError({"--tokens", "@" + testing::TempDir()}, "Is a directory");
  std::remove(path.c_str());
}

TEST(CommandLine, BadValues) {
  expectError({"-n", "-1"}, "-n: -1 is out of range");
  expectError({"-n", "abc"}, "-n: 'abc' is not an integer");
  expectError({"-n", "5x"}, "not an integer");
  expectError({"-n", " 5"}, "not an integer");
  expectError({"-n", ""}, "not an integer");
  expectError({"-n", "1.5"}, "not an integer");
  expectError({"--temp", "-0.5"}, "--temp: -0.5 must be >= 0");
  expectError({"--temp", "hot"}, "--temp: 'hot' is not a number");
  expectError({"--temp", "nan"}, "is not a number");
  expectError({"--temp", "inf"}, "is not a number");
  expectError({"--temp", "0.5x"}, "is not a number");
  expectError({"--top-k", "-1"}, "--top-k: -1 is out of range");
  expectError({"--top-p", "1.5"}, "--top-p: 1.5 must be between 0 and 1");
  expectError({"--min-p", "-0.1"}, "--min-p: -0.1 must be between 0 and 1");
  expectError({"--seed", "-1"}, "--seed: '-1' is not a non-negative integer");
  expectError({"--seed", "18446744073709551616"}, "does not fit in 64 bits");
  expectError({"-t", "0"}, "-t: 0 is out of range");
  expectError({"-t", "100000"}, "out of range");
  expectError({"--ctx", "0"}, "--ctx: 0 is out of range");
  expectError({"--ctx", "-8"}, "out of range");
  expectError({"--logits-out", ""}, "--logits-out: the file name is empty");
}

TEST(CommandLine, BadShapes) {
  expectError({"--bogus"}, "unknown option '--bogus'");
  expectError({"-x", "1"}, "unknown option '-x'");
  expectError({"hello"}, "unexpected argument 'hello'");
  expectError({"-n"}, "-n needs a value");
  expectError({"-p"}, "-p needs a value");
  expectError({"--tokens"}, "--tokens needs a value");
  expectError({"--ids=1"}, "--ids takes no value");
  expectError({"-p", "a", "--tokens", "1"},
              "-p and --tokens cannot be used together");
  expectError({"serve"}, "'serve' is not available");
}

TEST(CommandLine, Help) {
  EXPECT_EQ(parseOk({"-h"}).command, Command::Help);
  EXPECT_EQ(parseOk({"--help"}).command, Command::Help);
  EXPECT_EQ(parseOk({"-n", "3", "--help", "--bogus"}).command, Command::Help);
  EXPECT_EQ(parseOk({"chat", "-h"}).command, Command::Help);
  std::string usage = usageText("qwen");
  EXPECT_NE(usage.find("usage: qwen [-p TEXT | --tokens ID,ID,...]"),
            std::string::npos);
  EXPECT_NE(usage.find("qwen tokenize TEXT"), std::string::npos);
  EXPECT_NE(usage.find("qwen chat"), std::string::npos);
}

TEST(CommandLine, Tokenize) {
  Options o = parseOk({"tokenize", "Hello <|im_end|> -n"});
  EXPECT_EQ(o.command, Command::Tokenize);
  EXPECT_EQ(o.text, "Hello <|im_end|> -n");
  EXPECT_EQ(parseOk({"tokenize", "--help"}).text, "--help");
  EXPECT_EQ(parseOk({"tokenize", ""}).text, "");
  expectError({"tokenize"}, "tokenize takes exactly one argument");
  expectError({"tokenize", "a", "b"}, "tokenize takes exactly one argument");
}

TEST(CommandLine, Info) {
  EXPECT_EQ(parseOk({"info"}).command, Command::Info);
  expectError({"info", "x"}, "info takes no arguments");
}

TEST(CommandLine, Chat) {
  Options o = parseOk({"chat", "--temp", "0", "-n", "20", "--ctx", "512", "-t",
                       "1", "--seed", "3"});
  EXPECT_EQ(o.command, Command::Chat);
  EXPECT_EQ(o.nPredict, 20);
  EXPECT_EQ(o.ctx, 512);
  expectError({"chat", "-p", "hi"}, "-p cannot be used with chat");
  expectError({"chat", "--tokens", "1"}, "--tokens cannot be used with chat");
  expectError({"chat", "--ids"}, "--ids cannot be used with chat");
  expectError({"chat", "--logits-out", "f"},
              "--logits-out cannot be used with chat");
  // `chat` is a command only in first place.
  expectError({"-n", "1", "chat"}, "unexpected argument 'chat'");
}

TEST(CommandLine, ChatOptions) {
  Options o = parseOk({"chat", "--no-think", "--reasoning-effort", "high",
                       "--system", "-be brief-"});
  EXPECT_EQ(o.enableThinking, false);
  EXPECT_EQ(o.reasoningEffort, "high");
  EXPECT_TRUE(o.hasSystem);
  EXPECT_EQ(o.system, "-be brief-");
  EXPECT_EQ(parseOk({"chat", "--no-think", "--think"}).enableThinking, true);
  EXPECT_FALSE(parseOk({"chat"}).enableThinking.has_value());
  expectError({"chat", "--reasoning-effort", "max"}, "not low, medium or high");
  expectError({"--think", "-p", "x"}, "--think is an option of chat");
  expectError({"--system", "x"}, "--system is an option of chat");
  expectError({"chat", "--think=yes"}, "takes no value");
}
