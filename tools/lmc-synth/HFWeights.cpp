//===- HFWeights.cpp - the safetensors of a synthesized model -------------===//
//
// One producer per layout form writes whole rows of a checkpoint tensor
// (its last dimension; MXFP4 blocks: one matrix row of blocks) from
// ModelValues; Producer::fill adapts them to SafeTensorsWriter's byte ranges.
// The index arithmetic is the inverse of frontends/hf's MappedWeight
// descriptions (docs/design/hf.md), which the tests check element by
// element through hf::planWeights and hf::materialize.
//
//===----------------------------------------------------------------------===//

#include "tools/lmc-synth/HFWeights.h"

#include "frontends/hf/SafeTensorsWriter.h"
#include "frontends/hf/WeightMap.h"
#include "tools/lmc-synth/HFLayout.h"
#include "tools/lmc-synth/SynthValues.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>

using namespace lmc;
using namespace lmc::synth;
using hf::DType;

void lmc::synth::ggmlToHFMxfp4Block(const uint8_t ggml[17], uint8_t blocks[16],
                                    uint8_t &scale) {
  // Element k of the block: ggml byte k % 16, low nibble for k < 16.
  auto element = [&](unsigned k) -> uint8_t {
    return k < 16 ? ggml[1 + k] & 0x0F : ggml[1 + k - 16] >> 4;
  };
  scale = ggml[0];
  for (unsigned m = 0; m < 16; ++m)
    blocks[m] = uint8_t(element(2 * m) | element(2 * m + 1) << 4);
}

namespace {

uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

/// Frees a vector's memory (`v = {}` keeps its capacity).
template <typename T> void release(std::vector<T> &v) {
  std::vector<T>().swap(v);
}

/// How a producer stores values.
enum class Enc { F32, BF16, Fp8Codes, Mxfp4Blocks, Mxfp4Scales };

/// Bytes of `n` elements (a multiple of 32 for MXFP4).
uint64_t encodedBytes(Enc e, uint64_t n) {
  switch (e) {
  case Enc::F32:
    return 4 * n;
  case Enc::BF16:
    return 2 * n;
  case Enc::Fp8Codes:
    return n;
  case Enc::Mxfp4Blocks:
    return n / 32 * 16;
  case Enc::Mxfp4Scales:
    return n / 32;
  }
  return 0;
}

DType dtypeOf(Enc e) {
  switch (e) {
  case Enc::F32:
    return DType::F32;
  case Enc::BF16:
    return DType::BF16;
  case Enc::Fp8Codes:
    return DType::F8_E4M3;
  default:
    return DType::U8;
  }
}

/// Floats as F32 or BF16 bytes (exact: the values are checked to be bf16).
void storeFloats(Enc e, const float *v, uint64_t n, uint8_t *dst) {
  if (e == Enc::F32) {
    std::memcpy(dst, v, n * sizeof(float));
    return;
  }
  for (uint64_t i = 0; i < n; ++i) {
    uint16_t b = quant::f32ToBf16(v[i]);
    std::memcpy(dst + 2 * i, &b, 2);
  }
}

/// ggml MXFP4 rows (17-byte blocks) as checkpoint blocks or scales.
void storeMxfp4(Enc e, const uint8_t *ggml, uint64_t blocks, uint8_t *dst) {
  for (uint64_t g = 0; g < blocks; ++g) {
    uint8_t scale, packed[16];
    ggmlToHFMxfp4Block(ggml + 17 * g, packed, scale);
    if (e == Enc::Mxfp4Blocks)
      std::memcpy(dst + 16 * g, packed, 16);
    else
      dst[g] = scale;
  }
}

/// Whole rows of one checkpoint tensor.
class Producer {
public:
  Producer(std::shared_ptr<ModelValues> values, uint64_t rowBytes,
           uint64_t numRows)
      : rowBytes(rowBytes), numRows(numRows), values(std::move(values)) {}
  virtual ~Producer() = default;

  /// Writes rows [r0, r0 + n) to `dst`.
  virtual bool rows(uint64_t r0, uint64_t n, uint8_t *dst,
                    std::string &error) = 0;

