//===- Architectures.cpp - the architectures lmc-synth can write ----------===//

#include "tools/lmc-synth/Architectures.h"

using namespace lmc::synth;

PlanFn lmc::synth::findArchitecture(const std::string &arch) {
  if (arch == "qwen3")
    return planQwen3;
  return nullptr;
}

const char *lmc::synth::architectureNames() { return "qwen3"; }
