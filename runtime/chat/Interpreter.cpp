//===- Interpreter.cpp - Evaluating a chat template -----------------------===//
#include "runtime/chat/Interpreter.h"
#include "runtime/chat/Builtins.h"
#include "runtime/chat/Conversions.h"

using namespace lmc::rt::chat;

namespace {
/// Thrown by {% break %} / {% continue %}, caught by the nearest loop.
struct LoopBreak {
  SourceLoc loc;
};
struct LoopContinue {
  SourceLoc loc;
};
} // namespace

const Value *Environment::lookup(const std::string &name) const {
  for (const Environment *e = this; e; e = e->parent_) {
    auto it = e->vars_.find(name);
    if (it != e->vars_.end())
      return &it->second;
  }
  return nullptr;
}

void Environment::set(const std::string &name, Value value) {
  vars_[name] = std::move(value);
}

struct Interpreter::DepthGuard {
  DepthGuard(Interpreter &in, SourceLoc loc) : in(in) {
    if (++in.depth_ > in.limits_.maxDepth)
      throw TemplateError(loc, "the template nests or recurses deeper than " +
                                   std::to_string(in.limits_.maxDepth) +
                                   " levels");
  }
  ~DepthGuard() { --in.depth_; }
  Interpreter &in;
};

void Interpreter::step(SourceLoc loc) {
  if (++steps_ > limits_.maxSteps)
    throw TemplateError(loc, "the template takes more than " +
                                 std::to_string(limits_.maxSteps) +
                                 " steps to render");
}

void Interpreter::checkSize(const std::string &s, SourceLoc loc) const {
  if (s.size() > limits_.maxText)
    throw TemplateError(loc, "the template's text grows beyond " +
                                 std::to_string(limits_.maxText >> 20) +
                                 " MiB");
}

std::string Interpreter::run(const NodeList &program, Environment &globals) {
  std::string out;
  try {
    execBlock(program, globals, out);
  } catch (const LoopBreak &b) {
    throw TemplateError(b.loc, "'{% break %}' outside a loop");
  } catch (const LoopContinue &c) {
    throw TemplateError(c.loc, "'{% continue %}' outside a loop");
  }
  return out;
}

void Interpreter::execBlock(const NodeList &block, Environment &env,
                            std::string &out) {
  for (const NodePtr &n : block)
    exec(*n, env, out);
}

void Interpreter::exec(const Node &n, Environment &env, std::string &out) {
  DepthGuard guard(*this, n.loc);
  step(n.loc);
  switch (n.kind) {
  case NodeKind::Text:
    out += n.name;
    break;
  case NodeKind::Comment:
    break;
  case NodeKind::Output:
    out += toText(eval(*n.kids[0], env), n.loc);
    break;
  case NodeKind::If:
    execBlock(eval(*n.kids[0], env).truthy() ? n.body : n.orElse, env, out);
    break;
  case NodeKind::For:
    execFor(n, env, out);
    break;
  case NodeKind::Set:
    execSet(n, env);
    break;
  case NodeKind::Macro: {
    const Node *macro = &n;
    env.set(n.name, Value::function(n.name, [this, macro](CallArgs &args,
                                                          Environment &caller,
                                                          SourceLoc loc) {
              return callMacro(*macro, args, caller, loc);
            }));
    break;
  }
  case NodeKind::Break:
    throw LoopBreak{n.loc};
  case NodeKind::Continue:
    throw LoopContinue{n.loc};
  default:
    // An expression used as a statement cannot come from the parser.
    throw TemplateError(n.loc, "internal error: an expression as a statement");
  }
  checkSize(out, n.loc);
}

