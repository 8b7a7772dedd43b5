//===- MalformedTemplateTest.cpp - Clear errors, never a crash ------------===//
//
// Templates the engine cannot take (syntax errors, constructs outside the
// subset, hostile input) must fail with one line "LINE:COLUMN: message"
// naming the problem and the place.
//
//===----------------------------------------------------------------------===//
#include "runtime/chat/ChatTemplate.h"

#include <gtest/gtest.h>

using namespace lmc::rt::chat;

namespace {

struct Case {
  const char *source;
  const char *where;   // "LINE:COLUMN"
  const char *message; // a part of the message
};

std::string parseError(const std::string &source) {
  std::string err;
  std::unique_ptr<ChatTemplate> t = ChatTemplate::parse(source, err);
  return t ? "" : err;
}

std::string renderError(const std::string &source,
                        const nlohmann::ordered_json &context =
                            nlohmann::ordered_json::object(),
                        EvaluationLimits limits = EvaluationLimits()) {
  std::string err, out;
  std::unique_ptr<ChatTemplate> t = ChatTemplate::parse(source, err);
  if (!t)
    return "parse: " + err;
  return t->render(context, out, err, Clock(), limits) ? "" : err;
}

void expectError(const std::string &err, const Case &c) {
  SCOPED_TRACE(c.source);
  ASSERT_FALSE(err.empty()) << "accepted";
  SCOPED_TRACE(err);
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  EXPECT_EQ(err.rfind(std::string(c.where) + ": ", 0), 0u) << err;
  EXPECT_NE(err.find(c.message), std::string::npos) << err;
}

} // namespace

TEST(MalformedTemplate, SyntaxErrorsNameThePlace) {
  const Case cases[] = {
      {"{% if x %}never closed", "1:1", "missing '{% endif %}'"},
      {"a\n  {% for m in messages %}\n{{ m }}", "2:3", "missing '{% endfor %}'"},
      {"{% endif %}", "1:1", "unexpected '{% endif %}'"},
      {"{% else %}", "1:1", "unexpected '{% else %}'"},
      {"{{ 'unterminated }}", "1:4", "never closed"},
      {"x {# comment", "1:3", "comment is never closed"},
      {"{{ a ! b }}", "1:6", "unexpected character '!'"},
      {"{{ a | }}", "1:8", "name of a filter"},
      {"{{ a is }}", "1:9", "name of a test"},
      {"{{ (1, 2 }}", "1:10", "expected ')'"},
      {"{{ [1, 2 }}", "1:10", "expected ',' or ']'"},
      {"{{ {'a' 1} }}", "1:9", "':' after a key"},
      {"{{ f(a=1, 2) }}", "1:11", "positional argument follows"},
      {"{{ f(*args) }}", "1:6", "unpacking"},
      {"{{ x[1:2:3:4] }}", "1:12", "at most three parts"},
      {"{{ x[] }}", "1:5", "needs an index"},
      {"{% set 1 = 2 %}", "1:8", "can only assign"},
      {"{% for 1 in x %}{% endfor %}", "1:8", "loop variable"},
      {"{% for x of y %}{% endfor %}", "1:10", "expected 'in'"},
      {"{% macro m(a=1, b) %}{% endmacro %}", "1:17", "follows"},
      {"{% macro m(a, a) %}{% endmacro %}", "1:15", "duplicate parameter"},
      {"{% macro m() %}{{ kwargs }}{% endmacro %}", "1:19", "'kwargs' are not supported"},
      {"{{ x is divisibleby(3) }}", "1:20", "tests with arguments"},
      {"{{ 'bad \\q escape' }}", "1:9", "unknown escape \\q"},
      {"{{ '\\ud800' }}", "1:5", "surrogate"},
      {"{{ 99999999999999999999 }}", "1:4", "does not fit in 64 bits"},
      {"{% %}", "1:4", "statement name"},
      {"{{ }}", "1:4", "expected an expression"},
      {"{{ x ", "1:6", "end of template"},
      {"{{ - }}", "1:6", "expected an expression"},
  };
  for (const Case &c : cases)
    expectError(parseError(c.source), c);
}

TEST(MalformedTemplate, UnsupportedStatementsAreNamed) {
  for (const char *stmt : {"include 'x'", "extends 'base'", "block b",
                           "call m()", "filter upper", "raw", "with a = 1",
                           "import 'x' as y"}) {
    std::string source = std::string("ok\n{% ") + stmt + " %}";
    std::string head = std::string(stmt).substr(0, std::string(stmt).find(' '));
    expectError(parseError(source), {source.c_str(), "2:1",
                                     ("'{% " + head + " %}' is not supported")
                                         .c_str()});
  }
  expectError(parseError("{% frobnicate %}"),
              {"{% frobnicate %}", "1:1", "unknown statement 'frobnicate'"});
}

