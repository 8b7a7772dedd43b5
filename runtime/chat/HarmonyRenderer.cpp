//===- HarmonyRenderer.cpp - GPT-OSS conversations as harmony text --------===//
//
// JSON values are judged as the template judges them (truthiness, `in`,
// loose == against a type name) and written with the template engine's own
// JSON writer, so the text stays identical to the template's.
//
//===----------------------------------------------------------------------===//
#include "runtime/chat/HarmonyRenderer.h"
#include "runtime/chat/Conversions.h"
#include "runtime/chat/JsText.h"
#include "runtime/chat/TemplateError.h"

#include <optional>

using namespace lmc::rt::chat;
using nlohmann::ordered_json;

namespace {

struct HarmonyError {
  std::string message;
};

[[noreturn]] void fail(const std::string &message) {
  throw HarmonyError{message};
}

/// Jinja truthiness of a JSON value (missing counts as null).
bool truthy(const ordered_json *v) {
  return v && fromJson(*v).truthy();
}

const ordered_json *member(const ordered_json &object, const char *key) {
  if (!object.is_object())
    return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string json(const ordered_json &v) {
  return toJson(fromJson(v), JsonStyle(), /*undefinedAsNull=*/true,
                SourceLoc());
}

/// `"text" + v` in the template: v printed as JavaScript's String() would.
std::string text(const ordered_json *v, const char *what) {
  if (!v)
    fail(std::string("'+' on an undefined value (") + what + ")");
  if (v->is_null())
    fail(std::string("'+' on none (") + what + ")");
  if (v->is_structured())
    fail(std::string(what) + " must be a string");
  return toConcatText(fromJson(*v), SourceLoc());
}

/// `v == "name"` with JavaScript's loose equality (["array"] == "array").
bool typeIs(const ordered_json *v, const char *name) {
  if (!v)
    return false;
  if (v->is_string())
    return v->get_ref<const std::string &>() == name;
  if (v->is_array()) {
    std::string joined;
    for (size_t i = 0; i < v->size(); ++i) {
      const ordered_json &e = (*v)[i];
      if (i)
        joined += ",";
      if (e.is_string())
        joined += e.get<std::string>();
      else if (!e.is_null())
        joined += toText(fromJson(e), SourceLoc());
    }
    return joined == name;
  }
  return false;
}

/// `name in list` for a list of required names (`required or []`).
bool listed(const ordered_json *list, const std::string &name) {
  if (!truthy(list))
    return false;
  if (!list->is_array())
    fail("'required' must be a list");
  for (const ordered_json &e : *list)
    if (e.is_string() && e.get<std::string>() == name)
      return true;
  return false;
}

std::string joinStrings(const ordered_json &list, const std::string &sep) {
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) {
    const ordered_json &e = list[i];
    out += (i ? sep : "") + (e.is_null() ? std::string() : text(&e, "enum"));
  }
  return out;
}

/// The template's render_typescript_type macro.
std::string typescriptType(const ordered_json &spec) {
  const ordered_json *type = member(spec, "type");
  auto nullable = [&] { return truthy(member(spec, "nullable")); };
  if (typeIs(type, "array")) {
    std::string out;
    const ordered_json *items = member(spec, "items");
    if (truthy(items)) {
      const ordered_json *itemType = member(*items, "type");
      if (typeIs(itemType, "string"))
        out = "string[]";
      else if (typeIs(itemType, "number") || typeIs(itemType, "integer"))
        out = "number[]";
      else if (typeIs(itemType, "boolean"))
        out = "boolean[]";
      else {
        std::string inner = typescriptType(*items);
        bool tooLong = js::utf16Length(inner) > 50;
        out = inner == "object | object" || tooLong ? "any[]" : inner + "[]";
      }
    } else {
      out = "any[]";
    }
    return nullable() ? out + " | null" : out;
  }
  if (type && type->is_array() && !type->empty()) {
    // A list of types, ["string", "null"].
    if (type->size() > 1)
      return joinStrings(*type, " | ");
    return (*type)[0].is_null() ? "" : text(&(*type)[0], "type");
  }
  if (truthy(member(spec, "oneOf"))) {
    const ordered_json &variants = spec["oneOf"];
    if (!variants.is_array())
      fail("oneOf must be a list");
    std::string out;
    for (size_t i = 0; i < variants.size(); ++i) {
      const ordered_json &v = variants[i];
      out += typescriptType(v);
      if (truthy(member(v, "description")))
        out += "// " + text(member(v, "description"), "description");
      if (member(v, "default"))
        out += std::string(20, ' ') + "// default: " + json(v["default"]);
      if (i + 1 < variants.size())
        out += " | \n";
    }
    return out;
  }
  if (typeIs(type, "string")) {
    if (truthy(member(spec, "enum"))) {
      if (!spec["enum"].is_array())
        fail("enum must be a list");
      return "\"" + joinStrings(spec["enum"], "\" | \"") + "\"";
    }
    return nullable() ? "string | null" : "string";
  }
  if (typeIs(type, "number") || typeIs(type, "integer"))
    return "number";
  if (typeIs(type, "boolean"))
    return "boolean";
  if (typeIs(type, "object")) {
    const ordered_json *props = member(spec, "properties");
    if (!truthy(props))
      return "object";
    if (!props->is_object())
      fail("properties must be an object");
    std::string out = "{\n";
    size_t i = 0;
    for (auto it = props->begin(); it != props->end(); ++it, ++i) {
      out += it.key();
      if (!listed(member(spec, "required"), it.key()))
        out += "?";
      // The template writes this line break and indent verbatim.
      out += ": \n" + std::string(16, ' ') + typescriptType(it.value());
      if (i + 1 < props->size())
        out += ", ";
    }
    return out + "}";
  }
  return "any";
}

/// The template's render_tool_namespace macro.
std::string toolNamespace(const ordered_json &tools) {
  if (!tools.is_array())
    fail("tools must be a list");
  std::string out = "## functions\n\nnamespace functions {\n\n";
  for (const ordered_json &entry : tools) {
    const ordered_json *fn = member(entry, "function");
    if (!fn || !fn->is_object())
      fail("each tool needs a 'function' object");
    out += "// " + text(member(*fn, "description"), "tool description") + "\n";
    out += "type " + text(member(*fn, "name"), "tool name") + " = ";
    const ordered_json *params = member(*fn, "parameters");
    const ordered_json *props = params ? member(*params, "properties") : nullptr;
    if (!truthy(params) || !truthy(props)) {
      out += "() => any;\n\n";
      continue;
    }
    if (!props->is_object())
      fail("parameters.properties must be an object");
    const ordered_json *required = member(*params, "required");
    out += "(_: {\n";
    for (auto it = props->begin(); it != props->end(); ++it) {
      const ordered_json &spec = it.value();
      if (truthy(member(spec, "description")))
        out += "// " + text(member(spec, "description"), "description") + "\n";
      out += it.key();
      if (!listed(required, it.key()))
        out += "?";
      out += ": " + typescriptType(spec);
      if (const ordered_json *d = member(spec, "default")) {
        if (truthy(member(spec, "enum")))
          out += ", // default: " + text(d, "default");
        else if (truthy(member(spec, "oneOf")))
          out += "// default: " + text(d, "default");
        else
          out += ", // default: " + json(*d);
      }
      out += ",\n";
    }
    out += "}) => any;\n\n";
  }
  return out + "} // namespace functions";
}

/// `"<|channel|>...<|message|>" in field`: the template refuses messages
/// that already carry harmony markup.
void refuseMarkup(const ordered_json &message, const char *field) {
  const ordered_json *v = member(message, field);
  if (!v)
    return;
  if (v->is_null())
    fail(std::string("'in' on none (the message's ") + field + ")");
  if (!v->is_string())
    fail(std::string("the message's ") + field + " must be a string");
  const std::string &s = v->get_ref<const std::string &>();
  if (s.find("<|channel|>analysis<|message|>") != std::string::npos ||
      s.find("<|channel|>final<|message|>") != std::string::npos) {
    std::string name = std::string(field) == "content" ? "content" : "thinking";
    fail("You have passed a message containing <|channel|> tags in the " +
         name +
         " field. Instead of doing this, you should pass analysis messages "
         "(the string between '<|message|>' and '<|end|>') in the 'thinking' "
         "field, and final messages (the string between '<|message|>' and "
         "'<|end|>') in the 'content' field.");
  }
}

std::string analysis(const std::string &text) {
  return "<|start|>assistant<|channel|>analysis<|message|>" + text + "<|end|>";
}

std::string render(const ordered_json &ctx, const std::string &date) {
  if (truthy(member(ctx, "builtin_tools")))
    fail("builtin_tools (browser, python) are not supported by lmc's "
         "harmony renderer");
  const ordered_json *messagesJson = member(ctx, "messages");
  if (!messagesJson || !messagesJson->is_array())
    fail("messages must be a list");
  const ordered_json &messages = *messagesJson;
  const ordered_json *tools = member(ctx, "tools");
  bool hasTools = truthy(tools);
  bool generationPrompt = truthy(member(ctx, "add_generation_prompt"));

  std::string out = "<|start|>system<|message|>";
  const ordered_json *identity = member(ctx, "model_identity");
  out += (identity ? text(identity, "model_identity")
                   : "You are ChatGPT, a large language model trained by "
                     "OpenAI.") + "\n";
  out += "Knowledge cutoff: 2024-06\n";
  out += "Current date: " + date + "\n\n";
  const ordered_json *effort = member(ctx, "reasoning_effort");
  out += "Reasoning: " + (effort ? text(effort, "reasoning_effort")
                                 : std::string("medium")) + "\n\n";
  out += "# Valid channels: analysis, commentary, final. Channel must be "
         "included for every message.";
  if (hasTools)
    out += "\nCalls to these tools must go to the commentary channel: "
           "'functions'.";
  out += "<|end|>";

  // A leading system or developer message is the developer's instructions.
  size_t first = 0;
  const ordered_json *developer = nullptr;
  if (!messages.empty()) {
    const ordered_json *role = member(messages[0], "role");
    if (typeIs(role, "developer") || typeIs(role, "system")) {
      developer = member(messages[0], "content");
      first = 1;
    }
  }
  bool hasDeveloper = truthy(developer);
  if (hasDeveloper || hasTools) {
    out += "<|start|>developer<|message|>";
    if (hasDeveloper)
      out += "# Instructions\n\n" + text(developer, "developer message") +
             "\n\n";
    if (hasTools)
      out += "# Tools\n\n" + toolNamespace(*tools);
    out += "<|end|>";
  }

  // The name of the tool whose results "tool" messages carry.
  std::optional<std::string> lastToolCall;
  for (size_t i = first; i < messages.size(); ++i) {
    const ordered_json &m = messages[i];
    const ordered_json *role = member(m, "role");
    bool last = i + 1 == messages.size();
    if (typeIs(role, "assistant")) {
      refuseMarkup(m, "content");
      refuseMarkup(m, "thinking");
      const ordered_json *content = member(m, "content");
      const ordered_json *thinking = member(m, "thinking");
      if (member(m, "tool_calls")) {
        // The analysis before a call is dropped once a final answer follows.
        bool finalFollows = false;
        for (size_t j = i + 1; j < messages.size(); ++j)
          finalFollows = finalFollows ||
                         (typeIs(member(messages[j], "role"), "assistant") &&
                          !member(messages[j], "tool_calls"));
        const ordered_json &calls = m["tool_calls"];
        if (!calls.is_array() || calls.empty() || !calls[0].is_object())
          fail("tool_calls must be a non-empty list of objects");
        const ordered_json *call = &calls[0];
        if (truthy(member(*call, "function")))
          call = member(*call, "function");
        if (truthy(content) && truthy(thinking))
          fail("Cannot pass both content and thinking in an assistant message "
               "with tool calls! Put the analysis message in one or the "
               "other, but not both.");
        if (truthy(content) && !finalFollows)
          out += analysis(text(content, "content"));
        else if (truthy(thinking) && !finalFollows)
          out += analysis(text(thinking, "thinking"));
        std::string name = text(member(*call, "name"), "tool call name");
        const ordered_json *type = member(*call, "content_type");
        const ordered_json *args = member(*call, "arguments");
        out += "<|start|>assistant to=functions." + name +
               "<|channel|>commentary " +
               (type ? text(type, "content_type") : std::string("json")) +
               "<|message|>" + (args ? json(*args) : std::string("null")) +
               "<|call|>";
        lastToolCall = name;
      } else if (last && !generationPrompt) {
        // Training only: the last answer with its reasoning, and <|return|>.
        if (thinking)
          out += analysis(text(thinking, "thinking"));
        out += "<|start|>assistant<|channel|>final<|message|>" +
               text(content, "content") + "<|return|>";
      } else {
        out += "<|start|>assistant<|channel|>final<|message|>" +
               text(content, "content") + "<|end|>";
        lastToolCall.reset();
      }
    } else if (typeIs(role, "tool")) {
      if (!lastToolCall)
        fail("Message has tool role, but there was no previous assistant "
             "message with a tool call!");
      const ordered_json *content = member(m, "content");
      out += "<|start|>functions." + *lastToolCall +
             " to=assistant<|channel|>commentary<|message|>" +
             (content ? json(*content) : std::string("null")) + "<|end|>";
    } else if (typeIs(role, "user")) {
      out += "<|start|>user<|message|>" + text(member(m, "content"), "content") +
             "<|end|>";
    }
  }
  if (generationPrompt)
    out += "<|start|>assistant";
  return out;
}

} // namespace

bool lmc::rt::chat::renderHarmony(const ordered_json &context,
                                  const std::string &date, std::string &out,
                                  std::string &err) {
  try {
    out = render(context, date);
    return true;
  } catch (const HarmonyError &e) {
    err = "harmony: " + e.message;
  } catch (const TemplateError &e) {
    err = "harmony: " + e.message();
  }
  return false;
}