void Interpreter::execFor(const Node &n, Environment &env, std::string &out) {
  Environment scope(&env);
  Value iterable = eval(*n.kids[1], scope);
  std::vector<Value> candidates;
  if (iterable.isArray())
    candidates = iterable.items();
  else if (iterable.isObject())
    for (const auto &e : iterable.entries().entries)
      candidates.push_back(Value::string(e.first));
  else
    throw TemplateError(n.kids[1]->loc,
                        "cannot loop over " + iterable.describe());

  const Node &target = *n.kids[0];
  std::vector<Value> items;
  for (Value &item : candidates) {
    step(n.loc);
    if (n.kids[2]) {
      Environment filterScope(&scope);
      assign(target, item, filterScope);
      if (!eval(*n.kids[2], filterScope).truthy())
        continue;
    }
    items.push_back(std::move(item));
  }

  bool iterated = false;
  int64_t count = int64_t(items.size());
  for (int64_t i = 0; i < count; ++i) {
    step(n.loc);
    scope.set("loop",
              Value::object({
                  {"index", Value::integer(i + 1)},
                  {"index0", Value::integer(i)},
                  {"revindex", Value::integer(count - i)},
                  {"revindex0", Value::integer(count - i - 1)},
                  {"first", Value::boolean(i == 0)},
                  {"last", Value::boolean(i == count - 1)},
                  {"length", Value::integer(count)},
                  {"previtem", i > 0 ? items[size_t(i - 1)] : Value()},
                  {"nextitem", i + 1 < count ? items[size_t(i + 1)] : Value()},
              }));
    assign(target, items[size_t(i)], scope);
    std::string iteration;
    try {
      execBlock(n.body, scope, iteration);
    } catch (const LoopContinue &) {
      continue;
    } catch (const LoopBreak &) {
      break;
    }
    out += iteration;
    checkSize(out, n.loc);
    iterated = true;
  }
  if (!iterated)
    execBlock(n.orElse, scope, out);
}

void Interpreter::assign(const Node &target, const Value &value,
                         Environment &env) {
  if (target.kind == NodeKind::Identifier) {
    env.set(target.name, value);
    return;
  }
  // A tuple of names.
  if (!value.isArray())
    throw TemplateError(target.loc, "cannot unpack " + value.describe());
  if (value.items().size() != target.kids.size())
    throw TemplateError(target.loc,
                        "cannot unpack " +
                            std::to_string(value.items().size()) +
                            " values into " +
                            std::to_string(target.kids.size()) + " names");
  for (size_t i = 0; i < target.kids.size(); ++i)
    env.set(target.kids[i]->name, value.items()[i]);
}

void Interpreter::execSet(const Node &n, Environment &env) {
  Value value;
  if (n.kids[1]) {
    value = eval(*n.kids[1], env);
  } else {
    std::string text;
    execBlock(n.body, env, text);
    value = Value::string(std::move(text));
  }
  const Node &target = *n.kids[0];
  if (target.kind != NodeKind::Member) {
    assign(target, value, env);
    return;
  }
  Value object = eval(*target.kids[0], env);
  if (!object.isNamespace())
    throw TemplateError(target.loc,
                        "only a namespace's attributes can be assigned, not "
                        "those of " + object.describe());
  object.entries().set(target.kids[1]->name, std::move(value));
}

CallArgs Interpreter::evalArguments(const NodeList &kids, size_t first,
                                    Environment &env) {
  CallArgs args;
  // Positional arguments first, then keyword ones, as the reference does.
  for (size_t i = first; i < kids.size(); ++i)
    if (kids[i]->kind != NodeKind::KeywordArgument)
      args.positional.push_back(eval(*kids[i], env));
  for (size_t i = first; i < kids.size(); ++i) {
    const Node &k = *kids[i];
    if (k.kind != NodeKind::KeywordArgument)
      continue;
    if (args.keyword(k.name))
      throw TemplateError(k.loc, "the keyword argument '" + k.name +
                                     "' is given twice");
    args.keywords.emplace_back(k.name, eval(*k.kids[0], env));
  }
  return args;
}

Value Interpreter::callMacro(const Node &macro, CallArgs &args,
                             Environment &caller, SourceLoc loc) {
  Environment scope(&caller);
  const NodeList &params = macro.kids;
  std::vector<std::pair<std::string, Value>> keywords = args.keywords;
  std::vector<const Node *> pendingDefaults;
  for (size_t i = 0; i < params.size(); ++i) {
    const Node &p = *params[i];
    bool bound = false;
    Value value;
    if (i < args.positional.size()) {
      value = args.positional[i];
      bound = true;
    } else {
      for (auto it = keywords.begin(); it != keywords.end(); ++it)
        if (it->first == p.name) {
          value = it->second;
          keywords.erase(it);
          bound = true;
          break;
        }
    }
    if (!bound && p.kind == NodeKind::KeywordArgument)
      pendingDefaults.push_back(&p);
    scope.set(p.name, value);
  }
  if (!keywords.empty())
    throw TemplateError(loc, "macro '" + macro.name +
                                 "' takes no keyword argument '" +
                                 keywords[0].first + "'");
  if (args.positional.size() > params.size())
    throw TemplateError(loc, "macro '" + macro.name + "' takes at most " +
                                 std::to_string(params.size()) +
                                 " argument(s)");
  for (const Node *p : pendingDefaults)
    scope.set(p->name, eval(*p->kids[0], scope));
  std::string out;
  execBlock(macro.body, scope, out);
  return Value::string(std::move(out));
}