TEST(MalformedTemplate, RuntimeErrorsNameThePlace) {
  const Case cases[] = {
      {"{{ x.z() }}", "1:7", "'z' is not a function (it is undefined)"},
      {"{{ x.y() }}", "1:7", "'y' is not a function (it is an integer)"},
      {"line\n{{ 1 + none }}", "2:6", "on none"},
      {"{{ 1 / 0 }}", "1:6", "division by zero"},
      {"{{ 9223372036854775807 + 1 }}", "1:24", "integer overflow"},
      {"{% for c in 5 %}{% endfor %}", "1:13", "cannot loop over an integer"},
      {"{% break %}", "1:1", "outside a loop"},
      {"{{ raise_exception('stop here') }}", "1:19", "raised an error: stop here"},
      {"{{ range(10000000) }}", "1:9", "more than 1000000"},
      {"{{ 'Ä'.upper() }}", "1:13", "only ASCII letters"},
      {"{{ {'a': 1}|tojson(sort_keys=true) }}", "1:12", "sort_keys"},
      {"{{ range|tojson }}", "1:9", "cannot be converted to JSON"},
      {"{{ 'a'.split('') }}", "1:13", "empty separator"},
      {"{% set a, b = [1] %}", "1:8", "cannot unpack 1 values into 2 names"},
      {"{{ [1][0:'a'] }}", "1:7", "slice bounds must be integers"},
      {"{{ {1: 2} }}", "1:5", "object keys must be strings"},
      {"{{ d.dictsort() }}", "1:14", "dictsort() is not supported"},
  };
  nlohmann::ordered_json context = {{"x", {{"y", 1}}}, {"d", {{"a", 1}}}};
  for (const Case &c : cases)
    expectError(renderError(c.source, context), c);
}

TEST(MalformedTemplate, HostileTemplatesEndWithAnError) {
  // Deep nesting: an error, not a stack overflow.
  std::string deep = "{{ " + std::string(5000, '(') + "1" +
                     std::string(5000, ')') + " }}";
  EXPECT_NE(parseError(deep).find("nests deeper"), std::string::npos);
  std::string deepBlocks;
  for (int i = 0; i < 5000; ++i)
    deepBlocks += "{% if true %}";
  EXPECT_NE(parseError(deepBlocks).find("nests deeper"), std::string::npos);
  // Unbounded recursion.
  EXPECT_NE(renderError("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")
                .find("deeper than"),
            std::string::npos);
  // Exponential output.
  EXPECT_NE(renderError("{% set ns = namespace(s='x') %}{% for i in range(80) "
                        "%}{% set ns.s = ns.s ~ ns.s %}{% endfor %}")
                .find("grows beyond"),
            std::string::npos);
  // Too much work (with a small budget, to keep the test quick).
  EvaluationLimits small;
  small.maxSteps = 100000;
  EXPECT_NE(renderError("{% for a in range(1000) %}{% for b in range(1000) "
                        "%}{% endfor %}{% endfor %}",
                        nlohmann::ordered_json::object(), small)
                .find("steps"),
            std::string::npos);
  // Stray bytes and NULs are text like any other.
  const char raw[] = "a\0\xff\xfe{{ 'z' }}";
  std::string bytes(raw, sizeof raw - 1);
  std::string err, out;
  auto t = ChatTemplate::parse(bytes, err);
  ASSERT_TRUE(t) << err;
  ASSERT_TRUE(t->render(nlohmann::ordered_json::object(), out, err)) << err;
  EXPECT_EQ(out, std::string("a\0\xff\xfez", 5));
}

TEST(MalformedTemplate, ContextMustBeAnObjectWithoutBuiltinNames) {
  std::string err, out;
  auto t = ChatTemplate::parse("{{ messages }}", err);
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->render(nlohmann::ordered_json::array(), out, err));
  EXPECT_NE(err.find("must be a JSON object"), std::string::npos);
  EXPECT_FALSE(t->render({{"range", 1}}, out, err));
  EXPECT_NE(err.find("cannot define 'range'"), std::string::npos);
}

TEST(MalformedTemplate, RandomBytesNeverCrash) {
  // Fragments of template syntax shuffled together: every outcome is
  // either a render or a one-line error.
  const char *pieces[] = {"{%", "%}", "{{", "}}", "{#", "#}", "-", "if", "for",
                          " x ", "in", "[", "]", "(", ")", "'", "\"", "|",
                          "endif", "endfor", "set", "=", "1", ".", ":", ",",
                          "\n", "\\", "not", "is", "{", "}", "macro", "~"};
  uint64_t state = 42;
  size_t n = sizeof(pieces) / sizeof(pieces[0]);
  for (int round = 0; round < 3000; ++round) {
    std::string source;
    int len = 1 + int(state % 24);
    for (int i = 0; i < len; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      source += pieces[(state >> 33) % n];
    }
    std::string err, out;
    auto t = ChatTemplate::parse(source, err);
    if (t && !t->render({{"x", {1, 2}}}, out, err))
      EXPECT_EQ(err.find('\n'), std::string::npos) << source;
  }
}
