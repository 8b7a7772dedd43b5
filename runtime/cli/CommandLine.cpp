//===- CommandLine.cpp - Parsing the executable's arguments ---------------===//
#include "runtime/cli/CommandLine.h"
#include "runtime/core/ThreadPool.h"

#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>

using namespace lmc::rt;
using namespace lmc::rt::cli;

namespace {

enum class Flag {
  Prompt, Tokens, NPredict, Temp, TopK, TopP, MinP, Seed, Threads, Ctx, Batch, Ids, IgnoreEos,
  LogitsOut, Help, Think, NoThink, ReasoningEffort, System,
};

struct FlagInfo {
  const char *name;
  /// An equivalent spelling (llama.cpp's), or null.
  const char *alias;
  Flag flag;
  bool takesValue;
};

const FlagInfo kFlags[] = {
    {"-p", "--prompt", Flag::Prompt, true},
    {"--tokens", nullptr, Flag::Tokens, true},
    {"-n", "--n-predict", Flag::NPredict, true},
    {"--temp", nullptr, Flag::Temp, true},
    {"--top-k", nullptr, Flag::TopK, true},
    {"--top-p", nullptr, Flag::TopP, true},
    {"--min-p", nullptr, Flag::MinP, true},
    {"--seed", nullptr, Flag::Seed, true},
    {"-t", "--threads", Flag::Threads, true},
    {"--ctx", nullptr, Flag::Ctx, true},
    {"-b", "--batch-size", Flag::Batch, true},
    {"--ids", nullptr, Flag::Ids, false},
    {"--ignore-eos", nullptr, Flag::IgnoreEos, false},
    {"--logits-out", nullptr, Flag::LogitsOut, true},
    {"-h", "--help", Flag::Help, false},
    {"--think", nullptr, Flag::Think, false},
    {"--no-think", nullptr, Flag::NoThink, false},
    {"--reasoning-effort", nullptr, Flag::ReasoningEffort, true},
    {"--system", nullptr, Flag::System, true},
};

const FlagInfo *findFlag(const std::string &name) {
  for (const FlagInfo &f : kFlags)
    if (name == f.name || (f.alias && name == f.alias))
      return &f;
  return nullptr;
}

std::string quoted(const std::string &s) { return "'" + s + "'"; }

/// A decimal integer in [min, max], nothing else (no spaces, no suffix).
bool parseInteger(const std::string &flag, const std::string &text,
                  int64_t min, int64_t max, int64_t &out, std::string &err) {
  bool digits = !text.empty() &&
                (std::isdigit((unsigned char)text[0]) ||
                 (text[0] == '-' && text.size() > 1 &&
                  std::isdigit((unsigned char)text[1])));
  char *end = nullptr;
  errno = 0;
  long long value = digits ? std::strtoll(text.c_str(), &end, 10) : 0;
  if (!digits || *end != '\0') {
    err = flag + ": " + quoted(text) + " is not an integer";
    return false;
  }
  if (errno == ERANGE || value < min || value > max) {
    err = flag + ": " + text + " is out of range [" + std::to_string(min) +
          ", " + std::to_string(max) + "]";
    return false;
  }
  out = value;
  return true;
}

bool parseUnsigned64(const std::string &flag, const std::string &text,
                     uint64_t &out, std::string &err) {
  bool digits = !text.empty() && std::isdigit((unsigned char)text[0]);
  char *end = nullptr;
  errno = 0;
  unsigned long long value = digits ? std::strtoull(text.c_str(), &end, 10) : 0;
  if (!digits || *end != '\0') {
    err = flag + ": " + quoted(text) + " is not a non-negative integer";
    return false;
  }
  if (errno == ERANGE) {
    err = flag + ": " + text + " does not fit in 64 bits";
    return false;
  }
  out = value;
  return true;
}

/// A finite decimal number in [min, max] (max < 0: no upper bound).
bool parseNumber(const std::string &flag, const std::string &text, double min,
                 double max, float &out, std::string &err) {
  bool start = !text.empty() &&
               (std::isdigit((unsigned char)text[0]) || text[0] == '.' ||
                text[0] == '-' || text[0] == '+');
  char *end = nullptr;
  double value = start ? std::strtod(text.c_str(), &end) : 0;
  if (!start || end == text.c_str() || *end != '\0' || !std::isfinite(value)) {
    err = flag + ": " + quoted(text) + " is not a number";
    return false;
  }
  if (value < min || (max >= 0 && value > max)) {
    err = flag + ": " + text +
          (max < 0 ? " must be >= 0" : " must be between 0 and 1");
    return false;
  }
  out = float(value);
  return true;
}

/// "1,2, 3" -> {1, 2, 3}; ids must be non-negative int32. Blanks (newlines
/// included, for lists read from files) may surround each id.
bool parseTokenList(const std::string &text, std::vector<int32_t> &out,
                    std::string &err) {
  const char *blanks = " \t\r\n";
  out.clear();
  if (text.find_first_not_of(blanks) == std::string::npos) {
    err = "--tokens: the list is empty";
    return false;
  }
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t b = item.find_first_not_of(blanks);
    size_t e = item.find_last_not_of(blanks);
    item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
    if (item.empty()) {
      err = "--tokens: empty id in " +
            (text.size() <= 80 ? quoted(text)
                               : "the list at offset " + std::to_string(start));
      return false;
    }
    int64_t id;
    if (!parseInteger("--tokens", item, 0, INT32_MAX, id, err))
      return false;
    out.push_back(int32_t(id));
    if (comma == std::string::npos)
      return true;
    start = comma + 1;
  }
}

