//===- Interpreter.h - Evaluating a chat template ---------------*- C++ -*-===//
//
// Walks the syntax tree with @huggingface/jinja's scoping: a for loop gets
// one scope for all its iterations (a `set` in the body is seen by later
// iterations but not after the loop), `if` bodies share their enclosing
// scope, a macro call gets a scope whose parent is the caller's (macros see
// the caller's variables), and namespace attributes are the way to carry a
// value out of a loop. An iteration left by break or continue loses the
// text it had written, as in the reference.
//
// Evaluation is bounded (nesting depth, steps, output size), so a hostile
// template ends with an error, not a crash or a hang.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CHAT_INTERPRETER_H
#define LMC_RUNTIME_CHAT_INTERPRETER_H

#include "runtime/chat/AST.h"
#include "runtime/chat/Value.h"

#include <cstdint>
#include <string>
#include <unordered_map>

namespace lmc::rt::chat {

class Environment {
public:
  explicit Environment(Environment *parent = nullptr) : parent_(parent) {}
  /// The nearest binding of name, or null.
  const Value *lookup(const std::string &name) const;
  /// Binds name in this scope (shadowing outer ones).
  void set(const std::string &name, Value value);

private:
  std::unordered_map<std::string, Value> vars_;
  Environment *parent_;
};

struct EvaluationLimits {
  /// Bytes of output, and of any one string value.
  size_t maxText = 64u << 20;
  /// Nested evaluations (expressions, blocks, macro calls).
  int maxDepth = 1000;
  /// Nodes evaluated and loop iterations in one render (about 10 s of work).
  uint64_t maxSteps = 100000000;
};

class Interpreter {
public:
  explicit Interpreter(EvaluationLimits limits = {}) : limits_(limits) {}

  /// Renders program with globals as the outermost scope; throws
  /// TemplateError.
  std::string run(const NodeList &program, Environment &globals);

private:
  struct DepthGuard;

  void execBlock(const NodeList &block, Environment &env, std::string &out);
  void exec(const Node &n, Environment &env, std::string &out);
  void execFor(const Node &n, Environment &env, std::string &out);
  void execSet(const Node &n, Environment &env);
  void assign(const Node &target, const Value &value, Environment &env);

  Value eval(const Node &n, Environment &env);
  Value evalMember(const Node &n, Environment &env);
  Value evalCall(const Node &n, Environment &env);
  CallArgs evalArguments(const NodeList &kids, size_t first, Environment &env);
  Value callMacro(const Node &macro, CallArgs &args, Environment &caller,
                  SourceLoc loc);

  void step(SourceLoc loc);
  void checkSize(const std::string &s, SourceLoc loc) const;

  EvaluationLimits limits_;
  int depth_ = 0;
  uint64_t steps_ = 0;
};

} // namespace lmc::rt::chat

#endif // LMC_RUNTIME_CHAT_INTERPRETER_H
