#include <algorithm>
#include <set>
#include <vector>

#include "reel/core/error.hpp"
#include "reel/core/json_strict.hpp"

namespace reel {

namespace {

// "<what>:<line>:<column>: <problem> (byte <offset>)" for the byte at `offset`.
[[noreturn]] void fail_at(std::string_view text, std::size_t offset, std::string_view what,
                          const std::string& problem) {
  offset = std::min(offset, text.size());
  std::string_view before = text.substr(0, offset);
  auto line = 1 + std::count(before.begin(), before.end(), '\n');
  auto nl = before.rfind('\n');
  auto column = offset - (nl == std::string_view::npos ? 0 : nl + 1) + 1;
  throw Error(ErrorKind::InvalidInput, std::string(what) + ":" + std::to_string(line) + ":" +
                                           std::to_string(column) + ": " + problem + " (byte " +
                                           std::to_string(offset) + ")");
}

[[noreturn]] void fail_nul(std::string_view text, std::size_t offset, std::string_view what) {
  fail_at(text, offset, what,
          "a NUL byte; nothing but whitespace may follow the JSON value, and inside a string "
          "a NUL must be escaped as \\u0000");
}

// nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 5: syntax
// error while parsing value - invalid literal; last read: 'x'" without the prefix, whose
// position we state ourselves; trailing bytes in plain words.
std::string syntax_problem(const Json::parse_error& e) {
  std::string msg = e.what();
  if (msg.find("expected end of input") != std::string::npos)
    return "unexpected bytes after the JSON value; only whitespace may follow it";
  auto at = msg.find("column ");
  if (at != std::string::npos && msg.find(": ", at) != std::string::npos)
    return msg.substr(msg.find(": ", at) + 2);
  return msg;
}

// The parser callback that refuses duplicate keys and deep nesting while parsing, before
// a deep or repeated value is built. nlohmann calls it for every event.
class StrictChecks {
 public:
  StrictChecks(std::string_view what, int max_depth) : what_(what), max_depth_(max_depth) {}

  bool operator()(int, Json::parse_event_t event, Json& parsed) {
    using E = Json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        frames_.push_back(Frame{event == E::object_start, {}, {}, 0});
        if (static_cast<int>(frames_.size()) > max_depth_)
          throw Error(ErrorKind::InvalidInput, std::string(what_) + ": nested deeper than " +
                                                   std::to_string(max_depth_) + " levels");
        break;
      case E::key: {
        Frame& top = frames_.back();
        top.key = parsed.get<std::string>();
        if (!top.keys.insert(top.key).second)
          throw Error(ErrorKind::InvalidInput, std::string(what_) + ": duplicate key '" + top.key +
                                                   "' in the object at " + pointer_of_top() +
                                                   "; each key may appear once");
        break;
      }
      case E::object_end:
      case E::array_end:
        frames_.pop_back();
        [[fallthrough]];
      case E::value:
        if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool object;
    std::set<std::string> keys;
    std::string key;    // the member being read
    std::size_t index;  // elements read so far (arrays)
  };

  // The JSON pointer of the innermost open container.
  std::string pointer_of_top() const {
    Json::json_pointer p;  // escapes '~' and '/' in keys (RFC 6901)
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i)
      p = frames_[i].object ? p / frames_[i].key : p / frames_[i].index;
    return p.empty() ? "the top level" : p.to_string();
  }

  std::string_view what_;
  int max_depth_;
  std::vector<Frame> frames_;
};

}  // namespace

std::string canonical_json(const Json& j) {
  return j.dump(-1, ' ', false);
}

Json parse_json(std::string_view text, std::string_view what) {
  const auto nul = text.find('\0');
  try {
    Json j = Json::parse(text.begin(), text.end());
    if (nul != std::string_view::npos) fail_nul(text, nul, what);
    return j;
  } catch (const Json::parse_error& e) {
    if (nul != std::string_view::npos && e.byte >= nul + 1) fail_nul(text, nul, what);
    throw Error(ErrorKind::InvalidInput, std::string(what) + " is not valid JSON: " + e.what());
  }
}

Json parse_json_strict(std::string_view text, std::string_view what, int max_depth) {
  const auto nul = text.find('\0');
  try {
    // Parsing stops at a NUL anyway; an error before it is the one to report.
    std::string_view head = text.substr(0, nul);
    Json j = Json::parse(head.begin(), head.end(), StrictChecks(what, max_depth));
    if (nul != std::string_view::npos) fail_nul(text, nul, what);
    return j;
  } catch (const Json::parse_error& e) {
    // e.byte counts from 1 and is the byte that did not fit.
    std::size_t offset = e.byte == 0 ? 0 : e.byte - 1;
    if (nul != std::string_view::npos && offset >= nul) fail_nul(text, nul, what);
    fail_at(text, offset, what, syntax_problem(e));
  } catch (const Json::exception& e) {
    // e.g. out_of_range 406, "number overflow parsing '1e400'": no position is known.
    std::string msg = e.what();
    auto at = msg.find("] ");
    throw Error(ErrorKind::InvalidInput, std::string(what) + ": " +
                                             (at == std::string::npos ? msg : msg.substr(at + 2)) +
                                             "; numbers must be finite and fit a double");
  }
}

}  // namespace reel
