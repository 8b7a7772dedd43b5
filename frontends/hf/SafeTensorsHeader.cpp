//===- SafeTensorsHeader.cpp - Parse a safetensors JSON header ------------===//

#include "frontends/hf/SafeTensorsHeader.h"

#include "frontends/hf/Diagnostics.h"

#include <nlohmann/json.hpp>

#include <set>

using namespace lmc::hf;

namespace {
using json = nlohmann::json;

constexpr const char *kMetadataKey = "__metadata__";

/// A state machine over SAX events. Every event handler returns false (which
/// stops the parser) after recording the first problem.
class HeaderHandler : public nlohmann::json_sax<json> {
public:
  explicit HeaderHandler(ParsedHeader &out) : out(out) {}

  bool finished() const { return where == Where::Done; }
  std::string problem;

  bool null() override { return scalar("null"); }
  bool boolean(bool) override { return scalar("a boolean"); }
  bool number_integer(number_integer_t) override {
    return scalar("a negative integer");
  }
  bool number_unsigned(number_unsigned_t v) override {
    switch (where) {
    case Where::Shape:
      if (current.shape.size() == kMaxTensorRank)
        return fail(tensorWhat() + " has more than " + num(kMaxTensorRank) +
                    " dimensions");
      current.shape.push_back(v);
      return true;
    case Where::Offsets:
      if (offsetCount == 2)
        return fail(tensorWhat() +
                    ": data_offsets must be [begin, end] (more than two "
                    "values)");
      (offsetCount++ == 0 ? current.begin : current.end) = v;
      return true;
    default:
      return scalar("an integer");
    }
  }
  bool number_float(number_float_t, const string_t &) override {
    return scalar("a non-integer number (or an integer too large for 64 "
                  "bits)");
  }
  bool string(string_t &s) override {
    switch (where) {
    case Where::Metadata:
      out.metadata.emplace_back(std::move(metadataKey), std::move(s));
      return true;
    case Where::Tensor:
      if (field == Field::DType) {
        current.dtype = std::move(s);
        return true;
      }
      return scalar("a string");
    default:
      return scalar("a string");
    }
  }
  bool binary(binary_t &) override { return scalar("binary data"); }

  bool start_object(std::size_t) override { return open(/*isObject=*/true); }
  bool start_array(std::size_t) override { return open(/*isObject=*/false); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t &k) override {
    switch (where) {
    case Where::Top:
      if (!topKeys.insert(k).second)
        return fail("duplicate " + (k == kMetadataKey
                                        ? std::string("'__metadata__'")
                                        : "tensor name " + quoteName(k)));
      topKey = std::move(k);
      return true;
    case Where::Metadata:
      if (!metadataKeys.insert(k).second)
        return fail("duplicate '__metadata__' key " + quoteName(k));
      metadataKey = std::move(k);
      return true;
    case Where::Tensor: {
      field = k == "dtype"          ? Field::DType
              : k == "shape"        ? Field::Shape
              : k == "data_offsets" ? Field::Offsets
                                    : Field::Unknown;
      if (field != Field::Unknown && !seenFields.insert(k).second)
        return fail(tensorWhat() + " has a duplicate field " + quoteName(k));
      return true;
    }
    default:
      return true; // keys inside skipped values
    }
  }

  bool parse_error(std::size_t position, const std::string &,
                   const nlohmann::detail::exception &ex) override {
    std::string msg = ex.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
    if (size_t p = msg.find("] "); p != std::string::npos && msg[0] == '[')
      msg = msg.substr(p + 2);
    return fail("header is not valid JSON (byte " + num(position) +
                "): " + sanitized(msg));
  }

private:
  enum class Where { Start, Top, Metadata, Tensor, Shape, Offsets, Skip, Done };
  enum class Field { DType, Shape, Offsets, Unknown };

  bool fail(std::string msg) {
    if (problem.empty())
      problem = std::move(msg);
    return false;
  }
  std::string tensorWhat() const { return "tensor " + quoteName(current.name); }

