// URL parsing for the remote client and webhooks: a deliberately small subset
// (scheme://host[:port][/path][?query]) so that nothing ambiguous reaches a socket.
#include <cctype>
#include <charconv>

#include "reel/core/error.hpp"
#include "remote/http_client.hpp"

namespace reel::remote {
namespace {

[[noreturn]] void bad(std::string_view url, std::string_view why) {
  throw_error(ErrorKind::InvalidInput, "URL '" + std::string(url.substr(0, 200)) +
                                           "': " + std::string(why) +
                                           " (allowed: http://host[:port][/path] or https://…)");
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Url parse_url(std::string_view url) {
  if (url.size() > 2048) bad(url, "longer than 2048 characters");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      bad(url, "contains a space, control or non-ASCII character");
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) bad(url, "no scheme");
  Url u;
  u.scheme = lower(url.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") bad(url, "scheme '" + u.scheme + "' refused");
  std::string_view rest = url.substr(sep + 3);
  const auto path_at = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view tail = path_at == std::string_view::npos ? "" : rest.substr(path_at);
  if (tail.find('#') != std::string_view::npos) bad(url, "has a fragment");
  if (authority.find('@') != std::string_view::npos) bad(url, "has user info");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) bad(url, "unclosed IPv6 bracket");
    u.host = lower(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':' || after.size() == 1) bad(url, "junk after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    u.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) bad(url, "empty port");
    }
  }
  if (u.host.empty()) bad(url, "no host");
  for (char c : u.host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '_'))
      bad(url, "host has a character outside [a-z0-9.-_:]");
  if (port_text.empty()) {
    u.port = u.scheme == "https" ? 443 : 80;
  } else {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || v == 0 || v > 65535)
      bad(url, "port is not a number in 1..65535");
    u.port = static_cast<std::uint16_t>(v);
  }
  u.target = tail.empty() ? "/" : std::string(tail);
  if (u.target.front() == '?') u.target.insert(u.target.begin(), '/');
  return u;
}

}  // namespace reel::remote
