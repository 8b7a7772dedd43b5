//===- ChatTemplate.cpp - A model's Jinja chat template -------------------===//
#include "runtime/chat/ChatTemplate.h"
#include "runtime/chat/Conversions.h"
#include "runtime/chat/Interpreter.h"
#include "runtime/chat/Lexer.h"
#include "runtime/chat/Parser.h"

#include <ctime>
#include <new>

using namespace lmc::rt::chat;

std::tm lmc::rt::chat::localTimeNow() {
  std::time_t now = std::time(nullptr);
  std::tm t{};
  localtime_r(&now, &t);
  return t;
}

std::unique_ptr<ChatTemplate> ChatTemplate::parse(const std::string &source,
                                                  std::string &err) {
  std::unique_ptr<ChatTemplate> t(new ChatTemplate());
  t->source_ = source;
  try {
    t->program_ = chat::parse(tokenize(source));
  } catch (const TemplateError &e) {
    err = e.describe();
    return nullptr;
  } catch (const std::bad_alloc &) {
    err = "out of memory while parsing the chat template";
    return nullptr;
  }
  return t;
}

bool ChatTemplate::render(const nlohmann::ordered_json &context,
                          std::string &out, std::string &err,
                          const Clock &clock, EvaluationLimits limits) const {
  if (!context.is_object()) {
    err = "the chat template's context must be a JSON object";
    return false;
  }
  Clock now = clock ? clock : Clock(localTimeNow);
  Environment globals;
  std::vector<std::pair<std::string, Value>> builtins = globalValues(now);
  for (auto &g : builtins)
    globals.set(g.first, g.second);
  for (auto it = context.begin(); it != context.end(); ++it) {
    // As in the reference, the context cannot redefine the builtins.
    for (const auto &g : builtins)
      if (g.first == it.key()) {
        err = "the chat template's context cannot define '" + it.key() + "'";
        return false;
      }
    globals.set(it.key(), fromJson(it.value()));
  }
  try {
    Interpreter interpreter(limits);
    out = interpreter.run(program_, globals);
  } catch (const TemplateError &e) {
    err = e.describe();
    return false;
  } catch (const std::bad_alloc &) {
    err = "out of memory while rendering the chat template";
    return false;
  }
  return true;
}
