//===- Value.cpp - Values of the chat template engine ---------------------===//
#include "runtime/chat/Value.h"

#include <cmath>

using namespace lmc::rt::chat;

const Value *CallArgs::keyword(const std::string &name) const {
  for (const auto &kw : keywords)
    if (kw.first == name)
      return &kw.second;
  return nullptr;
}

const Value *Value::ObjectData::find(const std::string &key) const {
  for (const auto &e : entries)
    if (e.first == key)
      return &e.second;
  return nullptr;
}

void Value::ObjectData::set(const std::string &key, Value value) {
  for (auto &e : entries)
    if (e.first == key) {
      e.second = std::move(value);
      return;
    }
  entries.emplace_back(key, std::move(value));
}

Value Value::none() {
  Value v;
  v.kind_ = ValueKind::None;
  return v;
}

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = ValueKind::Bool;
  v.bool_ = b;
  return v;
}

Value Value::integer(int64_t i) {
  Value v;
  v.kind_ = ValueKind::Int;
  v.int_ = i;
  return v;
}

Value Value::number(double d) {
  Value v;
  v.kind_ = ValueKind::Float;
  v.float_ = d;
  return v;
}

Value Value::string(std::string s) {
  Value v;
  v.kind_ = ValueKind::String;
  v.string_ = std::move(s);
  return v;
}

Value Value::array(std::vector<Value> items, bool tuple) {
  Value v;
  v.kind_ = ValueKind::Array;
  v.array_ = std::make_shared<ArrayData>();
  v.array_->items = std::move(items);
  v.array_->tuple = tuple;
  return v;
}

Value Value::object(std::vector<std::pair<std::string, Value>> entries) {
  Value v;
  v.kind_ = ValueKind::Object;
  v.object_ = std::make_shared<ObjectData>();
  v.object_->entries = std::move(entries);
  return v;
}

Value Value::makeNamespace(std::vector<std::pair<std::string, Value>> entries) {
  Value v = object(std::move(entries));
  v.kind_ = ValueKind::Namespace;
  return v;
}

Value Value::function(std::string name, NativeFunction call) {
  Value v;
  v.kind_ = ValueKind::Function;
  v.function_ = std::make_shared<FunctionData>();
  v.function_->name = std::move(name);
  v.function_->call = std::move(call);
  return v;
}

bool Value::truthy() const {
  switch (kind_) {
  case ValueKind::Undefined:
  case ValueKind::None:
    return false;
  case ValueKind::Bool:
    return bool_;
  case ValueKind::Int:
    return int_ != 0;
  case ValueKind::Float:
    return float_ != 0 && !std::isnan(float_);
  case ValueKind::String:
    return !string_.empty();
  case ValueKind::Array:
    return !array_->items.empty();
  case ValueKind::Object:
    return !object_->entries.empty();
  case ValueKind::Namespace:
  case ValueKind::Function:
    return true;
  }
  return false;
}

const void *Value::identity() const {
  switch (kind_) {
  case ValueKind::Array:
    return array_.get();
  case ValueKind::Object:
  case ValueKind::Namespace:
    return object_.get();
  case ValueKind::Function:
    return function_.get();
  default:
    return nullptr;
  }
}

const char *Value::kindName(ValueKind kind) {
  switch (kind) {
  case ValueKind::Undefined: return "undefined";
  case ValueKind::None: return "none";
  case ValueKind::Bool: return "boolean";
  case ValueKind::Int: return "integer";
  case ValueKind::Float: return "float";
  case ValueKind::String: return "string";
  case ValueKind::Array: return "array";
  case ValueKind::Object: return "object";
  case ValueKind::Namespace: return "namespace";
  case ValueKind::Function: return "function";
  }
  return "?";
}

std::string Value::describe() const {
  switch (kind_) {
  case ValueKind::Undefined:
  case ValueKind::None:
    return kindName();
  case ValueKind::Int:
  case ValueKind::Array:
  case ValueKind::Object:
    return std::string("an ") + kindName();
  default:
    return std::string("a ") + kindName();
  }
}
