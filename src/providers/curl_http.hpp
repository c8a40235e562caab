#pragma once
// Outbound HTTP for provider adapters, over Debian's libcurl: TLS verification, proxies
// from HTTPS_PROXY / NO_PROXY, redirects and connection reuse are libcurl's. One
// CurlHttp per thread (an easy handle is not shared); bodies are capped while read.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "reel/core/cancel.hpp"

namespace reel::providers {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HeaderList headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HeaderList headers;
  std::string body;
  std::string header(const std::string& name) const;  // case-insensitive; "" if absent
};

struct HttpLimits {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{120'000};
  std::uint64_t max_body_bytes = 8ull << 20;
  // Refuse loopback, private, link-local and other internal addresses (checked on the
  // socket's real address, redirects included), except `allowed_host` — a base URL
  // the user overrode chose that host on purpose.
  bool refuse_private = false;
  std::string allowed_host;
  // False: a 3xx comes back as the answer (its Location among the headers). libcurl
  // resends custom headers to whatever host a redirect names, so a request carrying a
  // key in one must not follow redirects blindly.
  bool follow_redirects = true;
};

class CurlHttp {
 public:
  CurlHttp();
  ~CurlHttp();
  CurlHttp(const CurlHttp&) = delete;
  CurlHttp& operator=(const CurlHttp&) = delete;

  // Io for transport failures (naming the host, never headers); a body over the cap is
  // InvalidInput naming the cap. A cancelled token aborts the transfer (Cancelled).
  HttpResponse send(const HttpRequest& request, const HttpLimits& limits,
                    const CancelToken& cancel = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The host of an http(s) URL ("" when it has none).
std::string url_host(const std::string& url);

}  // namespace reel::providers
