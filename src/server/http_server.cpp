// Boost.Beast HTTP/1.1 server: accept loop, one session per connection on its own strand,
// header → auth → body → handler pipeline with per-phase timeouts and limits, and the SSE
// stream of a job's events.
#include "reel/server/http_server.hpp"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <utility>  // before asio: GCC 12 needs std::exchange declared (research §4.1)

#include "reel/core/error.hpp"
#include "reel/core/log.hpp"
#include "server/api_routes.hpp"

namespace reel::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::uint64_t kMaxRangeRead = 16 << 20;  // larger ranges are answered in part
constexpr int kSseBatch = 500;                     // events per store read
const char* kReadHeaders[] = {"authorization", "idempotency-key", "prefer",      "range",
                              "if-none-match", "last-event-id",   "content-type"};
}  // namespace

class Session;

struct HttpServer::Impl {
  Impl(ApiContext c, HttpOptions o)
      : state{c, o}, acceptor(ioc), db_pool(static_cast<std::size_t>(std::max(1, o.db_threads))) {}
  ApiState state;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::thread_pool db_pool;
  std::mutex sessions_mutex;
  std::set<std::shared_ptr<Session>> sessions;  // strong refs dropped when a session closes
  std::atomic<bool> stop_requested{false};

  void accept();
  void remove(const std::shared_ptr<Session>& s) {
    std::lock_guard lock(sessions_mutex);
    sessions.erase(s);
    state.metrics.connections = static_cast<int>(sessions.size());
  }
  void shutdown();
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& impl)
      : stream_(std::move(socket)), impl_(impl), timer_(stream_.get_executor()) {}

  void start() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::read_header, shared_from_this()));
  }

  // Called on shutdown: an idle connection closes now, a busy one after its response.
  void shutdown() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->close();
    });
  }

 private:
  ApiState& state() { return impl_.state; }
  const HttpOptions& opt() { return impl_.state.options; }

  void read_header() {
    if (state().stopping) return close();
    busy_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(opt().max_header_bytes));
    // The largest limit until the route is known; read_body() narrows it. (Beast checks a
    // Content-Length against the limit when the header completes.)
    parser_->body_limit(std::max(opt().max_json_bytes, opt().max_upload_bytes));
    stream_.expires_after(first_ ? opt().header_timeout
                                 : std::min(opt().idle_timeout, opt().header_timeout));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    first_ = false;
    if (ec == beast::error::timeout) {
      if (buffer_.size() > 0) ++state().metrics.header_timeouts;
      return close();
    }
    if (ec == http::error::header_limit)
      return fail_early(
          431, "payload-too-large",
          "request headers exceed " + std::to_string(opt().max_header_bytes) + " bytes");
    if (ec == http::error::body_limit)
      return fail_early(413, "payload-too-large", "the body exceeds every route's limit");
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
      return close();
    if (ec) return fail_early(400, "invalid-request", "malformed HTTP request");
    busy_ = true;
    started_ = Clock::now();
    auto& h = parser_->get();
    req_ = ApiRequest{};
    req_.method = std::string(h.method_string());
    std::string target(h.target());
    auto q = target.find('?');
    req_.path = target.substr(0, q);
    try {
      if (q != std::string::npos) req_.query = parse_query(target.substr(q + 1));
    } catch (const Error& e) {
      return fail_early(400, "invalid-request", e.what());
    }
    for (const char* name : kReadHeaders) {
      auto it = h.find(name);
      if (it != h.end()) req_.headers[name] = std::string(it->value());
    }
    route_ = classify(req_.method, req_.path);
    if (!route_.known)
      return fail_early(404, "not-found", "no route " + req_.method + " " + req_.path);
    if (!route_.method_ok)
      return fail_early(405, "method-not-allowed", req_.method + " is not allowed on " + req_.path);
    if (!route_.auth) return read_body();
    std::string auth = req_.header("authorization");
    // The scheme is case-insensitive (RFC 9110 §11.1).
    if (auth.size() < 7 || !beast::iequals(auth.substr(0, 7), "Bearer "))
      return fail_early(401, "unauthorized", "send 'Authorization: Bearer <API key>'");
    std::string secret = auth.substr(7);
    if (auto cached = state().auth_cache.find(secret, opt().auth_cache_ttl)) {
      if (cached->revoked) return fail_early(403, "forbidden", "this API key was revoked");
      req_.key = std::move(cached);
      return read_body();
    }
    asio::post(impl_.db_pool, [self = shared_from_this(), secret = std::move(secret)] {
      std::optional<ApiKey> key;
      bool error = false;
      try {
        key = self->state().ctx.keys.authenticate(secret);
        if (key) self->state().auth_cache.put(secret, *key);
      } catch (const std::exception& e) {
        log_error(std::string("auth: key store: ") + e.what());
        error = true;
      }
      asio::post(self->stream_.get_executor(), [self, key = std::move(key), error] {
        if (error) return self->fail_early(503, "unavailable", "the key store is unreachable");
        if (!key) return self->fail_early(401, "unauthorized", "unknown API key");
        if (key->revoked) return self->fail_early(403, "forbidden", "this API key was revoked");
        self->req_.key = std::move(key);
        self->read_body();
      });
    });
  }

  void read_body() {
    std::size_t limit =
        route_.body == BodyKind::upload ? opt().max_upload_bytes : opt().max_json_bytes;
    if (auto length = parser_->content_length(); length && *length > limit)
      return fail_early(413, "payload-too-large",
                        "the body exceeds " + std::to_string(limit) + " bytes for this route");
    parser_->body_limit(limit);
    stream_.expires_after(opt().body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      std::size_t limit =
          route_.body == BodyKind::upload ? opt().max_upload_bytes : opt().max_json_bytes;
      return fail_early(413, "payload-too-large",
                        "the body exceeds " + std::to_string(limit) + " bytes for this route");
    }
    if (ec == beast::error::timeout) return close();
    if (ec) return fail_early(400, "invalid-request", "malformed HTTP request body");
    keep_alive_ = parser_->get().keep_alive();
    req_.body = std::move(parser_->get().body());
    if (auto r = handle_in_memory(state(), req_)) return send(std::move(*r));
    asio::post(impl_.db_pool, [self = shared_from_this()] {
      ApiResponse r = handle(self->state(), self->req_);
      asio::post(self->stream_.get_executor(),
                 [self, r = std::move(r)]() mutable { self->send(std::move(r)); });
    });
  }

  // A response before the body was read: the connection cannot be reused.
  void fail_early(int status, const std::string& slug, const std::string& detail) {
    busy_ = true;
    unread_body_ = true;
    if (started_ == Clock::time_point{}) started_ = Clock::now();
    keep_alive_ = false;
    send(problem(status, slug, detail));
  }

  void send(ApiResponse r) {
    if (!r.wait_job.empty()) {
      wait_job_ = r.wait_job;
      wait_deadline_ = Clock::now() + std::chrono::seconds(r.wait_seconds);
      return wait_poll();
    }
    state().metrics.observe(route_.known ? route_.name : "unknown", r.sse ? 200 : r.status,
                            std::chrono::duration<double>(Clock::now() - started_).count());
    started_ = {};
    if (r.sse) return start_sse(std::move(r));
    bool keep = keep_alive_ && !state().stopping;
    if (!r.file.empty() && r.status == 200) {
      auto res = std::make_shared<http::response<http::file_body>>();
      beast::error_code ec;
      res->body().open(r.file.c_str(), beast::file_mode::scan, ec);
      if (ec) return send(problem(404, "not-found", "artifact file is gone"));
      fill(*res, r, keep);
      return write(res);
    }
    auto res = std::make_shared<http::response<http::string_body>>();
    if (!r.file.empty()) {  // a range: read just that part
      std::uint64_t n = std::min(r.file_length, kMaxRangeRead);
      std::ifstream in(r.file, std::ios::binary);
      in.seekg(static_cast<std::streamoff>(r.file_offset));
      res->body().resize(n);
      in.read(res->body().data(), static_cast<std::streamsize>(n));
      if (static_cast<std::uint64_t>(in.gcount()) != n)
        return send(problem(404, "not-found", "artifact file changed"));
      for (auto& [k, v] : r.headers)
        if (k == "Content-Range" && n < r.file_length) {
          auto slash = v.rfind('/');
          v = "bytes " + std::to_string(r.file_offset) + "-" +
              std::to_string(r.file_offset + n - 1) + v.substr(slash);
        }
    } else {
      res->body() = std::move(r.body);
    }
    fill(*res, r, keep);
    write(res);
  }

  template <class Body>
  void fill(http::response<Body>& res, const ApiResponse& r, bool keep) {
    res.version(11);
    res.result(static_cast<unsigned>(r.status));
    if (r.status != 304) res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, "no-store");
    for (const auto& [k, v] : r.headers) res.set(k, v);
    res.keep_alive(keep);
    res.prepare_payload();
  }

  template <class Res>
  void write(std::shared_ptr<Res> res) {
    response_ = res;
    stream_.expires_after(opt().body_timeout);
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), keep = res->keep_alive()](beast::error_code ec, std::size_t) {
          self->response_.reset();
          if (!ec && !keep && self->unread_body_) return self->linger();
          if (ec || !keep) return self->close();
          self->read_header();
        });
  }

  void wait_poll() {
    timer_.expires_after(std::chrono::milliseconds(100));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->close();
      bool last = Clock::now() >= self->wait_deadline_ || self->state().stopping;
      asio::post(self->impl_.db_pool, [self, last] {
        std::optional<ApiResponse> r;
        try {
          r = job_wait_answer(self->state(), self->wait_job_, last);
        } catch (const std::exception& e) {
          log_error(std::string("api: waiting for a job: ") + e.what());
          r = problem(500, "internal", "internal error; see the server log");
        }
        asio::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable {
          if (!r) return self->wait_poll();
          self->send(std::move(*r));
        });
      });
    });
  }

  // After an early answer the client may still be sending its body; closing at once would
  // make the kernel reset the connection and the client could lose the answer. So: stop
  // sending, read and drop what arrives for a moment (bounded in time and bytes), close.
  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    drain();
  }
  void drain() {
    if (drained_ > (8u << 20)) return close();
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec) return self->close();
                              self->drain();
                            });
  }

  // --- Server-Sent Events ---
  void start_sse(ApiResponse r) {
    if (!state().streams.acquire(req_.key->id, opt().max_streams_per_key)) {
      ApiResponse p = problem(429, "too-many-streams",
                              "this key has " + std::to_string(opt().max_streams_per_key) +
                                  " event streams open; close one first");
      p.headers.emplace_back("Retry-After", "5");
      return send(std::move(p));
    }
    stream_key_ = req_.key->id;
    sse_job_ = r.sse_job;
    sse_after_ = r.sse_after;
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        "Connection: close\r\nX-Accel-Buffering: no\r\n\r\nretry: 2000\n\n";
    sse_write(std::move(head), false);
  }

  // more: the last poll filled its batch, so poll again at once instead of waiting.
  void sse_write(std::string text, bool last, bool more = false) {
    out_ = std::move(text);
    last_write_ = Clock::now();
    stream_.expires_after(std::chrono::seconds(30));
    asio::async_write(stream_, asio::buffer(out_),
                      [self = shared_from_this(), last, more](beast::error_code ec, std::size_t) {
                        if (ec || last || self->state().stopping) return self->close();
                        if (more) return self->sse_poll();
                        self->sse_wait();
                      });
  }

  void sse_wait() {
    stream_.expires_never();
    timer_.expires_after(opt().sse_poll);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->close();
      self->sse_poll();
    });
  }

  void sse_poll() {
    asio::post(impl_.db_pool, [self = shared_from_this()] {
      std::string text;
      bool last = false, more = false;
      try {
        auto events = self->state().ctx.jobs.events(self->sse_job_, self->sse_after_, kSseBatch);
        more = events.size() == static_cast<std::size_t>(kSseBatch);
        for (const JobEvent& e : events) {
          // dump() escapes control characters, so data is always one line.
          text +=
              "id: " + std::to_string(e.seq) + "\nevent: " + e.type + "\ndata: " +
              Json({{"seq", e.seq}, {"type", e.type}, {"at", rfc3339(e.at_ms)}, {"data", e.data}})
                  .dump(-1, ' ', false, Json::error_handler_t::replace) +
              "\n\n";
          self->sse_after_ = e.seq;
          if (is_terminal_event(e.type)) {
            last = true;
            break;
          }
        }
      } catch (const std::exception& e) {
        text += "event: error\ndata: " + Json({{"detail", e.what()}}).dump() + "\n\n";
        last = true;
      }
      asio::post(self->stream_.get_executor(),
                 [self, text = std::move(text), last, more]() mutable {
                   if (!text.empty()) return self->sse_write(std::move(text), last, more);
                   if (self->state().stopping) return self->close();
                   if (Clock::now() - self->last_write_ >= self->opt().sse_heartbeat)
                     return self->sse_write(": keep-alive\n\n", false);
                   self->sse_wait();
                 });
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    timer_.cancel();
    if (!stream_key_.empty()) state().streams.release(stream_key_);
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
    impl_.remove(shared_from_this());
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& impl_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  ApiRequest req_;
  RouteInfo route_;
  Clock::time_point started_{};
  bool first_ = true;
  bool busy_ = false;
  bool keep_alive_ = true;
  bool closed_ = false;
  bool unread_body_ = false;
  std::size_t drained_ = 0;
  std::array<char, 16 * 1024> scratch_{};
  std::shared_ptr<void> response_;
  std::string sse_job_;
  std::int64_t sse_after_ = 0;
  Clock::time_point last_write_{};
  std::string out_;
  std::string wait_job_;
  std::string stream_key_;  // holds one of the key's stream slots while set
  Clock::time_point wait_deadline_{};
};

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      return accept();
    }
    std::shared_ptr<Session> s;
    {
      std::lock_guard lock(sessions_mutex);
      if (static_cast<int>(sessions.size()) >= state.options.max_connections) {
        ++state.metrics.connections_refused;
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        s = std::make_shared<Session>(std::move(socket), *this);
        sessions.insert(s);
        state.metrics.connections = static_cast<int>(sessions.size());
      }
    }
    if (s) s->start();
    if (!state.stopping) accept();
  });
}