  /// SafeTensorsWriter's callback: any byte range, through whole rows.
  /// After the tensor's last byte every buffer is freed: all producers live
  /// until the write ends, only one may hold memory at a time.
  bool fill(uint64_t offset, uint8_t *dst, uint64_t count, std::string &error) {
    const uint64_t r0 = offset / rowBytes,
                   r1 = ceilDiv(offset + count, rowBytes);
    bool ok;
    if (offset % rowBytes == 0 && count % rowBytes == 0) {
      ok = rows(r0, r1 - r0, dst, error);
    } else {
      scratch.resize((r1 - r0) * rowBytes);
      ok = rows(r0, r1 - r0, scratch.data(), error);
      if (ok)
        std::memcpy(dst, scratch.data() + (offset - r0 * rowBytes), count);
    }
    if (!ok || offset + count == rowBytes * numRows) {
      release(scratch);
      release(floats);
      release(bytes);
      releaseCaches();
    }
    return ok;
  }

  const uint64_t rowBytes, numRows;

protected:
  /// Frees what a producer keeps between calls.
  virtual void releaseCaches() {}

  std::shared_ptr<ModelValues> values;
  /// Per-call buffers.
  std::vector<float> floats;
  std::vector<uint8_t> bytes;

private:
  std::vector<uint8_t> scratch;
};

/// Rows [base, base + numRows) of a GGUF tensor, in order: the same
/// elements (Same), one expert of a stack (Experts), MXFP4 down exps.
class SliceProducer : public Producer {
public:
  SliceProducer(std::shared_ptr<ModelValues> values, const TensorPlan &t,
                uint64_t base, uint64_t rows, Enc enc)
      : Producer(std::move(values), encodedBytes(enc, t.ne[0]), rows), t(t),
        base(base), enc(enc) {}

  bool rows(uint64_t r0, uint64_t n, uint8_t *dst,
            std::string &error) override {
    const uint64_t n0 = t.ne[0];
    switch (enc) {
    case Enc::F32:
    case Enc::BF16:
      floats.resize(n * n0);
      if (!values->decoded(t, base + r0, n, floats.data(), error))
        return false;
      storeFloats(enc, floats.data(), n * n0, dst);
      return true;
    case Enc::Fp8Codes:
      return values->fp8Codes(t, base + r0, n, dst, error);
    case Enc::Mxfp4Blocks:
    case Enc::Mxfp4Scales:
      bytes.resize(n * n0 / 32 * 17);
      if (!values->encoded(t, base + r0, n, bytes.data(), error))
        return false;
      storeMxfp4(enc, bytes.data(), n * n0 / 32, dst);
      return true;
    }
    return false;
  }

private:
  const TensorPlan &t;
  const uint64_t base;
  const Enc enc;
};

/// The weight_scale_inv of matrix `matrix` of an FP8-gridded tensor:
/// [ceil(ne1 / 128), ceil(ne0 / 128)].
class Fp8ScaleProducer : public Producer {
public:
  Fp8ScaleProducer(std::shared_ptr<ModelValues> values, const TensorPlan &t,
                   uint64_t matrix)
      : Producer(std::move(values), 4 * ceilDiv(t.ne[0], kFp8Block),
                 ceilDiv(t.ne[1], kFp8Block)),
        t(t), matrix(matrix) {}

  bool rows(uint64_t r0, uint64_t n, uint8_t *dst,
            std::string &error) override {
    for (uint64_t b = r0; b < r0 + n; ++b) {
      const Fp8BlockRow *band = values->fp8Band(
          t, matrix * t.ne[1] + b * kFp8Block, error, /*scalesOnly=*/true);
      if (!band)
        return false;
      std::memcpy(dst + (b - r0) * rowBytes, band->scales.data(), rowBytes);
    }
    return true;
  }

private:
  const TensorPlan &t;
  const uint64_t matrix;
};

/// GPT-OSS gate_up_proj_blocks/_scales: row 2i (of expert e) is gate row
/// e * I + i, row 2i + 1 the same row of up.
class RowInterleaveProducer : public Producer {
public:
  RowInterleaveProducer(std::shared_ptr<ModelValues> values,
                        const TensorPlan &gate, const TensorPlan &up, Enc enc)
      : Producer(std::move(values), encodedBytes(enc, gate.ne[0]),
                 2 * gate.ne[1] * gate.ne[2]),
        parts{&gate, &up}, enc(enc) {}

