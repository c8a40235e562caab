#pragma once
// Which addresses an outbound request to a customer-supplied URL may reach (SSRF,
// docs/remote.md): public unicast only. IPv4-mapped and IPv4-compatible IPv6 forms
// are judged as the IPv4 address they carry, so [::ffff:127.0.0.1] is loopback.
#include <boost/asio/ip/address.hpp>
#include <string_view>

namespace reel::remote {

// Empty when allowed, else the reason ("loopback", "private (RFC 1918)", ...).
std::string_view refused_address_reason(const boost::asio::ip::address& address);

}  // namespace reel::remote
