//===- HarmonyParser.h - Splitting generated harmony into messages -*- C++ -*-===//
//
// GPT-OSS answers in harmony messages, each
//
//   [<|start|>]ROLE[ to=RECIPIENT]<|channel|>CHANNEL[ to=RECIPIENT]
//     [ TYPE | <|constrain|>TYPE]<|message|>CONTENT(<|end|>|<|return|>|<|call|>)
//
// Generation continues a prompt ending in "<|start|>assistant", so the first
// header starts right at <|channel|>. The parser takes the generated stream
// piece by piece (decoded text, in which marker text is recognised even when
// split across pieces, or markers given as such by token id) and reports the
// content of each channel as it arrives: `analysis` (reasoning), `final`
// (the answer) and `commentary` (tool calls, with a recipient, or preambles).
// A stream cut off anywhere keeps what it had: the open message is kept with
// ending Open.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CHAT_HARMONYPARSER_H
#define LMC_RUNTIME_CHAT_HARMONYPARSER_H

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmc::rt::chat {

enum class HarmonyMarker { Start, End, Message, Channel, Constrain, Return, Call };

struct HarmonyMessage {
  enum class Ending { Open, End, Return, Call };
  std::string role = "assistant";
  std::string channel;
  /// "functions.get_weather" for a tool call; empty otherwise.
  std::string recipient;
  /// "json" (after <|constrain|> or as a bare word in the header).
  std::string contentType;
  std::string content;
  /// Open: the stream ended (or was broken) inside this message.
  Ending ending = Ending::Open;
};

/// New content of one message, as it arrives.
struct HarmonyDelta {
  std::string channel;
  std::string recipient;
  std::string text;
};

class HarmonyParser {
public:
  /// markersInText: recognise "<|channel|>" etc. in pushText (false when
  /// markers come only from pushMarker, i.e. from special-token ids).
  explicit HarmonyParser(bool markersInText = true)
      : markersInText_(markersInText) {}

  std::vector<HarmonyDelta> pushText(std::string_view text);
  std::vector<HarmonyDelta> pushMarker(HarmonyMarker marker);
  /// The end of the stream: text held back as the start of a marker that
  /// never came ("<|en", "<") is dropped.
  std::vector<HarmonyDelta> finish();

  /// The messages so far, the open one included.
  const std::vector<HarmonyMessage> &messages() const { return messages_; }
  /// Content of all messages on a channel (without a recipient), joined.
  std::string channelText(const std::string &channel) const;

  /// The marker a special token's text stands for.
  static std::optional<HarmonyMarker> markerFor(std::string_view tokenText);

private:
  enum class State { Header, Content, Between };
  void text(std::string_view s, std::vector<HarmonyDelta> &out);
  void marker(HarmonyMarker m, std::vector<HarmonyDelta> &out);
  void beginHeader();
  void parseHeader();

  bool markersInText_;
  State state_ = State::Header;
  /// Header parts: before <|channel|>, after it, after <|constrain|>.
  std::string roleText_, channelText_, constrainText_;
  int headerPart_ = 0;
  /// Text that may be the start of a marker.
  std::string held_;
  std::vector<HarmonyMessage> messages_;
};

} // namespace lmc::rt::chat

#endif // LMC_RUNTIME_CHAT_HARMONYPARSER_H
