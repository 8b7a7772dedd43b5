//===- WeightLayout.cpp - One lmc weight as a view of HF tensors ----------===//
//
// The reference materializer: obviously-correct index arithmetic, with
// contiguous runs copied at once where no transpose is involved. Faster
// converters (or kernels reading the views directly) are tested against it.
//
//===----------------------------------------------------------------------===//

#include "frontends/hf/WeightLayout.h"

#include "frontends/hf/Checkpoint.h"
#include "frontends/hf/Diagnostics.h"

#include <algorithm>
#include <cstring>

using namespace lmc;
using namespace lmc::hf;

const char *lmc::hf::encodingName(Encoding e) {
  switch (e) {
  case Encoding::Copy:
    return "copy";
  case Encoding::WidenToF32:
    return "widen to F32";
  case Encoding::DequantizeFp8:
    return "dequantize FP8 blocks to F32";
  case Encoding::RepackMxfp4:
    return "repack MXFP4 to ggml blocks";
  }
  return "?";
}

uint64_t MappedWeight::numElements() const {
  uint64_t n = 1;
  for (uint64_t d : ne)
    n *= d;
  return n;
}

uint64_t MappedWeight::numRows() const {
  uint64_t n = 1;
  for (size_t i = 1; i < ne.size(); ++i)
    n *= ne[i];
  return n;
}

uint64_t MappedWeight::rowBytes() const {
  return ne.empty() ? 0 : uint64_t(quant::rowBytes(format, int64_t(ne[0])));
}

bool MappedWeight::isZeroCopy() const {
  return sources.size() == 1 && !select && !transpose &&
         encoding == Encoding::Copy;
}

std::string MappedWeight::describe() const {
  std::string s =
      name + " " + shapeString(ne) + " " + quant::formatName(format) + " <- ";
  if (select)
    s += "rows " + num(select->first) + ".." +
         num(select->first + select->count - 1) + " of every " +
         num(select->period) + " (of " + num(select->rowElems) +
         " elements) of ";
  if (sources.size() == 1)
    s += sources[0].tensor;
  else if (!sources.empty())
    s += num(sources.size()) + " stacked tensors " + sources.front().tensor +
         " .. " + sources.back().tensor;
  if (transpose)
    s += ", each " + num(transpose->rows) + " x " + num(transpose->cols) +
         " block transposed";
  if (encoding != Encoding::Copy)
    s += std::string(", ") + encodingName(encoding);
  if (!scaleName.empty())
    s += ", block scales in " + scaleName;
  return s;
}

void lmc::hf::repackMxfp4Block(const uint8_t hfBlock[16], uint8_t scale,
                               uint8_t ggmlBlock[17]) {
  // Element k of the block sits in HF byte k / 2, low nibble for even k.
  auto element = [&](unsigned k) -> uint8_t {
    uint8_t b = hfBlock[k / 2];
    return k % 2 ? b >> 4 : b & 0x0F;
  };
  ggmlBlock[0] = scale;
  for (unsigned j = 0; j < 16; ++j)
    ggmlBlock[1 + j] = uint8_t(element(j) | (element(j + 16) << 4));
}

namespace {

/// A source tensor as the materializer sees it.
struct Resolved {
  const TensorInfo *info = nullptr;
  const uint8_t *data = nullptr;
  const uint8_t *scales = nullptr;
  const TensorInfo *scaleInfo = nullptr;
  /// Logical elements, and where they start in S.
  uint64_t elems = 0;
  uint64_t begin = 0;
  /// 2-D view for FP8 block scales.
  uint64_t rows = 0, cols = 0;
  /// MXFP4: blocks per logical row.
  uint64_t groups = 0;
};

class Materializer {
public:
  Materializer(const MappedWeight &w, std::string &error)
      : w(w), error(error) {}

  bool fail(const std::string &problem) {
    error = w.name + ": " + problem;
    return false;
  }

  bool resolve(const Checkpoint &ckpt) {
    if (w.ne.empty() || w.sources.empty())
      return fail("no shape or no sources");
    if (w.rowBytes() == 0)
      return fail("row of " + num(w.ne[0]) + " elements is not whole " +
                  quant::formatName(w.format) + " blocks");
    uint64_t begin = 0;
    for (const WeightSource &src : w.sources) {
      const CheckpointTensor *t = ckpt.find(src.tensor);
      if (!t)
        return fail("source tensor " + quoteName(src.tensor) +
                    " is not in the checkpoint");
      Resolved r;
      r.info = t->info;
      r.data = t->data();
      if (!src.scales.empty()) {
        const CheckpointTensor *s = ckpt.find(src.scales);
        if (!s)
          return fail("scale tensor " + quoteName(src.scales) +
                      " is not in the checkpoint");
        r.scaleInfo = s->info;
        r.scales = s->data();
      }
      if (!checkSource(src, r))
        return false;
      r.begin = begin;
      begin += r.elems;
      res.push_back(r);
    }
    total = begin;
    return checkGeometry();
  }

