// Server-Sent Events framing (WHATWG HTML §9.2.6), fed from socket chunks of any size.
#include "reel/core/error.hpp"
#include "remote/http_client.hpp"

namespace reel::remote {

bool SseParser::feed(std::string_view chunk, const std::function<bool(const SseEvent&)>& on_event) {
  for (char c : chunk) {
    // "\r\n" is one line end: the '\n' right after a '\r' was already handled.
    if (c == '\n' && last_was_cr_) {
      last_was_cr_ = false;
      continue;
    }
    last_was_cr_ = c == '\r';
    if (c == '\n' || c == '\r') {
      std::string l;
      l.swap(pending_);
      if (!line(l, on_event)) return false;
      continue;
    }
    if (pending_.size() >= max_line_bytes)
      throw_error(ErrorKind::InvalidInput,
                  "event stream line longer than " + std::to_string(max_line_bytes) + " bytes");
    pending_.push_back(c);
  }
  return true;
}

bool SseParser::line(std::string_view l, const std::function<bool(const SseEvent&)>& on_event) {
  if (l.empty()) {
    bool go_on = true;
    if (has_data_) go_on = on_event(event_);
    // The last event id persists across events, as the spec's "last event ID buffer".
    std::string id = event_.id;
    event_ = SseEvent{};
    event_.id = std::move(id);
    has_data_ = false;
    return go_on;
  }
  if (l.front() == ':') return true;  // comment (heartbeat)
  const auto colon = l.find(':');
  std::string_view field = l.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : l.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) event_.data.push_back('\n');
    event_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_.event = value.empty() ? "message" : std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) event_.id = std::string(value);
  }
  return true;  // "retry" and unknown fields are ignored
}

}  // namespace reel::remote
