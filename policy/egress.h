#pragma once
// The egress guard's address rule, pure: which resolved addresses a handler's fetch may never
// connect to. fetch (issue 5) resolves a host, checks every address with this, and connects to the
// exact address it checked, so DNS rebinding cannot slip a second answer past the check.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

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

// The Fetch standard's "bad ports" (SMTP, SSH, IRC, ...): fetch refuses them unless an operator's
// exception names the host and port, so agents cannot speak other protocols from the server.
bool is_blocked_port(uint16_t port);

// An IP address literal ("10.0.0.1", "::1", "[::ffff:127.0.0.1]"), or nullopt for anything else
// (a host name). IPv6 may come with or without brackets.
std::optional<IpAddress> parse_ip_literal(std::string_view text);

// An operator's exception to the guard (--egress-allow HOST:PORT): a fetch to exactly this host
// and port may connect to whatever the host resolves to. Tests use it to reach a provider on
// 127.0.0.1; production may use it for an internal service.
struct EgressException {
  std::string host;  // lower case; an IPv6 literal without brackets
  uint16_t port = 0;
};

// Parses HOST:PORT ("127.0.0.1:8443", "[::1]:8080", "auth.internal:443"). Error code USAGE.
Result<EgressException> parse_egress_exception(std::string_view text);

// True when `host` (as in a URL: lower case, IPv6 in brackets or not) and `port` are one of
// `exceptions`. IP literals compare as addresses ("[0::1]" is "[::1]"); names compare exactly, so
// "localhost" does not admit "127.0.0.1" nor the reverse, and an IPv4 exception does not admit the
// IPv4-mapped IPv6 form of its address.
bool egress_excepted(const std::vector<EgressException>& exceptions, std::string_view host, uint16_t port);

}  // namespace agentgate