  bool rows(uint64_t rowBegin, uint64_t rowCount, uint8_t *dst) {
    if (rowBegin > w.numRows() || rowCount > w.numRows() - rowBegin)
      return fail("rows [" + num(rowBegin) + ", " + num(rowBegin + rowCount) +
                  ") outside the weight's " + num(w.numRows()));
    const uint64_t n0 = w.ne[0], rb = w.rowBytes();
    for (uint64_t j = 0; j < rowCount; ++j) {
      uint8_t *out = dst + j * rb;
      uint64_t row = rowBegin + j;
      if (w.encoding == Encoding::RepackMxfp4)
        repackRow(row, out);
      else if (w.transpose)
        for (uint64_t k = 0; k < n0; ++k)
          elements(sourceOf(selectedOf(row * n0 + k)), 1, out, k);
      else
        for (uint64_t k = 0; k < n0;) {
          uint64_t t = row * n0 + k;
          uint64_t src = sourceOf(t);
          uint64_t run = n0 - k;
          if (w.select)
            run = std::min(run, w.select->rowElems - t % w.select->rowElems);
          const Resolved &r = owner(src);
          run = std::min(run, r.begin + r.elems - src);
          elements(src, run, out, k);
          k += run;
        }
    }
    return true;
  }

private:
  uint64_t elemBytes(const Resolved &r) const {
    return dtypeBits(r.info->dtype) / 8;
  }

  bool checkSource(const WeightSource &src, Resolved &r) {
    const TensorInfo &t = *r.info;
    std::string what = "source " + quoteName(src.tensor);
    std::optional<quant::Format> f = quantFormatOf(t.dtype);
    switch (w.encoding) {
    case Encoding::Copy:
      if (!f || *f != w.format)
        return fail(what + " is " + dtypeName(t.dtype) +
                    ", but the weight is " + quant::formatName(w.format) +
                    " copied as stored");
      r.elems = t.numElements();
      return true;
    case Encoding::WidenToF32:
      if (w.format != quant::Format::F32 ||
          !(t.dtype == DType::F32 || t.dtype == DType::F16 ||
            t.dtype == DType::BF16))
        return fail(what + " is " + dtypeName(t.dtype) +
                    ", which cannot be widened to " +
                    quant::formatName(w.format));
      r.elems = t.numElements();
      return true;
    case Encoding::DequantizeFp8: {
      if (w.format != quant::Format::F32 || t.dtype != DType::F8_E4M3)
        return fail(what + " is " + dtypeName(t.dtype) +
                    ", expected F8_E4M3 dequantized to F32");
      if (t.shape.size() != 2 || !r.scaleInfo)
        return fail(what + " must be a 2-D F8_E4M3 matrix with a scale tensor");
      if (w.fp8BlockRows == 0 || w.fp8BlockCols == 0)
        return fail("no FP8 block size");
      r.rows = t.shape[0];
      r.cols = t.shape[1];
      std::vector<uint64_t> want = {
          (r.rows + w.fp8BlockRows - 1) / w.fp8BlockRows,
          (r.cols + w.fp8BlockCols - 1) / w.fp8BlockCols};
      const TensorInfo &s = *r.scaleInfo;
      if (s.shape != want || !(s.dtype == DType::F32 || s.dtype == DType::BF16))
        return fail("scale tensor " + quoteName(src.scales) + " is " +
                    dtypeName(s.dtype) + " " + s.shapeString() +
                    ", expected F32 " + shapeString(want));
      r.elems = t.numElements();
      return true;
    }
    case Encoding::RepackMxfp4: {
      if (w.format != quant::Format::MXFP4 || t.dtype != DType::U8 ||
          t.shape.size() < 2 || t.shape.back() != 16)
        return fail(what + " is " + dtypeName(t.dtype) + " " + t.shapeString() +
                    ", expected U8 MXFP4 blocks [..., G, 16]");
      std::vector<uint64_t> want(t.shape.begin(), t.shape.end() - 1);
      if (!r.scaleInfo || r.scaleInfo->dtype != DType::U8 ||
          r.scaleInfo->shape != want)
        return fail("scale tensor " + quoteName(src.scales) + " must be U8 " +
                    shapeString(want));
      r.groups = t.shape[t.shape.size() - 2];
      r.elems = t.numElements() * 2;
      if (r.groups * 32 != w.ne[0])
        return fail(what + " has rows of " + num(r.groups * 32) +
                    " elements, but the weight's rows have " + num(w.ne[0]));
      return true;
    }
    }
    return fail("unknown encoding");
  }

