// Prometheus text format 0.0.4 for the HTTP counters.
#include "server/http_metrics.hpp"

#include <sstream>

namespace reel::server {

void Metrics::observe(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  Histogram& h = latency_[route];
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.counts[i];
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::text() const {
  std::ostringstream out;
  std::lock_guard lock(mutex_);
  out << "# HELP reel_http_requests_total HTTP requests by route and status.\n"
         "# TYPE reel_http_requests_total counter\n";
  for (const auto& [k, n] : requests_)
    out << "reel_http_requests_total{route=\"" << k.first << "\",status=\"" << k.second << "\"} "
        << n << "\n";
  out << "# HELP reel_http_request_duration_seconds Time from request header to response.\n"
         "# TYPE reel_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      out << "reel_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\""
          << kBuckets[i] << "\"} " << h.counts[i] << "\n";
    out << "reel_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} "
        << h.count << "\n";
    out << "reel_http_request_duration_seconds_sum{route=\"" << route << "\"} " << h.sum << "\n";
    out << "reel_http_request_duration_seconds_count{route=\"" << route << "\"} " << h.count
        << "\n";
  }
  out << "# HELP reel_http_connections Open HTTP connections.\n"
         "# TYPE reel_http_connections gauge\n"
      << "reel_http_connections " << connections.load() << "\n"
      << "# HELP reel_http_connections_refused_total Connections closed at the cap.\n"
         "# TYPE reel_http_connections_refused_total counter\n"
      << "reel_http_connections_refused_total " << connections_refused.load() << "\n"
      << "# HELP reel_http_connections_address_capped_total Connections closed at accept "
         "because their address was at --max-connections-per-address.\n"
         "# TYPE reel_http_connections_address_capped_total counter\n"
      << "reel_http_connections_address_capped_total " << connections_address_capped.load() << "\n"
      << "# HELP reel_http_connections_shed_total Idle connections closed at the global cap "
         "to admit a connection from an address holding fewer.\n"
         "# TYPE reel_http_connections_shed_total counter\n"
      << "reel_http_connections_shed_total " << connections_shed.load() << "\n"
      << "# HELP reel_http_header_timeouts_total Connections closed by the header timeout.\n"
         "# TYPE reel_http_header_timeouts_total counter\n"
      << "reel_http_header_timeouts_total " << header_timeouts.load() << "\n";
  return out.str();
}

}  // namespace reel::server
