//===- ReferenceData.cpp - The reference renders of the chat tests --------===//
#include "test/unit/chat/ReferenceData.h"

#include <ctime>
#include <fstream>
#include <iomanip>
#include <sstream>

using namespace lmc::test;
using nlohmann::ordered_json;

namespace {

ChatReference load() {
  ChatReference ref;
  std::ifstream in(LMC_CHAT_REF_JSON, std::ios::binary);
  if (!in) {
    ref.problem = std::string(LMC_CHAT_REF_JSON) +
                  " is missing: the build could not run "
                  "test/reference/render_ref.mjs (npm ci in test/reference)";
    return ref;
  }
  std::stringstream s;
  s << in.rdbuf();
  ref.json = ordered_json::parse(s.str(), nullptr, /*allow_exceptions=*/false);
  if (ref.json.is_discarded() || !ref.json.contains("results")) {
    ref.problem = std::string(LMC_CHAT_REF_JSON) + " is not valid";
    return ref;
  }
  std::tm t{};
  std::string now = ref.json.value("now", "");
  std::istringstream(now) >> std::get_time(&t, "%Y-%m-%dT%H:%M:%S");
  ref.clock = [t] { return t; };
  return ref;
}

} // namespace

const std::string *ChatReference::templateSource(const std::string &name,
                                                 std::string &why) const {
  const auto &templates = json["templates"];
  if (!templates.contains(name)) {
    why = "no template '" + name + "' in the reference";
    return nullptr;
  }
  const auto &t = templates[name];
  if (!t.contains("source")) {
    why = t.value("missing", "missing");
    return nullptr;
  }
  return t["source"].get_ptr<const std::string *>();
}

const ChatReference &lmc::test::chatReference() {
  static const ChatReference ref = load();
  return ref;
}
