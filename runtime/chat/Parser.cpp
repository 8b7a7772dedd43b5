//===- Parser.cpp - Tokens to the syntax tree of a chat template ----------===//
#include "runtime/chat/Parser.h"

#include <cerrno>
#include <cstdlib>
#include <initializer_list>

using namespace lmc::rt::chat;

namespace {

/// Nesting beyond this (brackets, blocks, `not not ...`) is an error rather
/// than a stack overflow.
constexpr int kMaxNesting = 200;

const char *const kUnsupportedStatements[] = {
    "call", "filter", "include", "import", "from", "extends", "block", "raw",
    "with", "autoescape", "do", "trans"};

class Parser {
public:
  explicit Parser(const std::vector<Token> &tokens) : t_(tokens) {}

  NodeList run() {
    NodeList program;
    while (cur_ < t_.size())
      program.push_back(parseAny());
    return program;
  }

private:
  struct DepthGuard {
    DepthGuard(Parser &p, SourceLoc loc) : p(p) {
      if (++p.depth_ > kMaxNesting)
        throw TemplateError(loc, "the template nests deeper than " +
                                     std::to_string(kMaxNesting) + " levels");
    }
    ~DepthGuard() { --p.depth_; }
    Parser &p;
  };

  bool atEnd() const { return cur_ >= t_.size(); }
  const Token &peek(size_t ahead = 0) const { return t_[cur_ + ahead]; }
  SourceLoc here() const {
    if (!atEnd())
      return peek().loc;
    return t_.empty() ? SourceLoc{1, 1} : t_.back().loc;
  }
  bool is(TokenType type) const { return !atEnd() && peek().type == type; }
  bool isIdentifier(const char *name, size_t ahead = 0) const {
    return cur_ + ahead < t_.size() &&
           t_[cur_ + ahead].type == TokenType::Identifier &&
           t_[cur_ + ahead].value == name;
  }
  bool isStatement(std::initializer_list<const char *> names) const {
    if (cur_ + 1 >= t_.size() || peek().type != TokenType::OpenStatement ||
        peek(1).type != TokenType::Identifier)
      return false;
    for (const char *n : names)
      if (peek(1).value == n)
        return true;
    return false;
  }
  [[noreturn]] void failHere(const std::string &message) const {
    throw TemplateError(here(), message);
  }
  const Token &expect(TokenType type, const char *what) {
    if (atEnd())
      failHere(std::string("expected ") + what + " but the template ended");
    if (peek().type != type)
      failHere(std::string("expected ") + what + " but found " +
               describeToken(peek()));
    return t_[cur_++];
  }
  void expectIdentifier(const char *name) {
    if (!isIdentifier(name)) {
      if (atEnd())
        failHere(std::string("expected '") + name + "' but the template ended");
      failHere(std::string("expected '") + name + "' but found " +
               describeToken(peek()));
    }
    ++cur_;
  }
  /// Statements up to one of the names (not consumed); opener names the
  /// block in the error when the template ends first.
  NodeList parseBlockUntil(std::initializer_list<const char *> names,
                           const char *endTag, SourceLoc opener) {
    NodeList body;
    while (!isStatement(names)) {
      if (atEnd())
        throw TemplateError(opener, std::string("this block is never closed "
                                                "(missing '{% ") +
                                        endTag + " %}')");
      body.push_back(parseAny());
    }
    return body;
  }
  void expectEndTag(const char *name) {
    expect(TokenType::OpenStatement, "'{%'");
    expectIdentifier(name);
    expect(TokenType::CloseStatement, "'%}'");
  }

  NodePtr node(NodeKind kind, SourceLoc loc) {
    return std::make_unique<Node>(kind, loc);
  }

  NodePtr parseAny();
  NodePtr parseStatement();
  NodePtr parseSet(SourceLoc loc);
  NodePtr parseIf(SourceLoc loc);
  NodePtr parseFor(SourceLoc loc);
  NodePtr parseMacro(SourceLoc loc);

