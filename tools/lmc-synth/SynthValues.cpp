//===- SynthValues.cpp - a planned model's values, row by row -------------===//

#include "tools/lmc-synth/SynthValues.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace lmc;
using namespace lmc::synth;

namespace {
/// One value of a tensor's stream: exactly one draw of the engine, which
/// Rng::discard relies on to skip rows.
float drawValue(const Init &init, Rng &rng) {
  double v;
  if (init.kind == Init::Normal) {
    v = init.a + init.b * rng.normal();
  } else {
    double u = rng.uniform();
    bool negative = false;
    if (init.kind == Init::SignedUniform) {
      // The top half of the unit interval picks the sign; rescale the rest
      // back to a full uniform.
      negative = u >= 0.5;
      u = negative ? 2.0 * u - 1.0 : 2.0 * u;
    }
    v = init.a + (init.b - init.a) * u;
    if (negative)
      v = -v;
  }
  return float(v);
}

uint64_t rowsOf(const TensorPlan &t) {
  uint64_t rows = 1;
  for (size_t i = 1; i < t.ne.size(); ++i)
    rows *= t.ne[i];
  return rows;
}

bool rangeError(const TensorPlan &t, uint64_t row0, uint64_t n,
                std::string &error) {
  error = "tensor '" + t.name + "': rows [" + std::to_string(row0) + ", " +
          std::to_string(row0 + n) + ") outside its " +
          std::to_string(rowsOf(t));
  return false;
}
} // namespace

void lmc::synth::fp8BandScales(const float *x, uint64_t rows, uint64_t cols,
                               float *scales) {
  for (uint64_t c0 = 0, b = 0; c0 < cols; c0 += kFp8Block, ++b) {
    const uint64_t c1 = std::min(cols, c0 + kFp8Block);
    float amax = 0.0f;
    for (uint64_t r = 0; r < rows; ++r)
      for (uint64_t c = c0; c < c1; ++c)
        amax = std::max(amax, std::fabs(x[r * cols + c]));
    // The largest magnitude maps to E4M3's largest finite value.
    scales[b] = amax > 0.0f ? amax / 448.0f : 1.0f;
  }
}

void lmc::synth::quantizeFp8Band(const float *x, uint64_t rows, uint64_t cols,
                                 uint8_t *codes, float *values, float *scales) {
  // E4M3 values by code (quant::e4m3fnToF32 once per code, not per element).
  static const std::vector<float> kValue = [] {
    std::vector<float> v(256);
    for (unsigned c = 0; c < 256; ++c)
      v[c] = quant::e4m3fnToF32(uint8_t(c));
    return v;
  }();
  fp8BandScales(x, rows, cols, scales);
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c = 0; c < cols; ++c) {
      const uint64_t i = r * cols + c;
      const float scale = scales[c / kFp8Block];
      codes[i] = quant::quantizeE4M3(x[i] / scale);
      values[i] = kValue[codes[i]] * scale;
    }
}

struct ModelValues::Stream {
  explicit Stream(uint64_t seed) : rng(seed) {}
  Rng rng;
  uint64_t nextRow = 0;
};

ModelValues::ModelValues(const ModelPlan &plan, uint64_t seed)
    : plan(plan), seed(seed) {
  for (size_t i = 0; i < plan.tensors.size(); ++i)
    index[plan.tensors[i].name] = i;
}

ModelValues::~ModelValues() = default;

const TensorPlan *ModelValues::find(const std::string &name) const {
  auto it = index.find(name);
  return it == index.end() ? nullptr : &plan.tensors[it->second];
}

ModelValues::Stream &ModelValues::stream(const TensorPlan &t) {
  std::unique_ptr<Stream> &s = streams[t.name];
  if (!s)
    s = std::make_unique<Stream>(tensorSeed(seed, t.name));
  return *s;
}

bool ModelValues::raw(const TensorPlan &t, uint64_t row0, uint64_t n,
                      float *out, std::string &error) {
  if (row0 > rowsOf(t) || n > rowsOf(t) - row0)
    return rangeError(t, row0, n, error);
  const uint64_t n0 = t.ne[0];
  Stream *s = &stream(t);
  if (row0 < s->nextRow) {
    streams.erase(t.name);
    s = &stream(t);
  }
  s->rng.discard((row0 - s->nextRow) * n0);
  for (uint64_t i = 0; i < n * n0; ++i)
    out[i] = drawValue(t.init, s->rng);
  s->nextRow = row0 + n;
  return true;
}