  /// A scalar value (described by `what`) where one is not expected.
  bool scalar(const char *what) {
    switch (where) {
    case Where::Start:
      return fail("header is not a JSON object");
    case Where::Top:
      return topKey == kMetadataKey
                 ? fail("'__metadata__' is " + std::string(what) +
                        ", not an object")
                 : fail("tensor " + quoteName(topKey) + ": entry is " + what +
                        ", not an object");
    case Where::Metadata:
      return fail("'__metadata__' value of " + quoteName(metadataKey) + " is " +
                  what + ", not a string");
    case Where::Tensor:
      switch (field) {
      case Field::DType:
        return fail(tensorWhat() + ": dtype is " + what + ", not a string");
      case Field::Shape:
        return fail(tensorWhat() + ": shape is " + what + ", not an array");
      case Field::Offsets:
        return fail(tensorWhat() + ": data_offsets is " + what +
                    ", not an array");
      case Field::Unknown:
        return true;
      }
      return true;
    case Where::Shape:
      return fail(tensorWhat() + ": shape element " +
                  num(current.shape.size()) + " is " + what +
                  ", not a non-negative integer");
    case Where::Offsets:
      return fail(tensorWhat() + ": data_offsets element " + num(offsetCount) +
                  " is " + what + ", not a non-negative integer");
    case Where::Skip:
      return true;
    case Where::Done:
      return fail("unexpected value after the header object");
    }
    return true;
  }

  bool open(bool isObject) {
    if (++depth > kMaxHeaderNesting)
      return fail("header nests JSON values more than " +
                  num(kMaxHeaderNesting) + " levels deep");
    const char *what = isObject ? "an object" : "an array";
    switch (where) {
    case Where::Start:
      if (!isObject)
        return fail("header is not a JSON object");
      where = Where::Top;
      return true;
    case Where::Top:
      if (!isObject)
        return scalar(what);
      if (topKey == kMetadataKey) {
        where = Where::Metadata;
        return true;
      }
      current = HeaderEntry();
      current.name = topKey;
      seenFields.clear();
      offsetCount = 0;
      where = Where::Tensor;
      return true;
    case Where::Tensor:
      if (field == Field::Unknown) {
        where = Where::Skip;
        skipDepth = 1;
        return true;
      }
      if (isObject || field == Field::DType)
        return scalar(what);
      where = field == Field::Shape ? Where::Shape : Where::Offsets;
      return true;
    case Where::Skip:
      ++skipDepth;
      return true;
    default:
      return scalar(what);
    }
  }

  bool close() {
    --depth;
    switch (where) {
    case Where::Top:
      where = Where::Done;
      return true;
    case Where::Metadata:
      where = Where::Top;
      return true;
    case Where::Tensor:
      for (const char *f : {"dtype", "shape", "data_offsets"})
        if (!seenFields.count(f))
          return fail(tensorWhat() + " has no '" + f + "'");
      out.tensors.push_back(std::move(current));
      where = Where::Top;
      return true;
    case Where::Shape:
      where = Where::Tensor;
      return true;
    case Where::Offsets:
      if (offsetCount != 2)
        return fail(tensorWhat() + ": data_offsets must be [begin, end] (got " +
                    num(offsetCount) + " values)");
      where = Where::Tensor;
      return true;
    case Where::Skip:
      if (--skipDepth == 0)
        where = Where::Tensor;
      return true;
    default:
      return true;
    }
  }

  ParsedHeader &out;
  Where where = Where::Start;
  Field field = Field::Unknown;
  unsigned depth = 0;
  unsigned skipDepth = 0;
  unsigned offsetCount = 0;
  std::string topKey, metadataKey;
  std::set<std::string> topKeys, metadataKeys, seenFields;
  HeaderEntry current;
};
} // namespace

bool lmc::hf::parseSafeTensorsHeader(std::string_view text, ParsedHeader &out,
                                     std::string &problem) {
  out = ParsedHeader();
  // nlohmann's lexer takes a NUL byte for the end of input, which would let
  // anything after it through; JSON text never contains a raw NUL.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    problem = "header is not valid JSON (byte " + num(nul) +
              "): it contains a NUL byte";
    return false;
  }
  HeaderHandler handler(out);
  bool ok = json::sax_parse(text.begin(), text.end(), &handler,
                            json::input_format_t::json, /*strict=*/true);
  if (ok && handler.finished())
    return true;
  problem = handler.problem.empty() ? "header is not a complete JSON object"
                                    : handler.problem;
  return false;
}