  bool rows(uint64_t r0, uint64_t n, uint8_t *dst,
            std::string &error) override {
    const uint64_t groups = parts[0]->ne[0] / 32;
    bytes.resize(groups * 17);
    for (uint64_t r = r0; r < r0 + n; ++r) {
      if (!values->encoded(*parts[r % 2], r / 2, 1, bytes.data(), error))
        return false;
      storeMxfp4(enc, bytes.data(), groups, dst + (r - r0) * rowBytes);
    }
    return true;
  }

private:
  const TensorPlan *parts[2];
  const Enc enc;
};

/// GPT-OSS gate_up_proj_bias [E, 2I]: element 2i of row e is gate bias
/// element (e, i), element 2i + 1 up's.
class ElementInterleaveProducer : public Producer {
public:
  ElementInterleaveProducer(std::shared_ptr<ModelValues> values,
                            const TensorPlan &gate, const TensorPlan &up,
                            Enc enc)
      : Producer(std::move(values), encodedBytes(enc, 2 * gate.ne[0]),
                 gate.ne[1]),
        parts{&gate, &up}, enc(enc) {}

  bool rows(uint64_t r0, uint64_t n, uint8_t *dst,
            std::string &error) override {
    const uint64_t I = parts[0]->ne[0];
    std::vector<float> part[2] = {std::vector<float>(n * I),
                                  std::vector<float>(n * I)};
    for (int p = 0; p < 2; ++p)
      if (!values->decoded(*parts[p], r0, n, part[p].data(), error))
        return false;
    floats.resize(2 * n * I);
    for (uint64_t k = 0; k < n * I; ++k)
      for (int p = 0; p < 2; ++p)
        floats[2 * k + p] = part[p][k];
    storeFloats(enc, floats.data(), floats.size(), dst);
    return true;
  }

private:
  const TensorPlan *parts[2];
  const Enc enc;
};

/// GPT-OSS's unquantized experts, which multiply from the right: from
/// sources of ne {A, B, E} (k = 1 or 2 of them), the checkpoint tensor
/// [E, A, k * B] with element (e, a, k * b + p) = source p's element
/// (e, b, a). gate_up_proj: gate and up {H, I, E}, k = 2; down_proj: down
/// {I, H, E}, k = 1. One expert's sources are cached.
class TransposeProducer : public Producer {
public:
  TransposeProducer(std::shared_ptr<ModelValues> values,
                    std::vector<const TensorPlan *> sources, Enc enc)
      : Producer(std::move(values),
                 encodedBytes(enc, sources.size() * sources[0]->ne[1]),
                 sources[0]->ne[2] * sources[0]->ne[0]),
        sources(std::move(sources)), enc(enc) {}

  bool rows(uint64_t r0, uint64_t n, uint8_t *dst,
            std::string &error) override {
    const uint64_t A = sources[0]->ne[0], B = sources[0]->ne[1],
                   k = sources.size();
    floats.resize(k * B);
    for (uint64_t r = r0; r < r0 + n; ++r) {
      const uint64_t e = r / A, a = r % A;
      if (!loadExpert(e, error))
        return false;
      for (uint64_t b = 0; b < B; ++b)
        for (uint64_t p = 0; p < k; ++p)
          floats[k * b + p] = cache[p][b * A + a];
      storeFloats(enc, floats.data(), k * B, dst + (r - r0) * rowBytes);
    }
    return true;
  }
  void releaseCaches() override {
    release(cache);
    cachedExpert = UINT64_MAX;
  }

private:
  bool loadExpert(uint64_t e, std::string &error) {
    if (e == cachedExpert)
      return true;
    const uint64_t A = sources[0]->ne[0], B = sources[0]->ne[1];
    cache.assign(sources.size(), std::vector<float>(A * B));
    for (size_t p = 0; p < sources.size(); ++p)
      if (!values->decoded(*sources[p], e * B, B, cache[p].data(), error))
        return false;
    cachedExpert = e;
    return true;
  }

  std::vector<const TensorPlan *> sources;
  const Enc enc;
  std::vector<std::vector<float>> cache;
  uint64_t cachedExpert = UINT64_MAX;
};

/// DeepSeek's kv_b_proj (values, FP8 codes, or with `scales` its
/// weight_scale_inv), from the layer's joint tensor.
class KvBProducer : public Producer {
public:
  KvBProducer(std::shared_ptr<ModelValues> values, const TensorPlan &key,
              const KvBLayout &l, Enc enc, bool scales)
      : Producer(std::move(values),
                 scales ? 4 * ceilDiv(l.kvl, kFp8Block)
                        : encodedBytes(enc, l.kvl),
                 scales ? ceilDiv(l.rows(), kFp8Block) : l.rows()),
        key(key), enc(enc), scales(scales) {}

