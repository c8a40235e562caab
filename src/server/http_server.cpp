// Boost.Beast HTTP/1.1 server: accept loop, one session per connection on its own strand,
// header → auth → body → handler pipeline with per-phase timeouts and limits, and the SSE
// stream of a job's events.
#include "reel/server/http_server.hpp"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <cerrno>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <utility>  // before asio: GCC 12 needs std::exchange declared (research §4.1)

#include "reel/core/error.hpp"
#include "reel/core/log.hpp"
#include "server/access_log.hpp"
#include "server/api_routes.hpp"
#include "server/connection_table.hpp"

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
      : state{c, o},
        acceptor(ioc),
        accept_pause(ioc),
        db_pool(static_cast<std::size_t>(std::max(1, o.db_threads))),
        table({o.max_connections, o.max_connections_per_address}) {
    if (!o.access_log.empty()) access_log = std::make_unique<AccessLog>(o.access_log);
  }
  ApiState state;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::steady_timer accept_pause;  // out of descriptors: wait instead of spinning
  bool out_of_descriptors = false;  // only the accept chain touches it
  asio::thread_pool db_pool;
  std::unique_ptr<AccessLog> access_log;  // null: --access-log not given
  std::mutex sessions_mutex;
  // By connection id (accept order); strong refs dropped when a session closes.
  std::map<std::uint64_t, std::shared_ptr<Session>> sessions;
  ConnectionTable table;  // under sessions_mutex
  std::uint64_t next_id = 1;
  std::atomic<bool> stop_requested{false};

  void accept();
  void admit(tcp::socket socket);
  void remove(std::uint64_t id);
  void shutdown();
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& impl, std::uint64_t id, std::string remote)
      : stream_(std::move(socket)),
        impl_(impl),
        timer_(stream_.get_executor()),
        id_(id),
        remote_(std::move(remote)) {}

  std::uint64_t id() const { return id_; }
  // Waiting for a request header (a fresh, keep-alive or slow connection): may be shed.
  bool idle() const { return idle_.load(std::memory_order_relaxed); }

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

  // Shed for a newcomer at the connection cap (ConnectionTable): no longer counted. If a
  // request header completed meanwhile, that request is answered and the connection then
  // closes, as at the idle timeout.
  void shed() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->shed_ = true;  // read_header() closes it rather than wait for another request
      if (!self->busy_) self->close();
    });
  }

 private:
  ApiState& state() { return impl_.state; }
  const HttpOptions& opt() { return impl_.state.options; }

  void read_header() {
    if (state().stopping || shed_) return close();
    busy_ = false;
    idle_ = true;
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
    idle_ = false;
    // A refusal below must not be logged or counted under the previous request's route.
    req_ = ApiRequest{};
    route_ = RouteInfo{};
    route_.name = "unknown";
    received_ms_ = unix_now_ms();
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
    log_status_ = r.status;
    log_started_ = started_;
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
        [self = shared_from_this(), keep = res->keep_alive()](beast::error_code ec, std::size_t n) {
          self->response_.reset();
          self->log_request(n);
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
    sse_logged_ = false;
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
    sse_bytes_ += out_.size();
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
    if (!stream_key_.empty()) {
      state().streams.release(stream_key_);
      if (!sse_logged_) log_request(sse_bytes_);  // an event stream is logged when it ends
      sse_logged_ = true;
    }
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
    impl_.remove(id_);
  }

  static std::int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  void log_request(std::size_t bytes_out) {
    if (!impl_.access_log) return;
    AccessEntry e;
    e.unix_ms = received_ms_;
    if (req_.key) e.key_id = req_.key->id;
    e.method = req_.method;
    e.route = route_.known ? route_.name : "unknown";
    e.status = log_status_;
    e.bytes_in = req_.body.size();
    e.bytes_out = bytes_out;
    e.ms = std::chrono::duration<double, std::milli>(Clock::now() - log_started_).count();
    e.remote = remote_;
    impl_.access_log->write(e);
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
  bool shed_ = false;  // no longer counted by the ConnectionTable: close after this answer
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
  const std::uint64_t id_;
  const std::string remote_;
  std::atomic<bool> idle_{true};  // read by the accept loop under the sessions lock
  // For the access log: set when the answer is chosen, written when it has been sent.
  std::int64_t received_ms_ = 0;
  int log_status_ = 0;
  Clock::time_point log_started_{};
  std::uint64_t sse_bytes_ = 0;
  bool sse_logged_ = true;
};

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
        // Accepting again at once would spin: the pending connection stays in the backlog
        // until a descriptor is free.
        if (!out_of_descriptors)  // once per episode, not every 50 ms
          log_warn(
              "reel serve: out of file descriptors; raise the limit or lower "
              "--max-connections");
        out_of_descriptors = true;
        accept_pause.expires_after(std::chrono::milliseconds(50));
        return accept_pause.async_wait([this](beast::error_code e) {
          if (!e && !state.stopping) accept();
        });
      }
      return accept();
    }
    out_of_descriptors = false;
    admit(std::move(socket));
    if (!state.stopping) accept();
  });
}

// Closed at accept, without an HTTP answer, when refused: writing a 429/503 would mean
// reading the request first and holding the socket through a lingering close — the very
// resource being protected. Clients see a closed connection and retry (docs/api.md).
void HttpServer::Impl::admit(tcp::socket socket) {
  beast::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // reset before we got to it; the socket closes here
  std::string remote = peer.address().to_string();
  std::string group = connection_group(remote);
  std::shared_ptr<Session> s, victim;
  {
    std::lock_guard lock(sessions_mutex);
    std::uint64_t id = next_id++;
    auto a = table.admit(group, id, [this](std::uint64_t candidate) {
      auto it = sessions.find(candidate);
      return it != sessions.end() && it->second->idle();
    });
    switch (a.verdict) {
      case ConnectionTable::Verdict::refuse_address:
        ++state.metrics.connections_address_capped;
        [[fallthrough]];
      case ConnectionTable::Verdict::refuse_full:
        ++state.metrics.connections_refused;
        socket.close(ec);
        return;
      case ConnectionTable::Verdict::shed:
        ++state.metrics.connections_shed;
        victim = sessions.at(a.victim);
        [[fallthrough]];
      case ConnectionTable::Verdict::accept:
        s = std::make_shared<Session>(std::move(socket), *this, id, std::move(remote));
        sessions.emplace(id, s);
        state.metrics.connections = static_cast<int>(sessions.size());
    }
  }
  if (victim) victim->shed();
  s->start();
}

void HttpServer::Impl::remove(std::uint64_t id) {
  std::lock_guard lock(sessions_mutex);
  table.remove(id);
  sessions.erase(id);
  state.metrics.connections = static_cast<int>(sessions.size());
}

void HttpServer::Impl::shutdown() {
  state.stopping = true;
  beast::error_code ec;
  acceptor.close(ec);
  accept_pause.cancel();
  std::vector<std::shared_ptr<Session>> all;
  {
    std::lock_guard lock(sessions_mutex);
    for (auto& [id, s] : sessions) all.push_back(s);
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
