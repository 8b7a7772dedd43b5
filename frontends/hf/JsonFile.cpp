//===- JsonFile.cpp - Bounded, exception-free JSON file reading -----------===//

#include "frontends/hf/JsonFile.h"

#include "frontends/hf/Diagnostics.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <sys/stat.h>
#include <vector>

using namespace lmc::hf;
using json = nlohmann::json;

bool lmc::hf::readTextFile(const std::string &path, uint64_t maxBytes,
                           std::string &out, std::string &error) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  struct stat st;
  if (::fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
    std::fclose(f);
    return false;
  }
  if (uint64_t(st.st_size) > maxBytes) {
    error = path + ": file is " + num(uint64_t(st.st_size)) +
            " bytes, more than the " + num(maxBytes) + "-byte limit";
    std::fclose(f);
    return false;
  }
  out.resize(size_t(st.st_size));
  size_t got = out.empty() ? 0 : std::fread(&out[0], 1, out.size(), f);
  std::fclose(f);
  if (got != out.size()) {
    error = path + ": read failed";
    return false;
  }
  return true;
}

namespace {
/// Records the first syntax error; used only to explain a failed parse.
struct SyntaxErrorRecorder : nlohmann::json_sax<json> {
  std::string message;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t &) override { return true; }
  bool string(string_t &) override { return true; }
  bool binary(binary_t &) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t &) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string &,
                   const nlohmann::detail::exception &ex) override {
    message = ex.what();
    if (size_t p = message.find("] ");
        p != std::string::npos && !message.empty() && message[0] == '[')
      message = message.substr(p + 2);
    return false;
  }
};
} // namespace

bool lmc::hf::parseJsonText(std::string_view text, const std::string &what,
                            bool rejectDuplicateKeys, json &out,
                            std::string &error) {
  // nlohmann's lexer takes a NUL byte for the end of input; JSON text never
  // contains a raw NUL, so anything with one is rejected up front.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    error = what + ": malformed JSON: NUL byte at offset " + num(nul);
    return false;
  }
  std::vector<std::set<std::string>> keysPerObject;
  std::string problem;
  auto callback = [&](int depth, json::parse_event_t event, json &parsed) {
    if (!problem.empty())
      return false; // stop growing the tree once the input is rejected
    switch (event) {
    case json::parse_event_t::object_start:
    case json::parse_event_t::array_start:
      if (depth >= kMaxJsonDepth) {
        problem = "JSON nests more than " + num(kMaxJsonDepth) + " levels deep";
        return false;
      }
      if (event == json::parse_event_t::object_start)
        keysPerObject.emplace_back();
      return true;
    case json::parse_event_t::object_end:
      if (!keysPerObject.empty())
        keysPerObject.pop_back();
      return true;
    case json::parse_event_t::key:
      if (rejectDuplicateKeys && !keysPerObject.empty() && parsed.is_string() &&
          !keysPerObject.back().insert(parsed.get<std::string>()).second)
        problem = "duplicate key " + quoteName(parsed.get<std::string>());
      return true;
    default:
      return true;
    }
  };
  out = json::parse(text.begin(), text.end(), callback,
                    /*allow_exceptions=*/false);
  if (!problem.empty()) {
    error = what + ": " + problem;
    return false;
  }
  if (out.is_discarded()) {
    SyntaxErrorRecorder recorder;
    json::sax_parse(text.begin(), text.end(), &recorder);
    error =
        what + ": malformed JSON: " +
        sanitized(recorder.message.empty() ? "parse error" : recorder.message);
    return false;
  }
  return true;
}

const char *lmc::hf::jsonTypeName(const json &v) {
  switch (v.type()) {
  case json::value_t::object:
    return "an object";
  case json::value_t::array:
    return "an array";
  case json::value_t::string:
    return "a string";
  case json::value_t::boolean:
    return "a boolean";
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
    return "an integer";
  case json::value_t::number_float:
    return "a number";
  case json::value_t::null:
    return "null";
  default:
    return "a binary value";
  }
}
