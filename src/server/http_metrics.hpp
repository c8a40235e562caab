#pragma once
// Prometheus counters of the HTTP API: requests by route and status, a latency histogram
// per route, open connections. Job counts are read from the store at scrape time.
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace reel::server {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};
  void observe(const std::string& route, int status, double seconds);
  // The text exposition of the counters (HELP/TYPE lines included).
  std::string text() const;
  std::atomic<int> connections{0};
  std::atomic<long long> connections_refused{0};         // closed at accept, any reason
  std::atomic<long long> connections_address_capped{0};  // … because of the per-address cap
  std::atomic<long long> connections_shed{0};  // idle ones closed to admit another address
  std::atomic<long long> header_timeouts{0};

 private:
  struct Histogram {
    std::array<long long, kBuckets.size()> counts{};
    long long count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, long long> requests_;
  std::map<std::string, Histogram> latency_;
};

}  // namespace reel::server