/// `--tokens @FILE` reads the list from FILE (a long prompt does not fit in one
/// argument: Linux caps each at 128 KiB); any other value is the list itself.
bool parseTokensValue(const std::string &value, std::vector<int32_t> &out,
                      std::string &err) {
  if (value.empty() || value[0] != '@')
    return parseTokenList(value, out, err);
  std::string path = value.substr(1);
  std::string text;
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (file) {
    char buffer[1 << 16];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0)
      text.append(buffer, n);
  }
  int error = !file ? errno : std::ferror(file) ? errno : 0;
  if (file)
    std::fclose(file);
  if (error) {
    err = "--tokens: cannot read " + quoted(path) + ": " + std::strerror(error);
    return false;
  }
  if (!parseTokenList(text, out, err)) {
    err += " (in " + path + ")";
    return false;
  }
  return true;
}

} // namespace

bool lmc::rt::cli::parseCommandLine(const std::vector<std::string> &args,
                                    Options &options, std::string &err) {
  options = Options();
  size_t i = 0;
  if (!args.empty() && args[0] == "tokenize") {
    if (args.size() != 2) {
      err = "tokenize takes exactly one argument: tokenize TEXT";
      return false;
    }
    options.command = Command::Tokenize;
    options.text = args[1];
    return true;
  }
  if (!args.empty() && args[0] == "info") {
    if (args.size() != 1) {
      err = "info takes no arguments";
      return false;
    }
    options.command = Command::Info;
    return true;
  }
  if (!args.empty() && args[0] == "serve") {
    err = "'serve' is not available in this build";
    return false;
  }
  if (!args.empty() && args[0] == "chat") {
    options.command = Command::Chat;
    i = 1;
  }

  for (; i < args.size(); ++i) {
    std::string name = args[i], value;
    bool inlineValue = false;
    if (name.compare(0, 2, "--") == 0) {
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        inlineValue = true;
      }
    }
    const FlagInfo *flag = findFlag(name);
    if (!flag) {
      if (!name.empty() && name[0] == '-')
        err = "unknown option " + quoted(name);
      else
        err = "unexpected argument " + quoted(name) +
              " (the prompt goes after -p)";
      return false;
    }
    bool chatOnly = flag->flag == Flag::Think || flag->flag == Flag::NoThink ||
                    flag->flag == Flag::ReasoningEffort ||
                    flag->flag == Flag::System;
    if (chatOnly && options.command != Command::Chat) {
      err = name + " is an option of chat";
      return false;
    }
    if (!flag->takesValue && inlineValue) {
      err = name + " takes no value";
      return false;
    }
    if (flag->takesValue && !inlineValue) {
      if (i + 1 >= args.size()) {
        err = name + " needs a value";
        return false;
      }
      value = args[++i];
    }

    int64_t number = 0;
    bool ok = true;
    switch (flag->flag) {
    case Flag::Help:
      options.command = Command::Help;
      return true;
    case Flag::Prompt:
      options.hasPrompt = true;
      options.prompt = value;
      break;
    case Flag::Tokens:
      options.hasTokens = true;
      ok = parseTokensValue(value, options.tokens, err);
      break;
    case Flag::NPredict:
      ok = parseInteger(name, value, 0, INT32_MAX, options.nPredict, err);
      options.nSet = true;
      break;
    case Flag::Temp:
      ok = parseNumber(name, value, 0, -1, options.sampling.temperature, err);
      break;
    case Flag::TopK:
      ok = parseInteger(name, value, 0, INT32_MAX, number, err);
      options.sampling.topK = int32_t(number);
      break;
    case Flag::TopP:
      ok = parseNumber(name, value, 0, 1, options.sampling.topP, err);
      break;
    case Flag::MinP:
      ok = parseNumber(name, value, 0, 1, options.sampling.minP, err);
      break;
    case Flag::Seed:
      ok = parseUnsigned64(name, value, options.sampling.seed, err);
      options.seedSet = true;
      break;
    case Flag::Threads:
      ok = parseInteger(name, value, 1, ThreadPool::kMaxThreads, number,
                        err);
      options.threads = int(number);
      break;
    case Flag::Ctx:
      ok = parseInteger(name, value, 1, INT32_MAX, options.ctx, err);
      break;
    case Flag::Batch:
      ok = parseInteger(name, value, 1, INT32_MAX, options.batch, err);
      break;
    case Flag::Ids:
      options.ids = true;
      break;
    case Flag::IgnoreEos:
      options.ignoreEos = true;
      break;
    case Flag::Think:
    case Flag::NoThink:
      options.enableThinking = flag->flag == Flag::Think;
      break;
    case Flag::ReasoningEffort:
      if (value != "low" && value != "medium" && value != "high") {
        err = name + ": " + quoted(value) + " is not low, medium or high";
        ok = false;
      }
      options.reasoningEffort = value;
      break;
    case Flag::System:
      options.hasSystem = true;
      options.system = value;
      break;
    case Flag::LogitsOut:
      if (value.empty()) {
        err = name + ": the file name is empty";
        ok = false;
      }
      options.logitsOut = value;
      break;
    }
    if (!ok)
      return false;
  }

  if (options.hasPrompt && options.hasTokens) {
    err = "-p and --tokens cannot be used together";
    return false;
  }
  if (options.command == Command::Chat) {
    const char *bad = options.hasPrompt   ? "-p"
                      : options.hasTokens ? "--tokens"
                      : options.ids       ? "--ids"
                      : !options.logitsOut.empty() ? "--logits-out"
                                                   : nullptr;
    if (bad) {
      err = std::string(bad) + " cannot be used with chat";
      return false;
    }
  }
  return true;
}

