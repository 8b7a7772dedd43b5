//===- SynthCommon.cpp - shared pieces of the model synthesizer -----------===//

#include "tools/lmc-synth/SynthCommon.h"

#include "frontends/gguf/GGUFWriter.h"
#include "tools/lmc-synth/SynthValues.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace lmc;
using namespace lmc::synth;

//===----------------------------------------------------------------------===//
// Random numbers
//===----------------------------------------------------------------------===//

double Rng::normal() {
  uint64_t x = engine();
  // Sum of four uniforms (k + 0.5) / 2^16: mean 2, variance 4/12.
  uint64_t k = (x & 0xFFFF) + ((x >> 16) & 0xFFFF) + ((x >> 32) & 0xFFFF) +
               (x >> 48);
  double centered = (double(k) - 131070.0) * 0x1.0p-16;
  double scale = 1.7320508075688772; // sqrt(3)
  return centered * scale;
}

uint64_t lmc::synth::tensorSeed(uint64_t seed, const std::string &name) {
  // FNV-1a of the name, then a SplitMix64 finaliser over the combination.
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  uint64_t z = seed ^ h;
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

//===----------------------------------------------------------------------===//
// Storage formats
//===----------------------------------------------------------------------===//

bool TypePolicy::parse(const std::string &name, std::string &error) {
  typeName = name;
  mix = false;
  if (name == "q4_k_m") {
    mix = true;
    single = quant::Format::Q4_K;
    return true;
  }
  static const std::pair<const char *, quant::Format> kSingles[] = {
      {"f32", quant::Format::F32},   {"f16", quant::Format::F16},
      {"bf16", quant::Format::BF16}, {"q8_0", quant::Format::Q8_0},
      {"q4_0", quant::Format::Q4_0}, {"q4_k", quant::Format::Q4_K},
      {"q6_k", quant::Format::Q6_K}, {"mxfp4", quant::Format::MXFP4},
  };
  for (const auto &s : kSingles)
    if (name == s.first) {
      single = s.second;
      return true;
    }
  error = "unknown --type '" + name +
          "' (expected f32, f16, bf16, q8_0, q4_0, q4_k, q6_k, q4_k_m or "
          "mxfp4)";
  return false;
}

quant::Format TypePolicy::formatFor(WeightRole role, int layer, int numLayers,
                                    bool outputIsEmbedding) const {
  // See tools/lmc-synth/DeepSeek2.cpp for why.
  if (role == WeightRole::LatentProjection)
    return quant::Format::F32;
  if (!mix)
    return single;
  // A simplified Q4_K_M: Q6_K for the output projection and for attn_v and
  // ffn_down in the layers llama.cpp gives more bits (first and last eighth,
  // every third in between), Q4_K elsewhere.
  auto moreBits = [&](int i) {
    int n = numLayers;
    return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
  };
  switch (role) {
  case WeightRole::Output:
    return quant::Format::Q6_K;
  case WeightRole::TokenEmbedding:
    return outputIsEmbedding ? quant::Format::Q6_K : quant::Format::Q4_K;
  case WeightRole::AttnV:
  case WeightRole::FfnDown:
    return layer >= 0 && moreBits(layer) ? quant::Format::Q6_K
                                         : quant::Format::Q4_K;
  default:
    return quant::Format::Q4_K;
  }
}

uint32_t TypePolicy::fileType() const {
  if (mix)
    return 15; // LLAMA_FTYPE_MOSTLY_Q4_K_M
  switch (single) {
  case quant::Format::F32:
    return 0;
  case quant::Format::F16:
    return 1;
  case quant::Format::Q4_0:
    return 2;
  case quant::Format::Q8_0:
    return 7;
  case quant::Format::Q4_K:
    return 14; // Q4_K_S: the closest llama_ftype to "all Q4_K"
  case quant::Format::Q6_K:
    return 18;
  case quant::Format::BF16:
    return 32;
  case quant::Format::MXFP4:
    return 38; // MXFP4_MOE
  default:
    return 0;
  }
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

double lmc::synth::jsonFloat(float v) {
  char buf[32];
  for (int digits = 6; digits <= 9; ++digits) {
    std::snprintf(buf, sizeof(buf), "%.*g", digits, double(v));
    if (std::strtof(buf, nullptr) == v)
      break;
  }
  return std::strtod(buf, nullptr);
}

bool lmc::synth::checkBlockSizes(const ModelPlan &plan,
                                 const std::string &typeName,
                                 std::string &error) {
  for (const TensorPlan &t : plan.tensors) {
    if (quant::rowBytes(t.format, int64_t(t.ne[0])) > 0)
      continue;
    error = "tensor '" + t.name + "' has rows of " + std::to_string(t.ne[0]) +
            " elements, not a multiple of the " +
            quant::formatName(t.format) + " block size (" +
            std::to_string(quant::blockElems(t.format)) + ") that --type " +
            typeName + " uses; choose dimensions that are multiples of it";
    return false;
  }
  return true;
}

bool lmc::synth::writeModel(const ModelPlan &plan, uint64_t seed,
                            const std::string &path, bool twin,
                            std::string &error) {
  gguf::GGUFWriter w;
  for (const auto &kv : plan.metadata)
    w.set(kv.first, kv.second);
  if (twin) {
    w.setU32("general.file_type", 0);
    w.erase("general.quantization_version");
  }
  // Tensors are filled one at a time, in order, so the streams advance
  // sequentially.
  auto values = std::make_shared<ModelValues>(plan, seed);
  for (const TensorPlan &t : plan.tensors) {
    quant::Format storage = twin ? quant::Format::F32 : t.format;
    int typeId = quant::ggmlTypeId(storage);
    if (typeId < 0) {
      error = "tensor '" + t.name + "': " + quant::formatName(storage) +
              " is not a GGUF type";
      return false;
    }
    const TensorPlan *tp = &t;
    uint64_t rows = 1;
    for (size_t i = 1; i < t.ne.size(); ++i)
      rows *= t.ne[i];
    // The twin stores what the tensor's own format decodes to.
    auto fill = [tp, values, storage, rows](uint8_t *dst, std::string &err) {
      if (storage == tp->format)
        return values->encoded(*tp, 0, rows, dst, err);
      return values->decoded(*tp, 0, rows, reinterpret_cast<float *>(dst),
                             err);
    };
    if (!w.addTensor(t.name, t.ne, gguf::GGMLType(typeId), fill, error))
      return false;
  }
  return w.write(path, error);
}