  bool rows(uint64_t r0, uint64_t n, uint8_t *dst,
            std::string &error) override {
    const KvBJoint *j = values->kvb(key, error);
    if (!j)
      return false;
    if (scales) {
      std::memcpy(dst, j->scales.data() + r0 * (rowBytes / 4), n * rowBytes);
      return true;
    }
    const uint64_t kvl = j->layout.kvl;
    if (enc == Enc::Fp8Codes)
      std::memcpy(dst, j->codes.data() + r0 * kvl, n * kvl);
    else
      storeFloats(enc, j->values.data() + r0 * kvl, n * kvl, dst);
    return true;
  }

private:
  const TensorPlan &key;
  const Enc enc;
  const bool scales;
};

/// One checkpoint tensor to write.
struct HFTensor {
  std::string name;
  std::vector<uint64_t> shape;
  DType dtype;
  /// The GGUF tensors it is made of (what hf::ggufNamesFor must say).
  std::vector<std::string> ggufNames;
  std::shared_ptr<Producer> producer;
};

class CheckpointPlanner {
public:
  CheckpointPlanner(const ModelPlan &plan, const SynthOptions &opts,
                    hf::ModelType type, std::string &error)
      : plan(plan), opts(opts), type(type), error(error),
        values(std::make_shared<ModelValues>(plan, opts.seed)) {}

  bool run(std::vector<HFTensor> &out) {
    bool mxfp4 = false;
    for (const TensorPlan &t : plan.tensors)
      if (t.name.find("_exps.weight") != std::string::npos)
        mxfp4 = t.format == quant::Format::MXFP4;
    for (const TensorPlan &t : plan.tensors) {
      std::optional<HFCounterpart> c = hfCounterpart(type, t.name, mxfp4);
      if (!c)
        return fail("tensor '" + t.name + "' has no Hugging Face counterpart");
      const TensorPlan *partner = nullptr;
      if (!c->partner.empty() && !(partner = values->find(c->partner)))
        return fail("tensor '" + t.name + "' has no partner '" + c->partner +
                    "'");
      if (!c->second && !add(t, *c, partner, out))
        return false;
    }
    return true;
  }

private:
  bool fail(const std::string &problem) {
    error = problem;
    return false;
  }

  /// F32 or BF16 for a float tensor, if it holds its values exactly.
  bool floatEnc(const TensorPlan &t, bool nativeF32, Enc &enc) {
    if (nativeF32 || opts.hfDtype == "f32") {
      enc = Enc::F32;
      return true;
    }
    enc = Enc::BF16;
    if (t.format == quant::Format::BF16 ||
        (t.format == quant::Format::F32 && t.grid == ValueGrid::BF16))
      return true;
    return fail("tensor '" + t.name + "' holds " + quant::formatName(t.format) +
                " values, which --hf-dtype bf16 cannot store exactly (use "
                "--type bf16, or --hf-dtype f32)");
  }

  void emit(std::vector<HFTensor> &out, std::string name,
            std::vector<uint64_t> shape, DType dtype,
            std::vector<std::string> ggufNames,
            std::shared_ptr<Producer> producer) {
    out.push_back({std::move(name), std::move(shape), dtype,
                   std::move(ggufNames), std::move(producer)});
  }

  /// A row slice of `t` as `name`: float, or FP8 with its scale tensor.
  bool slice(std::vector<HFTensor> &out, const TensorPlan &t,
             const HFCounterpart &c, const std::string &name, uint64_t matrix,
             std::vector<uint64_t> shape) {
    const uint64_t rows = t.ne.size() > 1 ? t.ne[1] : 1;
    if (t.grid == ValueGrid::Fp8Blocks) {
      if (t.ne.size() < 2)
        return fail("FP8 tensor '" + t.name + "' is not a matrix");
      emit(out, name, shape, DType::F8_E4M3, {t.name},
           std::make_shared<SliceProducer>(values, t, matrix * rows, rows,
                                           Enc::Fp8Codes));
      emit(out, name + "_scale_inv",
           {ceilDiv(t.ne[1], kFp8Block), ceilDiv(t.ne[0], kFp8Block)},
           DType::F32, {t.name + "_scale_inv"},
           std::make_shared<Fp8ScaleProducer>(values, t, matrix));
      return true;
    }
    Enc enc;
    if (!floatEnc(t, c.nativeF32, enc))
      return false;
    uint64_t n = c.form == HFForm::Experts ? rows : 1;
    for (size_t i = 1; i < t.ne.size() && c.form != HFForm::Experts; ++i)
      n *= t.ne[i];
    emit(out, name, shape, dtypeOf(enc), {t.name},
         std::make_shared<SliceProducer>(values, t, matrix * rows, n, enc));
    return true;
  }