void HttpServer::Impl::shutdown() {
  state.stopping = true;
  beast::error_code ec;
  acceptor.close(ec);
  std::vector<std::shared_ptr<Session>> all;
  {
    std::lock_guard lock(sessions_mutex);
    all.assign(sessions.begin(), sessions.end());
  }
  for (auto& s : all) s->shutdown();
}

HttpServer::HttpServer(ApiContext context, HttpOptions options)
    : impl_(std::make_unique<Impl>(context, options)) {
  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec)
    throw Error(ErrorKind::InvalidInput,
                "listen address '" + options.host + "' is not an IP address");
  tcp::endpoint endpoint(address, options.port);
  auto& a = impl_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw Error(ErrorKind::Io, "cannot listen on " + options.host + ":" +
                                   std::to_string(options.port) + ": " + ec.message());
}

HttpServer::~HttpServer() {
  impl_->db_pool.join();
}

std::uint16_t HttpServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void HttpServer::stop() {
  if (impl_->stop_requested.exchange(true)) return;
  asio::post(impl_->ioc, [impl = impl_.get()] { impl->shutdown(); });
}

void HttpServer::run() {
  auto& impl = *impl_;
  auto guard = asio::make_work_guard(impl.ioc);
  asio::signal_set signals(impl.ioc);
  if (impl.state.options.handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    signals.async_wait([this](beast::error_code ec, int) {
      if (!ec) stop();
    });
  }
  impl.accept();
  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, impl.state.options.io_threads); ++i)
    threads.emplace_back([&impl] { impl.ioc.run(); });
  // Drain: after stop(), wait for open connections (bounded by the grace) then end.
  while (!impl.stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto deadline = Clock::now() + impl.state.options.shutdown_grace;
  while (Clock::now() < deadline) {
    {
      std::lock_guard lock(impl.sessions_mutex);
      if (impl.sessions.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  beast::error_code ec;
  signals.cancel(ec);
  guard.reset();
  impl.ioc.stop();
  for (auto& t : threads) t.join();
  impl.db_pool.join();
}

}  // namespace reel::server
