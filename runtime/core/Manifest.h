//===- Manifest.h - What the runtime knows about a compiled model -*- C++ -*-===//
//
// The compiler embeds a JSON manifest in the model object
// (`lmc_model_manifest`, schema in docs/design/abi.md). It tells the runtime
// the shape of the KV cache, the logits width, the special tokens, the chat
// format and which weights file the code was compiled against.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CORE_MANIFEST_H
#define LMC_RUNTIME_CORE_MANIFEST_H

#include "runtime/core/Weights.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lmc::rt {

/// The manifest format this runtime reads.
constexpr int kManifestFormat = 1;


struct Manifest {
  int format = kManifestFormat;
  std::string arch;
  std::string name;
  int32_t vocabSize = 0;
  int32_t contextLength = 0;

  /// The KV cache is [layers][streams][heads][capacity][dim] of dtype.
  struct Cache {
    int64_t layers = 0;
    /// 2 for separate keys and values, 1 for a latent (MLA) cache.
    int64_t streams = 0;
    int64_t heads = 0;
    int64_t dim = 0;
    /// "f32" or "f16".
    std::string dtype = "f32";
    int64_t elementBytes() const { return dtype == "f16" ? 2 : 4; }
  } cache;

  struct WeightsFile {
    uint64_t fileSize = 0;
    /// 16 lowercase hex digits, see runtime/support/Fingerprint.h.
    std::string fingerprint;
    /// More files mapped after the first (the shards of a Hugging Face
    /// checkpoint, read in place): `<weights path><suffix>`, at byte `base`
    /// of the mapping (a multiple of kWeightsPartAlignment, past the end of
    /// the file before it).
    std::vector<WeightsPart> parts;
  } weights;

  struct Tokens {
    int32_t bos = -1;
    /// Ids that end generation (end of text, end of turn).
    std::vector<int32_t> eos;
    bool addBos = false;
  } tokens;

  /// Chat format name ("chatml"); empty when the model has none.
  std::string chatFormat;

  bool isEos(int32_t id) const;

  /// Parses and validates text. Unknown keys are ignored (newer compilers may
  /// add some); missing or mistyped known keys are errors. Returns false with
  /// a one-line reason in err.
  static bool parse(std::string_view text, Manifest &out, std::string &err);
};

} // namespace lmc::rt

#endif // LMC_RUNTIME_CORE_MANIFEST_H
