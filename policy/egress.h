#pragma once
// The egress guard's address rule, pure: which resolved addresses a handler's fetch may never
// connect to. fetch (issue 5) resolves a host, checks every address with this, and connects to the
// exact address it checked, so DNS rebinding cannot slip a second answer past the check.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace agentgate {

// An IPv4 address is held as its IPv4-mapped IPv6 form (::ffff:a.b.c.d).
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  static IpAddress v4(const std::array<uint8_t, 4>& octets);
  static IpAddress v6(const std::array<uint8_t, 16>& bytes);
};

// Why an address is refused, or nullopt when it is a public unicast address. Refused: loopback,
// unspecified, private (RFC 1918), CGNAT (100.64/10), link-local (169.254/16 with the cloud
// metadata address, fe80::/10), unique-local (fc00::/7), site-local, multicast, broadcast,
// reserved, documentation and benchmarking ranges; IPv4 carried inside IPv6 (mapped, compatible,
// NAT64 64:ff9b::/96, 6to4 2002::/16) is judged as the IPv4 address it carries.
std::optional<std::string_view> egress_refusal(const IpAddress& address);

}  // namespace agentgate