bool ModelValues::encoded(const TensorPlan &t, uint64_t row0, uint64_t n,
                          uint8_t *out, std::string &error) {
  if (t.format == quant::Format::F32)
    return decoded(t, row0, n, reinterpret_cast<float *>(out), error);
  const int64_t n0 = int64_t(t.ne[0]);
  const uint64_t rb = uint64_t(quant::rowBytes(t.format, n0));
  std::vector<float> row(static_cast<size_t>(n0));
  for (uint64_t r = 0; r < n; ++r) {
    if (!raw(t, row0 + r, 1, row.data(), error))
      return false;
    if (!quant::quantizeRow(t.format, row.data(), out + r * rb, n0)) {
      error = "tensor '" + t.name + "': cannot encode a row as " +
              quant::formatName(t.format);
      return false;
    }
  }
  return true;
}

bool ModelValues::decoded(const TensorPlan &t, uint64_t row0, uint64_t n,
                          float *out, std::string &error) {
  const uint64_t n0 = t.ne[0];
  switch (t.grid) {
  case ValueGrid::None:
    if (t.format == quant::Format::F32)
      return raw(t, row0, n, out, error);
    break;
  case ValueGrid::BF16:
    if (!raw(t, row0, n, out, error))
      return false;
    for (uint64_t i = 0; i < n * n0; ++i)
      out[i] = quant::bf16ToF32(quant::f32ToBf16(out[i]));
    return true;
  case ValueGrid::Fp8Blocks:
    for (uint64_t r = row0; r < row0 + n;) {
      const Fp8BlockRow *b = fp8Band(t, r, error);
      if (!b)
        return false;
      uint64_t k = std::min(row0 + n, b->firstRow + b->numRows) - r;
      std::memcpy(out + (r - row0) * n0,
                  b->values.data() + (r - b->firstRow) * n0,
                  k * n0 * sizeof(float));
      r += k;
    }
    return true;
  case ValueGrid::Fp8KvB: {
    if (row0 > rowsOf(t) || n > rowsOf(t) - row0)
      return rangeError(t, row0, n, error);
    const KvBJoint *j = kvb(t, error);
    if (!j)
      return false;
    const bool key = t.name == j->keyName;
    for (uint64_t i = 0; i < n * n0; ++i) {
      uint64_t e = row0 * n0 + i;
      out[i] = j->values[key ? j->layout.ofKey(e) : j->layout.ofValue(e)];
    }
    return true;
  }
  }
  // A quantized format: its own round trip, row by row.
  const uint64_t rb = uint64_t(quant::rowBytes(t.format, int64_t(n0)));
  std::vector<uint8_t> bytes(rb);
  for (uint64_t r = 0; r < n; ++r)
    if (!encoded(t, row0 + r, 1, bytes.data(), error) ||
        !quant::dequantizeRow(t.format, bytes.data(), out + r * n0,
                              int64_t(n0))) {
      if (error.empty())
        error = "tensor '" + t.name + "': cannot decode " +
                quant::formatName(t.format);
      return false;
    }
  return true;
}

const Fp8BlockRow *ModelValues::fp8Band(const TensorPlan &t, uint64_t row,
                                        std::string &error, bool scalesOnly) {
  if (t.grid != ValueGrid::Fp8Blocks) {
    error = "tensor '" + t.name + "' is not on the FP8 block grid";
    return nullptr;
  }
  if (row >= rowsOf(t)) {
    rangeError(t, row, 1, error);
    return nullptr;
  }
  const uint64_t matrixRows = t.ne.size() > 1 ? t.ne[1] : 1, cols = t.ne[0];
  const uint64_t first = row - row % matrixRows % kFp8Block;
  if (bandName == t.name && band.firstRow == first &&
      (band.hasCodes || scalesOnly))
    return &band;
  band.firstRow = first;
  band.numRows = std::min(kFp8Block, matrixRows - first % matrixRows);
  band.cols = cols;
  band.hasCodes = !scalesOnly;
  std::vector<float> x(band.numRows * cols);
  bandName.clear();
  if (!raw(t, first, band.numRows, x.data(), error))
    return nullptr;
  band.scales.resize((cols + kFp8Block - 1) / kFp8Block);
  if (scalesOnly) {
    fp8BandScales(x.data(), band.numRows, cols, band.scales.data());
  } else {
    band.codes.resize(x.size());
    band.values.resize(x.size());
    quantizeFp8Band(x.data(), band.numRows, cols, band.codes.data(),
                    band.values.data(), band.scales.data());
  }
  bandName = t.name;
  return &band;
}

