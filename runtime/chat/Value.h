//===- Value.h - Values of the chat template engine -------------*- C++ -*-===//
//
// What a template expression evaluates to. The kinds and their rules follow
// @huggingface/jinja (the reference renderer): undefined and none are
// different values, integers and floats are different kinds of one number,
// arrays (and tuples), objects and namespaces are shared by reference (an
// assignment to a namespace attribute is seen through every copy; == compares
// containers by identity), and functions are builtins or macros.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CHAT_VALUE_H
#define LMC_RUNTIME_CHAT_VALUE_H

#include "runtime/chat/TemplateError.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lmc::rt::chat {

class Value;
class Environment;

enum class ValueKind {
  Undefined, None, Bool, Int, Float, String, Array, Object, Namespace, Function
};

/// The arguments of a call: positional values, then name=value pairs.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;
  /// The keyword argument called name, or null.
  const Value *keyword(const std::string &name) const;
};

/// A builtin or macro. `caller` is the scope of the call site: macros see the
/// variables of their caller, as in @huggingface/jinja.
using NativeFunction =
    std::function<Value(CallArgs &args, Environment &caller, SourceLoc loc)>;

class Value {
public:
  struct ArrayData {
    std::vector<Value> items;
    bool tuple = false;
  };
  /// Keys in insertion order (JavaScript's Map order).
  struct ObjectData {
    std::vector<std::pair<std::string, Value>> entries;
    const Value *find(const std::string &key) const;
    void set(const std::string &key, Value value);
  };
  struct FunctionData {
    std::string name;
    NativeFunction call;
  };

  Value() = default;
  static Value undefined() { return Value(); }
  static Value none();
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value number(double d);
  static Value string(std::string s);
  static Value array(std::vector<Value> items, bool tuple = false);
  static Value object(std::vector<std::pair<std::string, Value>> entries = {});
  static Value makeNamespace(std::vector<std::pair<std::string, Value>> entries = {});
  static Value function(std::string name, NativeFunction call);

  ValueKind kind() const { return kind_; }
  bool isUndefined() const { return kind_ == ValueKind::Undefined; }
  bool isNone() const { return kind_ == ValueKind::None; }
  bool isString() const { return kind_ == ValueKind::String; }
  bool isInt() const { return kind_ == ValueKind::Int; }
  bool isNumber() const {
    return kind_ == ValueKind::Int || kind_ == ValueKind::Float;
  }
  bool isArray() const { return kind_ == ValueKind::Array; }
  bool isTuple() const { return isArray() && array_->tuple; }
  bool isObject() const { return kind_ == ValueKind::Object; }
  bool isNamespace() const { return kind_ == ValueKind::Namespace; }
  /// Objects and namespaces: values with attributes.
  bool hasEntries() const { return isObject() || isNamespace(); }
  bool isFunction() const { return kind_ == ValueKind::Function; }

  bool asBool() const { return bool_; }
  int64_t asInt() const { return int_; }
  /// Int or Float as a double.
  double asNumber() const { return kind_ == ValueKind::Int ? double(int_) : float_; }
  const std::string &asString() const { return string_; }
  std::vector<Value> &items() const { return array_->items; }
  ObjectData &entries() const { return *object_; }
  const FunctionData &functionData() const { return *function_; }

  /// Jinja truthiness as @huggingface/jinja has it: empty strings, zero,
  /// NaN, empty arrays and objects, none and undefined are false;
  /// namespaces and functions are true.
  bool truthy() const;

  /// The identity of a container, for == and `in` (null for other kinds).
  const void *identity() const;

  /// The kind's name in errors ("string", "undefined", ...).
  static const char *kindName(ValueKind kind);
  const char *kindName() const { return kindName(kind_); }
  /// The kind with its article, for messages: "an integer", "undefined".
  std::string describe() const;

private:
  ValueKind kind_ = ValueKind::Undefined;
  bool bool_ = false;
  int64_t int_ = 0;
  double float_ = 0;
  std::string string_;
  std::shared_ptr<ArrayData> array_;
  std::shared_ptr<ObjectData> object_;
  std::shared_ptr<FunctionData> function_;
};

} // namespace lmc::rt::chat

#endif // LMC_RUNTIME_CHAT_VALUE_H
