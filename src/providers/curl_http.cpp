#include "providers/curl_http.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "reel/core/error.hpp"
#include "remote/address_policy.hpp"

namespace reel::providers {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  HttpResponse* response = nullptr;
  std::uint64_t cap = 0;
  bool over_cap = false;
  const HttpLimits* limits = nullptr;
  std::string refused;  // why a socket was refused
  const CancelToken* cancel = nullptr;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t bytes = size * n;
  if (t->response->body.size() + bytes > t->cap) {
    t->over_cap = true;
    return 0;  // aborts the transfer
  }
  t->response->body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) t->response->headers.clear();  // a redirect's next answer
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string value = line.substr(colon + 1);
    const auto b = value.find_first_not_of(" \t"), e = value.find_last_not_of(" \t\r\n");
    value = b == std::string::npos ? "" : value.substr(b, e - b + 1);
    t->response->headers.emplace_back(line.substr(0, colon), value);
  }
  return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->cancel && t->cancel->cancelled() ? 1 : 0;
}

// Judged on the address curl is about to connect to, so DNS rebinding and redirects to
// internal hosts are caught too.
curl_socket_t open_socket(void* user, curlsocktype, curl_sockaddr* a) {
  auto* t = static_cast<Transfer*>(user);
  if (t->limits->refuse_private) {
    boost::asio::ip::address ip;
    if (a->family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&a->addr);
      ip = boost::asio::ip::address_v4(ntohl(in->sin_addr.s_addr));
    } else if (a->family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a->addr);
      boost::asio::ip::address_v6::bytes_type b;
      std::copy(in6->sin6_addr.s6_addr, in6->sin6_addr.s6_addr + 16, b.begin());
      ip = boost::asio::ip::address_v6(b);
    }
    const std::string_view why = remote::refused_address_reason(ip);
    if (!why.empty()) {
      t->refused = std::string(why) + " address " + ip.to_string();
      return CURL_SOCKET_BAD;
    }
  }
  return ::socket(a->family, a->socktype, a->protocol);
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  const std::string want = lower(name);
  for (const auto& [k, v] : headers)
    if (lower(k) == want) return v;
  return "";
}

std::string url_host(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  std::string rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') return lower(rest.substr(1, rest.find(']') - 1));
  return lower(rest.substr(0, rest.find(':')));
}

struct CurlHttp::Impl {
  CURL* curl = nullptr;
};

CurlHttp::CurlHttp() : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->curl = curl_easy_init();
  if (!impl_->curl) throw Error(ErrorKind::Internal, "libcurl: cannot create a handle");
}

CurlHttp::~CurlHttp() {
  curl_easy_cleanup(impl_->curl);
}

HttpResponse CurlHttp::send(const HttpRequest& req, const HttpLimits& limits,
                            const CancelToken& cancel) {
  CURL* c = impl_->curl;
  curl_easy_reset(c);  // keeps the connection cache: reuse across calls
  HttpResponse response;
  Transfer t{&response, limits.max_body_bytes, false, &limits, "", &cancel};
  const bool same_host_allowed =
      !limits.allowed_host.empty() && url_host(req.url) == lower(limits.allowed_host);
  HttpLimits effective = limits;
  if (same_host_allowed) effective.refuse_private = false;
  t.limits = &effective;

  curl_slist* headers = nullptr;
  for (const auto& [k, v] : req.headers)
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, limits.follow_redirects ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(limits.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(limits.total_timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &t);
  if (limits.max_body_bytes > 0)
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_body_bytes));
  if (req.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  } else if (req.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (!req.body.empty()) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.c_str());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    }
  }
  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  const std::string host = url_host(req.url);
  if (rc == CURLE_ABORTED_BY_CALLBACK) throw Error(ErrorKind::Cancelled, "cancelled");
  if (t.over_cap || rc == CURLE_FILESIZE_EXCEEDED)
    throw Error(ErrorKind::InvalidInput, "the answer from " + host + " is larger than " +
                                             std::to_string(limits.max_body_bytes) +
                                             " bytes, the cap for it; nothing was stored");
  if (!t.refused.empty())
    throw Error(ErrorKind::InvalidInput,
                "refused to fetch from " + host + ": it resolves to a " + t.refused +
                    " (a provider may not make reel reach internal addresses)");
  if (rc != CURLE_OK)
    throw Error(ErrorKind::Io, "request to " + host + " failed: " + curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace reel::providers
