//===- HarmonyRenderer.h - GPT-OSS conversations as harmony text -*- C++ -*-===//
//
// OpenAI's harmony format, written natively (no template engine) and byte
// for byte as GPT-OSS's own chat template renders it:
//
//   <|start|>system<|message|>IDENTITY\nKnowledge cutoff: 2024-06\n
//     Current date: YYYY-MM-DD\n\nReasoning: low|medium|high\n\n
//     # Valid channels: analysis, commentary, final. ...<|end|>
//   <|start|>developer<|message|># Instructions\n\nSYSTEM PROMPT\n\n
//     # Tools\n\n## functions\n\nnamespace functions { TypeScript-like
//     declarations of the tools } // namespace functions<|end|>
//   <|start|>user<|message|>TEXT<|end|>
//   <|start|>assistant<|channel|>analysis<|message|>REASONING<|end|>
//   <|start|>assistant to=functions.NAME<|channel|>commentary json<|message|>
//     ARGUMENTS<|call|>
//   <|start|>functions.NAME to=assistant<|channel|>commentary<|message|>
//     "RESULT AS JSON"<|end|>
//   <|start|>assistant<|channel|>final<|message|>ANSWER<|end|>
//   <|start|>assistant                      (the generation prompt)
//
// The input is the template's: OpenAI-style messages (role, content,
// thinking, tool_calls), tools, add_generation_prompt, reasoning_effort,
// model_identity. As the template does, it keeps the analysis of a turn
// only before a tool call that no final answer follows, and of a last
// assistant message without a generation prompt (training), and refuses
// the inputs the template refuses with the template's messages.
// builtin_tools (browser, python) are not written natively: an error.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CHAT_HARMONYRENDERER_H
#define LMC_RUNTIME_CHAT_HARMONYRENDERER_H

#include <nlohmann/json.hpp>

#include <string>

namespace lmc::rt::chat {

/// Renders context (messages, tools, add_generation_prompt,
/// reasoning_effort, model_identity) with date as the current date
/// (YYYY-MM-DD). False with a one-line err.
bool renderHarmony(const nlohmann::ordered_json &context,
                   const std::string &date, std::string &out,
                   std::string &err);

} // namespace lmc::rt::chat

#endif // LMC_RUNTIME_CHAT_HARMONYRENDERER_H