bool ModelValues::fp8Codes(const TensorPlan &t, uint64_t row0, uint64_t n,
                           uint8_t *out, std::string &error) {
  const uint64_t n0 = t.ne[0];
  for (uint64_t r = row0; r < row0 + n;) {
    const Fp8BlockRow *b = fp8Band(t, r, error);
    if (!b)
      return false;
    uint64_t k = std::min(row0 + n, b->firstRow + b->numRows) - r;
    std::memcpy(out + (r - row0) * n0, b->codes.data() + (r - b->firstRow) * n0,
                k * n0);
    r += k;
  }
  return true;
}

const KvBJoint *ModelValues::kvb(const TensorPlan &t, std::string &error) {
  const std::string partner = kvbPartner(t.name);
  const bool isKey = t.name.find("attn_k_b") != std::string::npos;
  const TensorPlan *k = isKey ? &t : find(partner);
  const TensorPlan *v = isKey ? find(partner) : &t;
  if (partner.empty() || !k || !v) {
    error = "tensor '" + t.name + "' has no attn_k_b/attn_v_b partner";
    return nullptr;
  }
  if (joint && joint->keyName == k->name)
    return joint.get();
  auto j = std::make_unique<KvBJoint>();
  j->keyName = k->name;
  if (!KvBLayout::fromShapes(*k, *v, j->layout)) {
    error = "tensors '" + k->name + "' and '" + v->name +
            "' are not the two halves of one kv_b_proj";
    return nullptr;
  }
  const KvBLayout &l = j->layout;
  // On the FP8 grid the joint tensor is quantized from the raw values;
  // otherwise it is assembled from each half's own values.
  const bool fp8 = k->grid == ValueGrid::Fp8KvB;
  if (fp8 != (v->grid == ValueGrid::Fp8KvB)) {
    error = "tensors '" + k->name + "' and '" + v->name +
            "' are on different value grids";
    return nullptr;
  }
  std::vector<float> kv(l.heads * l.kvl * l.nope), vv(l.heads * l.v * l.kvl);
  bool ok = fp8 ? raw(*k, 0, rowsOf(*k), kv.data(), error) &&
                      raw(*v, 0, rowsOf(*v), vv.data(), error)
                : decoded(*k, 0, rowsOf(*k), kv.data(), error) &&
                      decoded(*v, 0, rowsOf(*v), vv.data(), error);
  if (!ok)
    return nullptr;
  std::vector<float> x(l.elements());
  for (uint64_t e = 0; e < kv.size(); ++e)
    x[l.ofKey(e)] = kv[e];
  for (uint64_t e = 0; e < vv.size(); ++e)
    x[l.ofValue(e)] = vv[e];
  if (!fp8) {
    j->values = std::move(x);
  } else {
    const uint64_t scaleCols = (l.kvl + kFp8Block - 1) / kFp8Block;
    const uint64_t bands = (l.rows() + kFp8Block - 1) / kFp8Block;
    j->values.resize(x.size());
    j->codes.resize(x.size());
    j->scales.resize(bands * scaleCols);
    for (uint64_t b = 0; b < bands; ++b) {
      uint64_t r0 = b * kFp8Block, rows = std::min(kFp8Block, l.rows() - r0);
      quantizeFp8Band(
          x.data() + r0 * l.kvl, rows, l.kvl, j->codes.data() + r0 * l.kvl,
          j->values.data() + r0 * l.kvl, j->scales.data() + b * scaleCols);
    }
  }
  joint = std::move(j);
  return joint.get();
}
