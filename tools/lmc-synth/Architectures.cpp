//===- Architectures.cpp - the architectures lmc-synth can write ----------===//

#include "tools/lmc-synth/Architectures.h"

using namespace lmc::synth;

PlanFn lmc::synth::findArchitecture(const std::string &arch) {
  if (arch == "qwen3" || arch == "qwen3moe")
    return planQwen3;
  if (arch == "gpt-oss")
    return planGptOss;
  if (arch == "deepseek2")
    return planDeepSeek2;
  return nullptr;
}

const char *lmc::synth::architectureNames() { return "qwen3, qwen3moe, gpt-oss, deepseek2"; }