Value Interpreter::evalMember(const Node &n, Environment &env) {
  Value object = eval(*n.kids[0], env);
  const Node &prop = *n.kids[1];
  Value property;
  if (n.hasArguments)
    property = eval(prop, env);
  else if (prop.kind == NodeKind::IntLiteral)
    property = Value::integer(prop.number);
  else
    property = Value::string(prop.name);
  return getMember(object, property, n.loc);
}

Value Interpreter::evalCall(const Node &n, Environment &env) {
  CallArgs args = evalArguments(n.kids, 1, env);
  Value callee = eval(*n.kids[0], env);
  if (!callee.isFunction()) {
    std::string what = n.kids[0]->kind == NodeKind::Identifier
                           ? "'" + n.kids[0]->name + "'"
                       : n.kids[0]->kind == NodeKind::Member &&
                               !n.kids[0]->hasArguments
                           ? "'" + n.kids[0]->kids[1]->name + "'"
                           : "this";
    throw TemplateError(n.loc, what + " is not a function (it is " +
                                   callee.describe() +
                                   ")");
  }
  return callee.functionData().call(args, env, n.loc);
}

Value Interpreter::eval(const Node &n, Environment &env) {
  DepthGuard guard(*this, n.loc);
  step(n.loc);
  switch (n.kind) {
  case NodeKind::IntLiteral:
    return Value::integer(n.number);
  case NodeKind::FloatLiteral:
    return Value::number(n.real);
  case NodeKind::StringLiteral:
    return Value::string(n.name);
  case NodeKind::ArrayLiteral:
  case NodeKind::TupleLiteral: {
    std::vector<Value> items;
    for (const NodePtr &k : n.kids)
      items.push_back(eval(*k, env));
    return Value::array(std::move(items), n.kind == NodeKind::TupleLiteral);
  }
  case NodeKind::ObjectLiteral: {
    Value object = Value::object();
    for (size_t i = 0; i + 1 < n.kids.size(); i += 2) {
      Value key = eval(*n.kids[i], env);
      if (!key.isString())
        throw TemplateError(n.kids[i]->loc,
                            std::string("object keys must be strings, not ") +
                                key.kindName() + "s");
      object.entries().set(key.asString(), eval(*n.kids[i + 1], env));
    }
    return object;
  }
  case NodeKind::Identifier: {
    const Value *v = env.lookup(n.name);
    return v ? *v : Value::undefined();
  }
  case NodeKind::Member:
    return evalMember(n, env);
  case NodeKind::Slice: {
    Value object = eval(*n.kids[0], env);
    Value parts[3];
    for (int i = 0; i < 3; ++i)
      if (n.kids[size_t(i) + 1])
        parts[i] = eval(*n.kids[size_t(i) + 1], env);
    return sliceOf(object, parts[0], parts[1], parts[2], n.loc);
  }
  case NodeKind::Call:
    return evalCall(n, env);
  case NodeKind::Unary:
    return applyUnary(n.name, eval(*n.kids[0], env), n.loc);
  case NodeKind::Binary: {
    Value left = eval(*n.kids[0], env);
    if (n.name == "and")
      return left.truthy() ? eval(*n.kids[1], env) : left;
    if (n.name == "or")
      return left.truthy() ? left : eval(*n.kids[1], env);
    Value right = eval(*n.kids[1], env);
    Value result = applyBinary(n.name, left, right, n.loc);
    if (result.isString())
      checkSize(result.asString(), n.loc);
    return result;
  }
  case NodeKind::Filter: {
    Value operand = eval(*n.kids[0], env);
    CallArgs args = evalArguments(n.kids, 1, env);
    Value result = applyFilter(n.name, operand, args, n.loc);
    if (result.isString())
      checkSize(result.asString(), n.loc);
    return result;
  }
  case NodeKind::Test: {
    bool r = applyTest(n.name, eval(*n.kids[0], env), n.loc);
    return Value::boolean(n.negated ? !r : r);
  }
  case NodeKind::Ternary:
    return eval(*n.kids[0], env).truthy() ? eval(*n.kids[1], env)
                                          : eval(*n.kids[2], env);
  case NodeKind::Select:
    return eval(*n.kids[1], env).truthy() ? eval(*n.kids[0], env)
                                          : Value::undefined();
  case NodeKind::KeywordArgument:
    throw TemplateError(n.loc, "'" + n.name + "=' outside a call");
  default:
    throw TemplateError(n.loc, "internal error: a statement as an expression");
  }
}