  bool mxfp4Pair(std::vector<HFTensor> &out, const std::string &stem,
                 std::vector<uint64_t> rowsShape, uint64_t rowElems,
                 std::vector<std::string> ggufNames,
                 const std::function<std::shared_ptr<Producer>(Enc)> &make) {
    std::vector<uint64_t> blocks = rowsShape, scales = rowsShape;
    blocks.push_back(rowElems / 32);
    blocks.push_back(16);
    scales.push_back(rowElems / 32);
    emit(out, stem + "_blocks", blocks, DType::U8, ggufNames,
         make(Enc::Mxfp4Blocks));
    emit(out, stem + "_scales", scales, DType::U8, ggufNames,
         make(Enc::Mxfp4Scales));
    return true;
  }

  bool requireMxfp4(const TensorPlan &t) {
    if (t.format == quant::Format::MXFP4 && t.ne.size() == 3)
      return true;
    return fail("tensor '" + t.name + "' must be MXFP4 experts like its pair");
  }

  bool add(const TensorPlan &t, const HFCounterpart &c, const TensorPlan *p,
           std::vector<HFTensor> &out) {
    const std::vector<uint64_t> &ne = t.ne;
    switch (c.form) {
    case HFForm::Same:
      return slice(out, t, c, c.hfName, 0,
                   std::vector<uint64_t>(ne.rbegin(), ne.rend()));
    case HFForm::Experts: {
      if (ne.size() != 3)
        return fail("expert tensor '" + t.name + "' is not 3-D");
      for (uint64_t e = 0; e < ne[2]; ++e) {
        std::string name = c.hfName;
        name.replace(name.find("{E}"), 3, std::to_string(e));
        if (!slice(out, t, c, name, e, {ne[1], ne[0]}))
          return false;
      }
      return true;
    }
    case HFForm::KvB: {
      KvBLayout l;
      if (!KvBLayout::fromShapes(t, *p, l))
        return fail("tensors '" + t.name + "' and '" + p->name +
                    "' are not the two halves of one kv_b_proj");
      std::vector<std::string> names = {t.name, p->name};
      if (t.grid == ValueGrid::Fp8KvB) {
        emit(out, c.hfName, {l.rows(), l.kvl}, DType::F8_E4M3, names,
             std::make_shared<KvBProducer>(values, t, l, Enc::Fp8Codes, false));
        emit(out, c.hfName + "_scale_inv",
             {ceilDiv(l.rows(), kFp8Block), ceilDiv(l.kvl, kFp8Block)},
             DType::F32, {t.name + "_scale_inv", p->name + "_scale_inv"},
             std::make_shared<KvBProducer>(values, t, l, Enc::F32, true));
        return true;
      }
      Enc enc, other;
      if (!floatEnc(t, false, enc) || !floatEnc(*p, false, other))
        return false;
      emit(out, c.hfName, {l.rows(), l.kvl}, dtypeOf(enc), names,
           std::make_shared<KvBProducer>(values, t, l, enc, false));
      return true;
    }
    case HFForm::GateUpBlocks:
      if (!requireMxfp4(t) || !requireMxfp4(*p))
        return false;
      if (p->ne != ne)
        return fail("tensors '" + t.name + "' and '" + p->name +
                    "' differ in shape");
      return mxfp4Pair(out, c.hfName, {ne[2], 2 * ne[1]}, ne[0],
                       {t.name, p->name}, [&](Enc enc) {
                         return std::make_shared<RowInterleaveProducer>(
                             values, t, *p, enc);
                       });
    case HFForm::DownBlocks:
      if (!requireMxfp4(t))
        return false;
      return mxfp4Pair(out, c.hfName, {ne[2], ne[1]}, ne[0], {t.name},
                       [&](Enc enc) {
                         return std::make_shared<SliceProducer>(
                             values, t, 0, ne[1] * ne[2], enc);
                       });
    case HFForm::GateUpBias: {
      if (ne.size() != 2 || p->ne != ne)
        return fail("biases '" + t.name + "' and '" + p->name +
                    "' are not both {I, E}");
      Enc enc, other;
      if (!floatEnc(t, false, enc) || !floatEnc(*p, false, other))
        return false;
      emit(out, c.hfName, {ne[1], 2 * ne[0]}, dtypeOf(enc), {t.name, p->name},
           std::make_shared<ElementInterleaveProducer>(values, t, *p, enc));
      return true;
    }
    case HFForm::GateUpDense:
    case HFForm::DownDense: {
      std::vector<const TensorPlan *> sources = {&t};
      if (c.form == HFForm::GateUpDense)
        sources.push_back(p);
      std::vector<std::string> names;
      Enc enc = Enc::F32;
      for (const TensorPlan *s : sources) {
        if (s->ne.size() != 3 || s->ne != ne)
          return fail("experts '" + s->name + "' are not 3-D like '" + t.name +
                      "'");
        if (!floatEnc(*s, false, enc))
          return false;
        names.push_back(s->name);
      }
      emit(out, c.hfName, {ne[2], ne[0], sources.size() * ne[1]}, dtypeOf(enc),
           names, std::make_shared<TransposeProducer>(values, sources, enc));
      return true;
    }
    }
    return fail("internal: unknown layout form");
  }

