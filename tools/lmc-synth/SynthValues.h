//===- SynthValues.h - a planned model's values, row by row -----*- C++ -*-===//
//
// Every number lmc-synth writes comes from here, so that the GGUF file and
// the Hugging Face checkpoint of one model hold the same values:
//
//   raw      the tensor's own seeded stream (Init), row after row;
//   encoded  the GGUF bytes: raw rows quantized to the tensor's format;
//   decoded  what those bytes decode to; for F32 tensors, the raw values
//            snapped onto their ValueGrid (bf16, or FP8 codes times a
//            128 x 128 block scale in the checkpoint's [out, in] layout).
//
// Rows are ne[0] elements. Streams advance sequentially; asking for an
// earlier row restarts the stream (and skips ahead), so any access order
// works and sequential access costs one draw per value. One FP8 block row
// and one kv_b_proj are cached at a time: memory stays at one tensor's
// worth at most, whatever the model's size.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_TOOLS_LMC_SYNTH_SYNTHVALUES_H
#define LMC_TOOLS_LMC_SYNTH_SYNTHVALUES_H

#include "tools/lmc-synth/HFLayout.h"
#include "tools/lmc-synth/SynthCommon.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lmc::synth {

/// One 128-row band of an FP8-gridded matrix: one scale per 128-column
/// block and, unless only the scales were asked for, codes and values.
struct Fp8BlockRow {
  uint64_t firstRow = 0, numRows = 0, cols = 0;
  bool hasCodes = false;
  std::vector<uint8_t> codes;
  std::vector<float> values;
  std::vector<float> scales;
};

/// DeepSeek's kv_b_proj of one layer in the checkpoint's layout
/// [heads * (nope + v), kvl], assembled from attn_k_b and attn_v_b; on the
/// Fp8KvB grid also its codes and block scales ([rows/128, kvl/128]).
struct KvBJoint {
  std::string keyName;
  KvBLayout layout;
  std::vector<float> values;
  std::vector<uint8_t> codes;
  std::vector<float> scales;
};

/// Quantizes rows x cols floats (row stride `cols`) as one band of FP8
/// blocks: per block of `kFp8Block` columns scale = amax / 448 (1 for an
/// all-zero block), code = E4M3(x / scale), value = E4M3 value * scale (one
/// f32 product, as frontends/hf dequantizes).
void quantizeFp8Band(const float *x, uint64_t rows, uint64_t cols,
                     uint8_t *codes, float *values, float *scales);
/// The scales alone (the checkpoint stores them apart from the codes).
void fp8BandScales(const float *x, uint64_t rows, uint64_t cols, float *scales);

class ModelValues {
public:
  ModelValues(const ModelPlan &plan, uint64_t seed);
  ~ModelValues();
  ModelValues(const ModelValues &) = delete;
  ModelValues &operator=(const ModelValues &) = delete;

  const TensorPlan *find(const std::string &name) const;

  /// Raw draws of rows [row0, row0 + n).
  bool raw(const TensorPlan &t, uint64_t row0, uint64_t n, float *out,
           std::string &error);
  /// The GGUF bytes of the rows in t.format (F32: the decoded values).
  bool encoded(const TensorPlan &t, uint64_t row0, uint64_t n, uint8_t *out,
               std::string &error);
  /// The values the GGUF file decodes to.
  bool decoded(const TensorPlan &t, uint64_t row0, uint64_t n, float *out,
               std::string &error);
  /// Fp8Blocks grid: the E4M3 codes of the rows.
  bool fp8Codes(const TensorPlan &t, uint64_t row0, uint64_t n, uint8_t *out,
                std::string &error);
  /// Fp8Blocks grid: the band of `kFp8Block` rows containing row `row`
  /// (bands restart at every matrix, i.e. every ne[1] rows); with
  /// `scalesOnly` its codes and values may be missing.
  const Fp8BlockRow *fp8Band(const TensorPlan &t, uint64_t row,
                             std::string &error, bool scalesOnly = false);
  /// kv_b_proj of the layer of attn_k_b or attn_v_b `t`.
  const KvBJoint *kvb(const TensorPlan &t, std::string &error);

private:
  struct Stream;
  Stream &stream(const TensorPlan &t);

  const ModelPlan &plan;
  uint64_t seed;
  std::map<std::string, size_t> index;
  std::map<std::string, std::unique_ptr<Stream>> streams;
  std::string bandName;
  Fp8BlockRow band;
  std::unique_ptr<KvBJoint> joint;
};

} // namespace lmc::synth

#endif // LMC_TOOLS_LMC_SYNTH_SYNTHVALUES_H
