//===- Architectures.cpp - the architectures lmc-synth can write ----------===//

#include "tools/lmc-synth/Architectures.h"

#include "tools/lmc-synth/HFLayout.h"

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

bool lmc::synth::planModel(const SynthOptions &opts, const TokenizerData &tok,
                           ModelPlan &plan, std::string &error) {
  PlanFn planner = findArchitecture(opts.arch);
  if (!planner) {
    error = "unknown --arch '" + opts.arch + "' (expected " +
            architectureNames() + ")";
    return false;
  }
  TypePolicy types;
  return types.parse(opts.type, error) &&
         planner(opts, types, tok, plan, error) &&
         assignValueGrids(plan, opts, error) &&
         checkBlockSizes(plan, opts.type, error);
}