  const ModelPlan &plan;
  const SynthOptions &opts;
  const hf::ModelType type;
  std::string &error;
  std::shared_ptr<ModelValues> values;
};

/// The GGUF names frontends/hf's mapping gives `t` must be the ones it is
/// made of: the writer and the reader agree on every name.
bool checkAgainstMapping(hf::ModelType type, const HFTensor &t,
                         std::string &error) {
  std::vector<std::string> mapped = hf::ggufNamesFor(type, t.name),
                           made = t.ggufNames;
  std::sort(mapped.begin(), mapped.end());
  std::sort(made.begin(), made.end());
  if (mapped == made)
    return true;
  auto list = [](const std::vector<std::string> &v) {
    std::string s;
    for (const std::string &n : v)
      s += (s.empty() ? "" : ", ") + n;
    return s.empty() ? std::string("nothing") : s;
  };
  error = "internal: checkpoint tensor '" + t.name + "' is made of " +
          list(made) + ", but frontends/hf maps it to " + list(mapped);
  return false;
}

} // namespace

namespace {
/// Plans every checkpoint tensor of `plan` and checks its name.
bool planTensors(const ModelPlan &plan, const SynthOptions &opts,
                 std::vector<HFTensor> &tensors, std::string &error) {
  std::optional<hf::ModelType> type = hfModelType(opts.arch);
  if (!type) {
    error = "unknown --arch '" + opts.arch + "'";
    return false;
  }
  CheckpointPlanner planner(plan, opts, *type, error);
  if (!planner.run(tensors))
    return false;
  for (const HFTensor &t : tensors)
    if (!checkAgainstMapping(*type, t, error))
      return false;
  return true;
}
} // namespace

bool lmc::synth::checkHFWeights(const ModelPlan &plan, const SynthOptions &opts,
                                std::string &error) {
  std::vector<HFTensor> tensors;
  return planTensors(plan, opts, tensors, error);
}

bool lmc::synth::writeHFWeights(const ModelPlan &plan, const SynthOptions &opts,
                                const std::string &dir, std::string &error,
                                uint64_t chunkBytes) {
  std::vector<HFTensor> tensors;
  if (!planTensors(plan, opts, tensors, error))
    return false;
  hf::SafeTensorsWriter w;
  w.setChunkBytes(chunkBytes);
  // transformers refuses safetensors without the "format" metadata.
  w.setMetadata("format", "pt");
  for (const HFTensor &t : tensors) {
    std::shared_ptr<Producer> p = t.producer;
    auto fill = [p](uint64_t offset, uint8_t *dst, uint64_t count,
                    std::string &err) {
      return p->fill(offset, dst, count, err);
    };
    if (!w.addTensor(t.name, t.dtype, t.shape, fill, error))
      return false;
  }
  const uint64_t shardBytes = opts.hfShardMb << 20;
  if (shardBytes && w.totalTensorBytes() > shardBytes)
    return w.writeSharded(dir, shardBytes, error);
  return w.write(dir + "/model.safetensors", error);
}
