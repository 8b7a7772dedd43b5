//===- HarmonyParser.cpp - Splitting generated harmony into messages ------===//
#include "runtime/chat/HarmonyParser.h"

#include <sstream>

using namespace lmc::rt::chat;

namespace {

struct MarkerText {
  const char *text;
  HarmonyMarker marker;
};

const MarkerText kMarkers[] = {
    {"<|start|>", HarmonyMarker::Start},
    {"<|end|>", HarmonyMarker::End},
    {"<|message|>", HarmonyMarker::Message},
    {"<|channel|>", HarmonyMarker::Channel},
    {"<|constrain|>", HarmonyMarker::Constrain},
    {"<|return|>", HarmonyMarker::Return},
    {"<|call|>", HarmonyMarker::Call},
};

/// Whether s could still grow into a marker.
bool isMarkerPrefix(std::string_view s) {
  for (const MarkerText &m : kMarkers)
    if (std::string_view(m.text).substr(0, s.size()) == s)
      return true;
  return false;
}

} // namespace

std::optional<HarmonyMarker> HarmonyParser::markerFor(std::string_view t) {
  for (const MarkerText &m : kMarkers)
    if (t == m.text)
      return m.marker;
  return std::nullopt;
}

std::string HarmonyParser::channelText(const std::string &channel) const {
  std::string out;
  for (const HarmonyMessage &m : messages_)
    if (m.channel == channel && m.recipient.empty())
      out += m.content;
  return out;
}

void HarmonyParser::beginHeader() {
  state_ = State::Header;
  roleText_.clear();
  channelText_.clear();
  constrainText_.clear();
  headerPart_ = 0;
}

void HarmonyParser::parseHeader() {
  HarmonyMessage m;
  auto words = [](const std::string &s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string w; in >> w;)
      out.push_back(w);
    return out;
  };
  bool sawRole = false;
  for (const std::string &w : words(roleText_)) {
    if (w.compare(0, 3, "to=") == 0)
      m.recipient = w.substr(3);
    else if (!sawRole) {
      m.role = w;
      sawRole = true;
    }
  }
  bool sawChannel = false;
  for (const std::string &w : words(channelText_)) {
    if (w.compare(0, 3, "to=") == 0)
      m.recipient = w.substr(3);
    else if (!sawChannel) {
      m.channel = w;
      sawChannel = true;
    } else {
      m.contentType = w;
    }
  }
  std::vector<std::string> constrain = words(constrainText_);
  if (!constrain.empty())
    m.contentType = constrain[0];
  messages_.push_back(std::move(m));
  state_ = State::Content;
}

void HarmonyParser::text(std::string_view s, std::vector<HarmonyDelta> &out) {
  if (s.empty())
    return;
  switch (state_) {
  case State::Header:
    (headerPart_ == 0 ? roleText_ : headerPart_ == 1 ? channelText_
                                                     : constrainText_) += s;
    break;
  case State::Content: {
    HarmonyMessage &m = messages_.back();
    m.content += s;
    if (!out.empty() && out.back().channel == m.channel &&
        out.back().recipient == m.recipient)
      out.back().text += s;
    else
      out.push_back({m.channel, m.recipient, std::string(s)});
    break;
  }
  case State::Between:
    // Text between messages (no <|start|>): a header without its marker.
    beginHeader();
    roleText_ += s;
    break;
  }
}

void HarmonyParser::marker(HarmonyMarker m, std::vector<HarmonyDelta> &out) {
  (void)out;
  auto close = [&](HarmonyMessage::Ending e) {
    if (state_ == State::Content)
      messages_.back().ending = e;
    beginHeader();
    state_ = State::Between;
  };
  switch (m) {
  case HarmonyMarker::End:
    close(HarmonyMessage::Ending::End);
    return;
  case HarmonyMarker::Return:
    close(HarmonyMessage::Ending::Return);
    return;
  case HarmonyMarker::Call:
    close(HarmonyMessage::Ending::Call);
    return;
  case HarmonyMarker::Start:
    // A new message; one still open was cut off (ending stays Open).
    beginHeader();
    return;
  case HarmonyMarker::Message:
    if (state_ == State::Content) {
      // A second <|message|>: the open message was broken; a header-less
      // new one follows.
      beginHeader();
    }
    parseHeader();
    return;
  case HarmonyMarker::Channel:
  case HarmonyMarker::Constrain:
    if (state_ != State::Header) {
      // Header markup inside content or between messages: a new message
      // whose <|start|> and role were left out.
      beginHeader();
    }
    headerPart_ = m == HarmonyMarker::Channel ? 1 : 2;
    return;
  }
}

std::vector<HarmonyDelta> HarmonyParser::pushText(std::string_view s) {
  std::vector<HarmonyDelta> out;
  if (!markersInText_) {
    text(s, out);
    return out;
  }
  std::string buf = held_ + std::string(s);
  held_.clear();
  size_t plain = 0, i = 0;
  while (i < buf.size()) {
    if (buf[i] != '<') {
      ++i;
      continue;
    }
    std::optional<HarmonyMarker> found;
    size_t len = 0;
    for (const MarkerText &m : kMarkers) {
      size_t n = std::char_traits<char>::length(m.text);
      if (buf.compare(i, n, m.text) == 0) {
        found = m.marker;
        len = n;
        break;
      }
    }
    if (found) {
      text(std::string_view(buf).substr(plain, i - plain), out);
      marker(*found, out);
      i += len;
      plain = i;
      continue;
    }
    if (isMarkerPrefix(std::string_view(buf).substr(i))) {
      // Maybe a marker whose rest is in the next piece.
      text(std::string_view(buf).substr(plain, i - plain), out);
      held_ = buf.substr(i);
      return out;
    }
    ++i;
  }
  text(std::string_view(buf).substr(plain), out);
  return out;
}

std::vector<HarmonyDelta> HarmonyParser::pushMarker(HarmonyMarker m) {
  std::vector<HarmonyDelta> out;
  if (!held_.empty()) {
    std::string h = std::move(held_);
    held_.clear();
    text(h, out);
  }
  marker(m, out);
  return out;
}

std::vector<HarmonyDelta> HarmonyParser::finish() {
  // Held text can only be the start of a marker that a cut-off stream
  // never finished ("<|en"): it is dropped.
  held_.clear();
  return {};
}