std::string lmc::rt::cli::usageText(const std::string &program) {
  return "usage: " + program +
         " [-p TEXT | --tokens ID,ID,...] [-n N] [--temp T] [--top-k K]\n"
         "           [--top-p P] [--min-p P] [--seed S] [-t THREADS] "
         "[--ctx N] [--ids]\n"
         "           [-b N] [--logits-out FILE] [--ignore-eos]\n"
         "       " + program + " tokenize TEXT\n"
         "       " + program + " info\n"
         "       " + program + " chat [-n N] [--temp T] [--top-k K] "
         "[--top-p P] [--min-p P]\n"
         "           [--seed S] [-t THREADS] [--ctx N] [--think | --no-think]\n"
         "           [--reasoning-effort low|medium|high] [--system TEXT]\n"
         "\n"
         "Runs the compiled model: continues the prompt, printing it and the\n"
         "generated text (timing goes to stderr).\n"
         "\n"
         "  -p, --prompt TEXT    prompt text (BOS is added if the model wants "
         "it)\n"
         "  --tokens ID,...      prompt token ids, fed as they are (@FILE: read the\n"
         "                       comma-separated ids from FILE)\n"
         "  -n, --n-predict N    tokens to generate (default 128, less if the "
         "context\n"
         "                       is smaller; 0: evaluate the prompt only); "
         "generation\n"
         "                       also stops at an end-of-sequence token, which "
         "is not\n"
         "                       printed\n"
         "  --temp T             temperature (default 0.8; 0: greedy)\n"
         "  --top-k K            keep the K most likely tokens (default 40; 0: "
         "off)\n"
         "  --top-p P            nucleus sampling (default 0.95; 1: off)\n"
         "  --min-p P            drop tokens below P x the top probability "
         "(default 0.05;\n"
         "                       0: off)\n"
         "  --seed S             random seed (default: random)\n"
         "  -t, --threads N      threads (default: all cores)\n"
         "  --ctx N              context size in tokens (default: the model's, "
         "at most 4096)\n"
         "  -b, --batch-size N   prompt tokens evaluated together (default 512; "
         "1: each as\n"
         "                       a decode step)\n"
         "  --ids                print only the generated token ids, on one "
         "line\n"
         "  --ignore-eos         do not stop at end-of-sequence tokens (benchmarks)\n"
         "  --logits-out FILE    write the logits of every prompt position, "
         "float32\n"
         "                       little-endian [prompt tokens x vocab], no "
         "header\n"
         "  -h, --help           this text\n"
         "\n"
         "  tokenize TEXT        print the token ids of TEXT (special-token "
         "text gives\n"
         "                       special ids; no BOS)\n"
         "  info                 print the model's manifest (JSON: architecture, "
         "vocabulary,\n"
         "                       KV cache, special tokens, weights file)\n"
         "  chat                 interactive chat in the model's format: one "
         "message per\n"
         "                       line on stdin, replies on stdout (reasoning on "
         "stderr)\n"
         "  --think, --no-think  chat: switch the model's thinking on or off "
         "(Qwen3's\n"
         "                       enable_thinking; /think and /no_think in a "
         "message\n"
         "                       also work, as the model was trained)\n"
         "  --reasoning-effort L chat: low, medium or high (GPT-OSS)\n"
         "  --system TEXT        chat: a system message first\n"
         "\n"
         "The weights are read from " + program + ".weights next to the "
         "executable.\n"
         "Exit status: 0 success, 1 the model could not run, 2 bad command "
         "line.\n";
}
