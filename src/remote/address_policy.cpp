#include "remote/address_policy.hpp"

#include <cstdint>

namespace reel::remote {
namespace {

bool in(std::uint32_t a, std::uint32_t net, int bits) {
  const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (a & mask) == (net & mask);
}

std::string_view v4_reason(std::uint32_t a) {
  if (in(a, 0x00000000, 8)) return "unspecified / 'this network' (0.0.0.0/8)";
  if (in(a, 0x7f000000, 8)) return "loopback (127.0.0.0/8)";
  if (in(a, 0x0a000000, 8) || in(a, 0xac100000, 12) || in(a, 0xc0a80000, 16))
    return "private (RFC 1918)";
  if (in(a, 0x64400000, 10)) return "shared carrier-grade NAT (100.64.0.0/10)";
  if (in(a, 0xa9fe0000, 16)) return "link-local (169.254.0.0/16, cloud metadata)";
  if (in(a, 0xc0000000, 24)) return "IETF protocol assignments (192.0.0.0/24)";
  if (in(a, 0xc6120000, 15)) return "benchmarking (198.18.0.0/15)";
  if (in(a, 0xe0000000, 4)) return "multicast (224.0.0.0/4)";
  if (in(a, 0xf0000000, 4)) return "reserved (240.0.0.0/4)";
  return {};
}

}  // namespace

std::string_view refused_address_reason(const boost::asio::ip::address& address) {
  if (address.is_v4()) return v4_reason(address.to_v4().to_uint());
  const auto v6 = address.to_v6();
  const auto b = v6.to_bytes();
  if (v6.is_v4_mapped() || v6.is_v4_compatible()) {
    if (v6.is_loopback()) return "loopback (::1)";
    if (v6.is_unspecified()) return "unspecified (::)";
    const std::uint32_t a =
        std::uint32_t{b[12]} << 24 | std::uint32_t{b[13]} << 16 | std::uint32_t{b[14]} << 8 | b[15];
    return v4_reason(a);
  }
  if (v6.is_loopback()) return "loopback (::1)";
  if (v6.is_unspecified()) return "unspecified (::)";
  if (v6.is_link_local()) return "link-local (fe80::/10)";
  if (v6.is_site_local()) return "site-local (fec0::/10)";
  if ((b[0] & 0xfe) == 0xfc) return "unique local (fc00::/7)";
  if (v6.is_multicast()) return "multicast (ff00::/8)";
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address that may be private.
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
    return v4_reason(std::uint32_t{b[12]} << 24 | std::uint32_t{b[13]} << 16 |
                     std::uint32_t{b[14]} << 8 | b[15]);
  if (b[0] == 0x20 && b[1] == 0x02)
    return v4_reason(std::uint32_t{b[2]} << 24 | std::uint32_t{b[3]} << 16 |
                     std::uint32_t{b[4]} << 8 | b[5]);
  return {};
}

}  // namespace reel::remote
