// The transport under HttpClient. Beast's synchronous calls ignore timeouts, so each
// step is an async operation with the stream's expiry set, run to completion on a
// private io_context: synchronous for the caller, bounded in time.
#include "remote/http_client.hpp"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <limits>
#include <optional>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "remote/address_policy.hpp"

namespace reel::remote {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string HttpResponse::header(std::string_view name) const {
  auto eq = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  for (const auto& [k, v] : headers)
    if (eq(k, name)) return v;
  return {};
}

namespace {

std::string describe(std::string_view method, const Url& u) {
  return std::string(method) + " " + u.scheme + "://" +
         (u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host) + ":" +
         std::to_string(u.port) + u.target.substr(0, u.target.find('?'));
}

// One request/response exchange over a plain or TLS stream.
class Exchange {
 public:
  Exchange(const HttpOptions& o, std::string_view method, const Url& u)
      : o_(o), url_(u), what_(describe(method, u)) {
    start_ = Clock::now();
    if (u.scheme == "https") {
      tls_ctx_.emplace(ssl::context::tls_client);
      tls_ctx_->set_default_verify_paths();
      tls_ctx_->set_verify_mode(ssl::verify_peer);
      tls_.emplace(ioc_, *tls_ctx_);
    } else {
      plain_.emplace(ioc_);
    }
  }

  void connect() {
    tcp::resolver resolver(ioc_);
    beast::error_code ec;
    auto results = resolver.resolve(url_.host, std::to_string(url_.port), ec);
    if (ec) fail("cannot resolve host '" + url_.host + "': " + ec.message());
    std::vector<tcp::endpoint> allowed;
    std::string refused;
    for (const auto& r : results) {
      const auto reason =
          o_.refuse_private ? refused_address_reason(r.endpoint().address()) : std::string_view{};
      if (reason.empty())
        allowed.push_back(r.endpoint());
      else if (refused.empty())
        refused = r.endpoint().address().to_string() + " is " + std::string(reason);
    }
    // One refused address refuses the name: a name mixing public and private
    // answers is how DNS rebinding reaches the inside.
    if (!refused.empty())
      throw_error(ErrorKind::Policy,
                  what_ + ": refused, " + refused + "; only public addresses may be reached");
    if (allowed.empty()) fail("host '" + url_.host + "' has no address");
    set_expiry(o_.connect_timeout);
    run([&](auto handler) { lowest().async_connect(allowed, handler); }, "connect");
    if (tls_) {
      auto* tls = &*tls_;
      if (!SSL_set_tlsext_host_name(tls->native_handle(), url_.host.c_str()))
        fail("TLS: cannot set the server name");
      tls->set_verify_callback(ssl::host_name_verification(url_.host));
      set_expiry(o_.connect_timeout);
      run([&](auto handler) { tls->async_handshake(ssl::stream_base::client, handler); },
          "TLS handshake");
    }
  }

  void send(std::string_view method, const Headers& headers, std::string_view body) {
    http::request<http::string_body> req;
    const auto verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
    if (verb == http::verb::unknown)
      throw_error(ErrorKind::Internal, "unknown HTTP method " + std::string(method));
    req.method(verb);
    req.target(url_.target);
    req.version(11);
    const bool default_port = url_.port == (url_.scheme == "https" ? 443 : 80);
    const std::string host =
        url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host;
    req.set(http::field::host, default_port ? host : host + ":" + std::to_string(url_.port));
    req.set(http::field::user_agent, "reel/0.1");
    req.set(http::field::connection, "close");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || verb == http::verb::post || verb == http::verb::put)
      req.body() = std::string(body);
    req.prepare_payload();
    set_expiry(o_.io_timeout);
    with_stream(
        [&](auto& s) { run([&](auto handler) { http::async_write(s, req, handler); }, "send"); });
  }

  // Reads the header; the body is then pulled with read_body.
  int read_header() {
    parser_.body_limit(
        std::numeric_limits<std::uint64_t>::max());  // limits are enforced per sink below
    parser_.header_limit(64 * 1024);
    set_expiry(o_.io_timeout);
    with_stream([&](auto& s) {
      run([&](auto handler) { http::async_read_header(s, buffer_, parser_, handler); },
          "read header");
    });
    return static_cast<int>(parser_.get().result_int());
  }

  Headers headers() const {
    Headers h;
    for (const auto& f : parser_.get()) h.emplace_back(f.name_string(), f.value());
    return h;
  }

