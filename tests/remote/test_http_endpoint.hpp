#pragma once
// TEST DOUBLE: a scripted HTTP endpoint on 127.0.0.1 standing in for what the tests
// cannot reach — a customer's webhook receiver (a third party in reality) and a
// misbehaving server (slow, oversized, failing). The real reel server is exercised by
// the end-to-end tests; this one exists to make the client's edge cases happen.
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace reel::remote::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (boost::beast::iequals(k, name)) return v;
    return {};
  }
};

// The handler gets the request and writes raw bytes to the socket (full control over
// framing, delays and lies); respond() builds an ordinary answer.
using Handler = std::function<void(const ReceivedRequest&, boost::asio::ip::tcp::socket&)>;

inline void respond(boost::asio::ip::tcp::socket& s, int status, const std::string& body = {},
                    const std::string& extra_headers = {}) {
  std::string r = "HTTP/1.1 " + std::to_string(status) +
                  " X\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\nConnection: close\r\n" + extra_headers + "\r\n" + body;
  boost::system::error_code ec;
  boost::asio::write(s, boost::asio::buffer(r), ec);
}

class TestHttpEndpoint {
 public:
  explicit TestHttpEndpoint(Handler handler)
      : handler_(std::move(handler)),
        acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~TestHttpEndpoint() {
    stop_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket poke(ioc_);
    poke.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<ReceivedRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void serve() {
    namespace http = boost::beast::http;
    while (!stop_) {
      boost::asio::ip::tcp::socket s(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) break;
      boost::beast::flat_buffer buf;
      http::request<http::string_body> req;
      http::read(s, buf, req, ec);
      if (ec) continue;
      ReceivedRequest r{
          std::string(req.method_string()), std::string(req.target()), {}, req.body()};
      for (const auto& f : req) r.headers.emplace_back(f.name_string(), f.value());
      {
        std::lock_guard lock(mu_);
        requests_.push_back(r);
      }
      handler_(r, s);
      s.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }
  }

  Handler handler_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<ReceivedRequest> requests_;
};

}  // namespace reel::remote::testing