  NodePtr parseExpressionSequence(bool primaryOnly);
  NodePtr parseExpression();
  NodePtr parseOr();
  NodePtr parseAnd();
  NodePtr parseNot();
  NodePtr parseComparison();
  NodePtr parseAdditive();
  NodePtr parseMultiplicative();
  NodePtr parsePower();
  NodePtr parseTest();
  NodePtr parseFilter();
  NodePtr parseUnarySign();
  NodePtr parseCallMember();
  NodePtr parseCall(NodePtr callee);
  void parseArguments(NodeList &into);
  NodePtr parseMember(NodePtr object);
  NodePtr parsePrimary();

  const std::vector<Token> &t_;
  size_t cur_ = 0;
  int depth_ = 0;
  int macroDepth_ = 0;
};

NodePtr Parser::parseAny() {
  const Token &tok = peek();
  switch (tok.type) {
  case TokenType::Comment: {
    ++cur_;
    return node(NodeKind::Comment, tok.loc);
  }
  case TokenType::Text: {
    NodePtr n = node(NodeKind::Text, tok.loc);
    n->name = tok.value;
    ++cur_;
    return n;
  }
  case TokenType::OpenStatement:
    return parseStatement();
  case TokenType::OpenExpression: {
    NodePtr n = node(NodeKind::Output, tok.loc);
    ++cur_;
    n->kids.push_back(parseExpression());
    expect(TokenType::CloseExpression, "'}}'");
    return n;
  }
  default:
    failHere("unexpected " + describeToken(tok));
  }
}

NodePtr Parser::parseStatement() {
  SourceLoc loc = peek().loc;
  DepthGuard guard(*this, loc);
  expect(TokenType::OpenStatement, "'{%'");
  if (atEnd() || peek().type != TokenType::Identifier)
    failHere("expected a statement name after '{%'");
  std::string name = peek().value;
  ++cur_;
  if (name == "set")
    return parseSet(loc);
  if (name == "if") {
    NodePtr n = parseIf(loc);
    expectEndTag("endif");
    return n;
  }
  if (name == "for") {
    NodePtr n = parseFor(loc);
    expectEndTag("endfor");
    return n;
  }
  if (name == "macro") {
    NodePtr n = parseMacro(loc);
    expectEndTag("endmacro");
    return n;
  }
  if (name == "break" || name == "continue") {
    expect(TokenType::CloseStatement, "'%}'");
    return node(name == "break" ? NodeKind::Break : NodeKind::Continue, loc);
  }
  for (const char *unsupported : kUnsupportedStatements)
    if (name == unsupported)
      throw TemplateError(loc, "'{% " + name +
                                   " %}' is not supported in chat templates");
  if (name.compare(0, 3, "end") == 0 || name == "elif" || name == "else")
    throw TemplateError(loc, "unexpected '{% " + name + " %}'");
  throw TemplateError(loc, "unknown statement '" + name + "'");
}

NodePtr Parser::parseSet(SourceLoc loc) {
  NodePtr n = node(NodeKind::Set, loc);
  NodePtr target = parseExpressionSequence(false);
  bool member = target->kind == NodeKind::Member &&
                target->kids[1]->kind == NodeKind::StringLiteral &&
                !target->hasArguments;
  bool tupleOfNames = target->kind == NodeKind::TupleLiteral;
  for (const NodePtr &k : target->kids)
    tupleOfNames = tupleOfNames && k->kind == NodeKind::Identifier;
  if (target->kind != NodeKind::Identifier && !member && !tupleOfNames)
    throw TemplateError(target->loc,
                        "can only assign to a name, a tuple of names or a "
                        "namespace attribute");
  n->kids.push_back(std::move(target));
  if (is(TokenType::Equals)) {
    ++cur_;
    n->kids.push_back(parseExpressionSequence(false));
  } else {
    expect(TokenType::CloseStatement, "'=' or '%}'");
    n->kids.push_back(nullptr);
    n->body = parseBlockUntil({"endset"}, "endset", loc);
    expect(TokenType::OpenStatement, "'{%'");
    expectIdentifier("endset");
  }
  expect(TokenType::CloseStatement, "'%}'");
  return n;
}

NodePtr Parser::parseIf(SourceLoc loc) {
  NodePtr n = node(NodeKind::If, loc);
  n->kids.push_back(parseExpression());
  expect(TokenType::CloseStatement, "'%}'");
  n->body = parseBlockUntil({"elif", "else", "endif"}, "endif", loc);
  if (isStatement({"elif"})) {
    SourceLoc elifLoc = peek().loc;
    cur_ += 2;
    n->orElse.push_back(parseIf(elifLoc));
  } else if (isStatement({"else"})) {
    cur_ += 2;
    expect(TokenType::CloseStatement, "'%}'");
    n->orElse = parseBlockUntil({"endif"}, "endif", loc);
  }
  return n;
}

NodePtr Parser::parseFor(SourceLoc loc) {
  NodePtr n = node(NodeKind::For, loc);
  NodePtr target = parseExpressionSequence(true);
  bool ok = target->kind == NodeKind::Identifier;
  if (target->kind == NodeKind::TupleLiteral) {
    ok = true;
    for (const NodePtr &k : target->kids)
      ok = ok && k->kind == NodeKind::Identifier;
  }
  if (!ok)
    throw TemplateError(target->loc,
                        "the loop variable must be a name or names");
  if (!isIdentifier("in"))
    failHere("expected 'in' after the loop variable");
  ++cur_;
  NodePtr iterable = parseExpression();
  n->kids.push_back(std::move(target));
  if (iterable->kind == NodeKind::Select) {
    n->kids.push_back(std::move(iterable->kids[0]));
    n->kids.push_back(std::move(iterable->kids[1]));
  } else {
    n->kids.push_back(std::move(iterable));
    n->kids.push_back(nullptr);
  }
  expect(TokenType::CloseStatement, "'%}'");
  n->body = parseBlockUntil({"endfor", "else"}, "endfor", loc);
  if (isStatement({"else"})) {
    cur_ += 2;
    expect(TokenType::CloseStatement, "'%}'");
    n->orElse = parseBlockUntil({"endfor"}, "endfor", loc);
  }
  return n;
}

NodePtr Parser::parseMacro(SourceLoc loc) {
  NodePtr n = node(NodeKind::Macro, loc);
  if (!is(TokenType::Identifier))
    failHere("expected the macro's name");
  n->name = peek().value;
  ++cur_;
  expect(TokenType::OpenParen, "'('");
  NodeList params;
  parseArguments(params);
  bool sawDefault = false;
  for (size_t i = 0; i < params.size(); ++i) {
    const NodePtr &p = params[i];
    if (p->kind != NodeKind::Identifier && p->kind != NodeKind::KeywordArgument)
      throw TemplateError(p->loc, "a macro parameter must be a name");
    if (p->kind == NodeKind::KeywordArgument)
      sawDefault = true;
    else if (sawDefault)
      throw TemplateError(p->loc, "a parameter without a default follows one "
                                  "with a default");
    for (size_t j = 0; j < i; ++j)
      if (params[j]->name == p->name)
        throw TemplateError(p->loc, "duplicate parameter '" + p->name + "'");
  }
  n->kids = std::move(params);
  expect(TokenType::CloseStatement, "'%}'");
  ++macroDepth_;
  n->body = parseBlockUntil({"endmacro"}, "endmacro", loc);
  --macroDepth_;
  return n;
}

NodePtr Parser::parseExpressionSequence(bool primaryOnly) {
  SourceLoc loc = here();
  NodePtr first = primaryOnly ? parsePrimary() : parseExpression();
  if (!is(TokenType::Comma))
    return first;
  NodePtr tuple = node(NodeKind::TupleLiteral, loc);
  tuple->kids.push_back(std::move(first));
  while (is(TokenType::Comma)) {
    ++cur_;
    tuple->kids.push_back(primaryOnly ? parsePrimary() : parseExpression());
  }
  return tuple;
}

NodePtr Parser::parseExpression() {
  DepthGuard guard(*this, here());
  NodePtr value = parseOr();
  if (!isIdentifier("if"))
    return value;
  SourceLoc loc = peek().loc;
  ++cur_;
  NodePtr test = parseOr();
  if (isIdentifier("else")) {
    ++cur_;
    NodePtr n = node(NodeKind::Ternary, loc);
    n->kids.push_back(std::move(test));
    n->kids.push_back(std::move(value));
    n->kids.push_back(parseExpression());
    return n;
  }
  NodePtr n = node(NodeKind::Select, loc);
  n->kids.push_back(std::move(value));
  n->kids.push_back(std::move(test));
  return n;
}

NodePtr Parser::parseOr() {
  NodePtr left = parseAnd();
  while (isIdentifier("or")) {
    NodePtr n = node(NodeKind::Binary, peek().loc);
    ++cur_;
    n->name = "or";
    n->kids.push_back(std::move(left));
    n->kids.push_back(parseAnd());
    left = std::move(n);
  }
  return left;
}

NodePtr Parser::parseAnd() {
  NodePtr left = parseNot();
  while (isIdentifier("and")) {
    NodePtr n = node(NodeKind::Binary, peek().loc);
    ++cur_;
    n->name = "and";
    n->kids.push_back(std::move(left));
    n->kids.push_back(parseNot());
    left = std::move(n);
  }
  return left;
}

NodePtr Parser::parseNot() {
  if (!isIdentifier("not"))
    return parseComparison();
  DepthGuard guard(*this, peek().loc);
  NodePtr n = node(NodeKind::Unary, peek().loc);
  ++cur_;
  n->name = "not";
  n->kids.push_back(parseNot());
  return n;
}

NodePtr Parser::parseComparison() {
  NodePtr left = parseAdditive();
  for (;;) {
    std::string op;
    SourceLoc loc = here();
    if (isIdentifier("not") && isIdentifier("in", 1)) {
      op = "not in";
      cur_ += 2;
    } else if (isIdentifier("in")) {
      op = "in";
      ++cur_;
    } else if (is(TokenType::ComparisonOperator)) {
      op = peek().value;
      ++cur_;
    } else {
      return left;
    }
    NodePtr n = node(NodeKind::Binary, loc);
    n->name = op;
    n->kids.push_back(std::move(left));
    n->kids.push_back(parseAdditive());
    left = std::move(n);
  }
}

NodePtr Parser::parseAdditive() {
  NodePtr left = parseMultiplicative();
  while (is(TokenType::AdditiveOperator)) {
    NodePtr n = node(NodeKind::Binary, peek().loc);
    n->name = peek().value;
    ++cur_;
    n->kids.push_back(std::move(left));
    n->kids.push_back(parseMultiplicative());
    left = std::move(n);
  }
  return left;
}

NodePtr Parser::parseMultiplicative() {
  NodePtr left = parsePower();
  while (is(TokenType::MultiplicativeOperator)) {
    NodePtr n = node(NodeKind::Binary, peek().loc);
    n->name = peek().value;
    ++cur_;
    n->kids.push_back(std::move(left));
    n->kids.push_back(parsePower());
    left = std::move(n);
  }
  return left;
}

NodePtr Parser::parsePower() {
  // Left-associative, as in Jinja: 2 ** 3 ** 2 == (2 ** 3) ** 2.
  NodePtr left = parseTest();
  while (is(TokenType::PowerOperator)) {
    NodePtr n = node(NodeKind::Binary, peek().loc);
    n->name = "**";
    ++cur_;
    n->kids.push_back(std::move(left));
    n->kids.push_back(parseTest());
    left = std::move(n);
  }
  return left;
}

NodePtr Parser::parseTest() {
  NodePtr operand = parseFilter();
  while (isIdentifier("is")) {
    NodePtr n = node(NodeKind::Test, peek().loc);
    ++cur_;
    if (isIdentifier("not")) {
      n->negated = true;
      ++cur_;
    }
    if (!is(TokenType::Identifier))
      failHere("expected the name of a test after 'is'");
    n->name = peek().value;
    ++cur_;
    if (is(TokenType::OpenParen))
      failHere("tests with arguments ('is " + n->name +
               "(...)') are not supported");
    n->kids.push_back(std::move(operand));
    operand = std::move(n);
  }
  return operand;
}

NodePtr Parser::parseFilter() {
  NodePtr operand = parseUnarySign();
  while (is(TokenType::Pipe)) {
    NodePtr n = node(NodeKind::Filter, peek().loc);
    ++cur_;
    if (!is(TokenType::Identifier))
      failHere("expected the name of a filter after '|'");
    n->name = peek().value;
    ++cur_;
    n->kids.push_back(std::move(operand));
    if (is(TokenType::OpenParen)) {
      ++cur_;
      n->hasArguments = true;
      parseArguments(n->kids);
    }
    operand = std::move(n);
  }
  return operand;
}

NodePtr Parser::parseUnarySign() {
  if ((is(TokenType::UnaryOperator) || is(TokenType::AdditiveOperator)) &&
      (peek().value == "-" || peek().value == "+")) {
    DepthGuard guard(*this, peek().loc);
    NodePtr n = node(NodeKind::Unary, peek().loc);
    n->name = peek().value;
    ++cur_;
    n->kids.push_back(parseUnarySign());
    return n;
  }
  return parseCallMember();
}

NodePtr Parser::parseCallMember() {
  NodePtr member = parseMember(parsePrimary());
  if (is(TokenType::OpenParen))
    return parseCall(std::move(member));
  return member;
}

NodePtr Parser::parseCall(NodePtr callee) {
  NodePtr n = node(NodeKind::Call, peek().loc);
  expect(TokenType::OpenParen, "'('");
  n->kids.push_back(std::move(callee));
  parseArguments(n->kids);
  NodePtr result = parseMember(std::move(n));
  if (is(TokenType::OpenParen))
    return parseCall(std::move(result));
  return result;
}

/// After '(': arguments up to and including ')'. Positional ones first, then
/// name=value ones.
void Parser::parseArguments(NodeList &into) {
  bool sawKeyword = false;
  while (!is(TokenType::CloseParen)) {
    if (atEnd())
      failHere("expected ')' but the template ended");
    if (is(TokenType::PowerOperator) ||
        (is(TokenType::MultiplicativeOperator) && peek().value == "*"))
      failHere("argument unpacking ('*', '**') is not supported");
    NodePtr arg = parseExpression();
    if (is(TokenType::Equals)) {
      ++cur_;
      if (arg->kind != NodeKind::Identifier)
        throw TemplateError(arg->loc, "expected a name before '='");
      NodePtr kw = node(NodeKind::KeywordArgument, arg->loc);
      kw->name = arg->name;
      kw->kids.push_back(parseExpression());
      arg = std::move(kw);
      sawKeyword = true;
    } else if (sawKeyword) {
      throw TemplateError(arg->loc, "a positional argument follows a keyword "
                                    "argument");
    }
    into.push_back(std::move(arg));
    if (is(TokenType::Comma))
      ++cur_;
    else if (!is(TokenType::CloseParen))
      failHere(atEnd() ? "expected ')' but the template ended"
                       : "expected ',' or ')' but found " +
                             describeToken(peek()));
  }
  ++cur_;
}

NodePtr Parser::parseMember(NodePtr object) {
  while (is(TokenType::Dot) || is(TokenType::OpenSquareBracket)) {
    SourceLoc loc = peek().loc;
    bool computed = peek().type == TokenType::OpenSquareBracket;
    ++cur_;
    if (!computed) {
      NodePtr n = node(NodeKind::Member, loc);
      NodePtr property;
      if (is(TokenType::Identifier)) {
        property = node(NodeKind::StringLiteral, peek().loc);
        property->name = peek().value;
      } else if (is(TokenType::NumericLiteral) &&
                 peek().value.find_first_not_of("0123456789") ==
                     std::string::npos) {
        property = node(NodeKind::IntLiteral, peek().loc);
        property->number = std::strtoll(peek().value.c_str(), nullptr, 10);
      } else {
        failHere("expected a name or an index after '.'");
      }
      ++cur_;
      n->kids.push_back(std::move(object));
      n->kids.push_back(std::move(property));
      object = std::move(n);
      continue;
    }
    // [index] or [start:stop:step] with any part left out.
    NodeList parts;
    bool slice = false;
    int colons = 0;
    NodePtr pending;
    while (!is(TokenType::CloseSquareBracket)) {
      if (atEnd())
        failHere("expected ']' but the template ended");
      if (is(TokenType::Colon)) {
        parts.push_back(std::move(pending));
        ++cur_;
        slice = true;
        if (++colons > 2)
          failHere("a slice has at most three parts");
        continue;
      }
      if (pending)
        failHere("expected ':' or ']' but found " + describeToken(peek()));
      pending = parseExpression();
    }
    ++cur_;
    if (!slice) {
      if (!pending)
        throw TemplateError(loc, "'[]' needs an index");
      NodePtr n = node(NodeKind::Member, loc);
      n->hasArguments = true; // computed: a[b]
      n->kids.push_back(std::move(object));
      n->kids.push_back(std::move(pending));
      object = std::move(n);
      continue;
    }
    parts.push_back(std::move(pending));
    NodePtr n = node(NodeKind::Slice, loc);
    n->kids.push_back(std::move(object));
    for (NodePtr &p : parts)
      n->kids.push_back(std::move(p));
    while (n->kids.size() < 4)
      n->kids.push_back(nullptr);
    object = std::move(n);
  }
  return object;
}

NodePtr Parser::parsePrimary() {
  if (atEnd())
    failHere("expected an expression but the template ended");
  const Token &tok = peek();
  ++cur_;
  switch (tok.type) {
  case TokenType::NumericLiteral: {
    if (tok.value.find('.') != std::string::npos) {
      NodePtr n = node(NodeKind::FloatLiteral, tok.loc);
      n->real = std::strtod(tok.value.c_str(), nullptr);
      return n;
    }
    NodePtr n = node(NodeKind::IntLiteral, tok.loc);
    errno = 0;
    n->number = std::strtoll(tok.value.c_str(), nullptr, 10);
    if (errno == ERANGE)
      throw TemplateError(tok.loc, "the number " + tok.value +
                                       " does not fit in 64 bits");
    return n;
  }
  case TokenType::StringLiteral: {
    NodePtr n = node(NodeKind::StringLiteral, tok.loc);
    n->name = tok.value;
    // Adjacent literals join: "a" "b" is "ab".
    while (is(TokenType::StringLiteral))
      n->name += t_[cur_++].value;
    return n;
  }
  case TokenType::Identifier: {
    if (macroDepth_ > 0 && (tok.value == "kwargs" || tok.value == "varargs" ||
                            tok.value == "caller"))
      throw TemplateError(tok.loc, "macros that use '" + tok.value +
                                       "' are not supported");
    NodePtr n = node(NodeKind::Identifier, tok.loc);
    n->name = tok.value;
    return n;
  }
  case TokenType::OpenParen: {
    DepthGuard guard(*this, tok.loc);
    NodePtr e = parseExpressionSequence(false);
    expect(TokenType::CloseParen, "')'");
    return e;
  }
  case TokenType::OpenSquareBracket: {
    DepthGuard guard(*this, tok.loc);
    NodePtr n = node(NodeKind::ArrayLiteral, tok.loc);
    while (!is(TokenType::CloseSquareBracket)) {
      if (atEnd())
        failHere("expected ']' but the template ended");
      n->kids.push_back(parseExpression());
      if (is(TokenType::Comma))
        ++cur_;
      else if (!is(TokenType::CloseSquareBracket))
        failHere(atEnd() ? "expected ']' but the template ended"
                         : "expected ',' or ']' but found " +
                               describeToken(peek()));
    }
    ++cur_;
    return n;
  }
  case TokenType::OpenCurlyBracket: {
    DepthGuard guard(*this, tok.loc);
    NodePtr n = node(NodeKind::ObjectLiteral, tok.loc);
    while (!is(TokenType::CloseCurlyBracket)) {
      if (atEnd())
        failHere("expected '}' but the template ended");
      n->kids.push_back(parseExpression());
      expect(TokenType::Colon, "':' after a key");
      n->kids.push_back(parseExpression());
      if (is(TokenType::Comma))
        ++cur_;
      else if (!is(TokenType::CloseCurlyBracket))
        failHere(atEnd() ? "expected '}' but the template ended"
                         : "expected ',' or '}' but found " +
                               describeToken(peek()));
    }
    ++cur_;
    return n;
  }
  default:
    throw TemplateError(tok.loc, "expected an expression but found " +
                                     describeToken(tok));
  }
}

} // namespace

NodeList lmc::rt::chat::parse(const std::vector<Token> &tokens) {
  return Parser(tokens).run();
}