  // Calls sink(bytes) for each piece of the body as it arrives (read_some, so a live
  // event stream is not held back until a buffer fills); sink returns false to stop.
  template <class Sink>
  void read_body(Sink&& sink) {
    char chunk[64 * 1024];
    while (!parser_.is_done()) {
      parser_.get().body().data = chunk;
      parser_.get().body().size = sizeof chunk;
      set_expiry(o_.io_timeout);
      with_stream([&](auto& s) {
        run([&](auto handler) { http::async_read_some(s, buffer_, parser_, handler); }, "read body",
            http::error::need_buffer);
      });
      const std::size_t n = sizeof chunk - parser_.get().body().size;
      if (n > 0 && !sink(std::string_view(chunk, n))) return;
    }
  }

  const std::string& what() const { return what_; }

  ~Exchange() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
  }

 private:
  using Plain = beast::tcp_stream;
  using Tls = beast::ssl_stream<beast::tcp_stream>;

  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  template <class Fn>
  void with_stream(Fn&& fn) {
    if (tls_)
      fn(*tls_);
    else
      fn(*plain_);
  }

  void set_expiry(std::chrono::milliseconds step) {
    auto at = Clock::now() + step;
    if (o_.deadline.count() > 0) at = std::min(at, start_ + o_.deadline);
    lowest().expires_at(at);
  }

  [[noreturn]] void fail(const std::string& why) { throw_error(ErrorKind::Io, what_ + ": " + why); }

  template <class Start>
  void run(Start&& start, std::string_view step, beast::error_code benign = {}) {
    beast::error_code result;
    bool done = false;
    start([&](beast::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    ioc_.restart();
    ioc_.run();
    if (!done) fail(std::string(step) + ": did not complete");
    if (result && result != benign) {
      if (result == beast::error::timeout)
        fail(std::string(step) + ": timed out (connect " +
             std::to_string(o_.connect_timeout.count()) + " ms, io " +
             std::to_string(o_.io_timeout.count()) + " ms, deadline " +
             std::to_string(o_.deadline.count()) + " ms)");
      fail(std::string(step) + ": " + result.message());
    }
  }

  const HttpOptions& o_;
  Url url_;
  std::string what_;
  Clock::time_point start_;
  net::io_context ioc_;
  std::optional<ssl::context> tls_ctx_;
  std::optional<Plain> plain_;
  std::optional<Tls> tls_;
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
};

std::string read_capped(Exchange& ex, std::uint64_t cap) {
  std::string body;
  ex.read_body([&](std::string_view piece) {
    if (body.size() + piece.size() > cap)
      throw_error(ErrorKind::Io,
                  ex.what() + ": answer larger than " + std::to_string(cap) + " bytes");
    body.append(piece);
    return true;
  });
  return body;
}

}  // namespace

HttpResponse HttpClient::request(std::string_view method, const Url& url, const Headers& headers,
                                 std::string_view body) {
  Exchange ex(options_, method, url);
  ex.connect();
  ex.send(method, headers, body);
  HttpResponse r;
  r.status = ex.read_header();
  r.headers = ex.headers();
  if (method != "HEAD") r.body = read_capped(ex, options_.max_body_bytes);
  return r;
}

HttpResponse HttpClient::download(const Url& url, const Headers& headers,
                                  const std::filesystem::path& path, std::uint64_t max_bytes) {
  Exchange ex(options_, "GET", url);
  ex.connect();
  ex.send("GET", headers, {});
  HttpResponse r;
  r.status = ex.read_header();
  r.headers = ex.headers();
  if (r.status < 200 || r.status > 299) {
    r.body = read_capped(ex, std::min<std::uint64_t>(options_.max_body_bytes, 1 << 20));
    return r;
  }
  std::filesystem::create_directories(path.parent_path().empty() ? "." : path.parent_path());
  AtomicFile file(path);
  std::uint64_t written = 0;
  ex.read_body([&](std::string_view piece) {
    written += piece.size();
    if (written > max_bytes)
      throw_error(ErrorKind::Io,
                  ex.what() + ": download larger than " + std::to_string(max_bytes) + " bytes");
    file.write(piece);
    return true;
  });
  file.commit();
  return r;
}

HttpResponse HttpClient::stream_events(const Url& url, const Headers& headers,
                                       const std::function<bool(const SseEvent&)>& on_event) {
  Exchange ex(options_, "GET", url);
  ex.connect();
  Headers h = headers;
  h.emplace_back("Accept", "text/event-stream");
  ex.send("GET", h, {});
  HttpResponse r;
  r.status = ex.read_header();
  r.headers = ex.headers();
  if (r.status < 200 || r.status > 299) {
    r.body = read_capped(ex, std::min<std::uint64_t>(options_.max_body_bytes, 1 << 20));
    return r;
  }
  SseParser parser;
  ex.read_body([&](std::string_view piece) { return parser.feed(piece, on_event); });
  return r;
}

}  // namespace reel::remote
