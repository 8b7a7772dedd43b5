//===- AST.h - The syntax tree of a chat template ---------------*- C++ -*-===//
//
// One node type with a kind tag; what its fields hold depends on the kind
// (listed below). Statements produce text when evaluated, expressions
// values; a template is a list of statements.
//
//   Text        name: the text
//   Comment     -
//   Output      kids[0]: the expression of {{ ... }}
//   If          kids[0]: test; body; orElse (an elif is a nested If there)
//   For         kids[0]: target (Identifier or Tuple); kids[1]: iterable;
//               kids[2]: loop filter (`for x in xs if c`) or null;
//               body; orElse (rendered when nothing was iterated)
//   Set         kids[0]: target (Identifier, Tuple or non-computed Member);
//               kids[1]: value, or null for {% set x %}body{% endset %}
//   Macro       name; kids: parameters (Identifier or KeywordArgument with
//               the default); body
//   Break, Continue
//
//   IntLiteral (number), FloatLiteral (real), StringLiteral (name)
//   ArrayLiteral, TupleLiteral   kids: the elements
//   ObjectLiteral               kids: key0, value0, key1, value1, ...
//   Identifier                  name
//   Member      kids[0]: object; kids[1]: the property: for `a[b]` the
//               expression b (hasArguments is set: computed), for `a.b` the
//               StringLiteral "b", for `a.0` the IntLiteral 0
//   Slice       kids[0]: object; kids[1..3]: start, stop, step (each may be
//               null)
//   Call        kids[0]: callee; kids[1..]: arguments
//   KeywordArgument   name; kids[0]: the value
//   Unary       name: "not", "-" or "+"; kids[0]
//   Binary      name: the operator ("and", "in", "not in", "~", "==", ...);
//               kids[0], kids[1]
//   Filter      kids[0]: operand; name: the filter; kids[1..]: arguments;
//               hasArguments: written as a call (`|join(", ")`)
//   Test        kids[0]: operand; name: the test; negated (`is not`)
//   Ternary     kids[0]: condition; kids[1]: if true; kids[2]: if false
//   Select      kids[0]: value; kids[1]: condition (`x if c` without else:
//               undefined when c is false)
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CHAT_AST_H
#define LMC_RUNTIME_CHAT_AST_H

#include "runtime/chat/TemplateError.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lmc::rt::chat {

enum class NodeKind {
  Text, Comment, Output, If, For, Set, Macro, Break, Continue,
  IntLiteral, FloatLiteral, StringLiteral, ArrayLiteral, TupleLiteral,
  ObjectLiteral, Identifier, Member, Slice, Call, KeywordArgument, Unary,
  Binary, Filter, Test, Ternary, Select,
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using NodeList = std::vector<NodePtr>;

struct Node {
  Node(NodeKind kind, SourceLoc loc) : kind(kind), loc(loc) {}

  NodeKind kind;
  SourceLoc loc;
  std::string name;
  int64_t number = 0;
  double real = 0;
  bool negated = false;
  bool hasArguments = false;
  NodeList kids;
  NodeList body;
  NodeList orElse;
};

} // namespace lmc::rt::chat

#endif // LMC_RUNTIME_CHAT_AST_H