  bool checkGeometry() {
    uint64_t n = w.numElements();
    if (w.encoding == Encoding::RepackMxfp4 && w.transpose)
      return fail("MXFP4 blocks cannot be transposed");
    if (w.select) {
      const RowSelection &s = *w.select;
      if (s.rowElems == 0 || s.period == 0 || s.count == 0 ||
          s.first + s.count > s.period)
        return fail("invalid row selection");
      for (const Resolved &r : res)
        if (r.elems % s.rowElems)
          return fail("source " + quoteName(r.info->name) +
                      " is not whole rows of " + num(s.rowElems));
      uint64_t rows = total / s.rowElems;
      if (rows % s.period || rows / s.period * s.count * s.rowElems != n)
        return fail("selecting rows " + num(s.first) + ".." +
                    num(s.first + s.count - 1) + " of every " + num(s.period) +
                    " from " + num(rows) + " rows of " + num(s.rowElems) +
                    " gives not the weight's " + num(n) + " elements");
      if (w.encoding == Encoding::RepackMxfp4 && s.rowElems != w.ne[0])
        return fail("MXFP4 rows can only be selected whole");
    } else if (total != n) {
      return fail("sources hold " + num(total) + " elements, the weight " +
                  shapeString(w.ne) + " needs " + num(n));
    }
    if (w.transpose) {
      const BlockTranspose &t = *w.transpose;
      if (t.rows == 0 || t.cols == 0 || n % (t.rows * t.cols))
        return fail("transpose blocks of " + num(t.rows) + " x " + num(t.cols) +
                    " do not tile " + num(n) + " elements");
    }
    return true;
  }

  /// O index -> S' index.
  uint64_t selectedOf(uint64_t u) const {
    if (!w.transpose)
      return u;
    uint64_t a = w.transpose->rows, b = w.transpose->cols;
    uint64_t block = u / (a * b), rem = u % (a * b);
    uint64_t i = rem / a, j = rem % a; // O[i][j] of the cols x rows block
    return block * a * b + j * b + i;
  }
  /// S' index -> S index.
  uint64_t sourceOf(uint64_t t) const {
    if (!w.select)
      return t;
    const RowSelection &s = *w.select;
    uint64_t row = t / s.rowElems, off = t % s.rowElems;
    uint64_t group = row / s.count, k = row % s.count;
    return (group * s.period + s.first + k) * s.rowElems + off;
  }
  const Resolved &owner(uint64_t src) const {
    auto it = std::upper_bound(
        res.begin(), res.end(), src,
        [](uint64_t v, const Resolved &r) { return v < r.begin; });
    return *(it - 1);
  }

  /// Writes `count` elements starting at S index `src` (within one source)
  /// to output element `k` onwards of the row at `out`.
  void elements(uint64_t src, uint64_t count, uint8_t *out, uint64_t k) {
    const Resolved &r = owner(src);
    uint64_t local = src - r.begin;
    switch (w.encoding) {
    case Encoding::Copy: {
      uint64_t eb = elemBytes(r);
      std::memcpy(out + k * eb, r.data + local * eb, count * eb);
      return;
    }
    case Encoding::WidenToF32: {
      // Through a scratch buffer: `out` need not be float-aligned.
      uint64_t eb = elemBytes(r);
      scratch.resize(count);
      quant::dequantizeRow(*quantFormatOf(r.info->dtype), r.data + local * eb,
                           scratch.data(), int64_t(count));
      std::memcpy(out + k * 4, scratch.data(), count * sizeof(float));
      return;
    }
    case Encoding::DequantizeFp8: {
      for (uint64_t i = 0; i < count; ++i) {
        uint64_t e = local + i, row = e / r.cols, col = e % r.cols;
        uint64_t scaleCols = (r.cols + w.fp8BlockCols - 1) / w.fp8BlockCols;
        uint64_t si = (row / w.fp8BlockRows) * scaleCols + col / w.fp8BlockCols;
        float scale;
        if (r.scaleInfo->dtype == DType::F32)
          std::memcpy(&scale, r.scales + si * 4, 4);
        else
          quant::dequantizeRow(quant::Format::BF16, r.scales + si * 2, &scale,
                               1);
        float v = quant::e4m3fnToF32(r.data[e]) * scale;
        std::memcpy(out + (k + i) * 4, &v, 4);
      }
      return;
    }
    case Encoding::RepackMxfp4:
      return; // whole rows only, see repackRow
    }
  }

  void repackRow(uint64_t row, uint8_t *out) {
    const uint64_t n0 = w.ne[0];
    uint64_t src = sourceOf(row * n0); // S index of the row's first element
    const Resolved &r = owner(src);
    uint64_t srcRow = (src - r.begin) / n0;
    const uint8_t *blocks = r.data + srcRow * r.groups * 16;
    const uint8_t *scales = r.scales + srcRow * r.groups;
    for (uint64_t g = 0; g < r.groups; ++g)
      repackMxfp4Block(blocks + g * 16, scales[g], out + g * 17);
  }

  const MappedWeight &w;
  std::string &error;
  std::vector<Resolved> res;
  std::vector<float> scratch;
  uint64_t total = 0;
};

} // namespace

bool lmc::hf::materializeRows(const MappedWeight &w, const Checkpoint &ckpt,
                              uint64_t rowBegin, uint64_t rowCount,
                              uint8_t *dst, std::string &error) {
  Materializer m(w, error);
  return m.resolve(ckpt) && m.rows(rowBegin, rowCount, dst);
}

bool lmc::hf::materialize(const MappedWeight &w, const Checkpoint &ckpt,
                          std::vector<uint8_t> &out, std::string &error) {
  Materializer m(w, error);
  if (!m.resolve(ckpt))
    return false;
  out.assign(w.nbytes(), 0);
  return m.rows(0, w.numRows(), out.data());
}
