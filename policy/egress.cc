#include "policy/egress.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include "common/ascii.h"

namespace agentgate {
namespace {

struct Range {
  std::array<uint8_t, 16> prefix;
  int bits;
  std::string_view why;
};

bool in(const std::array<uint8_t, 16>& address, const std::array<uint8_t, 16>& prefix, int bits) {
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((address[i] & mask) != (prefix[i] & mask)) return false;
  }
  return true;
}

constexpr std::array<uint8_t, 16> v4_prefix(uint8_t a, uint8_t b = 0, uint8_t c = 0, uint8_t d = 0) {
  return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
}

// IPv4 ranges, as prefixes of the mapped form (96 + IPv4 prefix length bits).
constexpr Range kV4[] = {
    {v4_prefix(0), 96 + 8, "\"this network\" (0.0.0.0/8)"},
    {v4_prefix(10), 96 + 8, "private (10.0.0.0/8)"},
    {v4_prefix(100, 64), 96 + 10, "carrier-grade NAT (100.64.0.0/10)"},
    {v4_prefix(127), 96 + 8, "loopback (127.0.0.0/8)"},
    {v4_prefix(169, 254), 96 + 16, "link-local, cloud metadata (169.254.0.0/16)"},
    {v4_prefix(172, 16), 96 + 12, "private (172.16.0.0/12)"},
    {v4_prefix(192, 0, 0), 96 + 24, "IETF protocol assignments (192.0.0.0/24)"},
    {v4_prefix(192, 0, 2), 96 + 24, "documentation (192.0.2.0/24)"},
    {v4_prefix(192, 88, 99), 96 + 24, "6to4 relay anycast (192.88.99.0/24)"},
    {v4_prefix(192, 168), 96 + 16, "private (192.168.0.0/16)"},
    {v4_prefix(198, 18), 96 + 15, "benchmarking (198.18.0.0/15)"},
    {v4_prefix(198, 51, 100), 96 + 24, "documentation (198.51.100.0/24)"},
    {v4_prefix(203, 0, 113), 96 + 24, "documentation (203.0.113.0/24)"},
    {v4_prefix(224), 96 + 4, "multicast (224.0.0.0/4)"},
    {v4_prefix(240), 96 + 4, "reserved and broadcast (240.0.0.0/4)"},
};

constexpr std::array<uint8_t, 16> v6(std::initializer_list<uint8_t> head) {
  std::array<uint8_t, 16> out{};
  size_t i = 0;
  for (uint8_t byte : head) out[i++] = byte;
  return out;
}

const Range kV6[] = {
    {v6({}), 128, "unspecified (::)"},
    {v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), 128, "loopback (::1)"},
    {v6({0x01, 0x00}), 64, "discard-only (100::/64)"},
    {v6({0x20, 0x01, 0x0d, 0xb8}), 32, "documentation (2001:db8::/32)"},
    {v6({0xfc}), 7, "unique-local (fc00::/7)"},
    {v6({0, 0x64, 0xff, 0x9b, 0, 1}), 48, "local-use NAT64 (64:ff9b:1::/48)"},
    {v6({0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}), 96, "SIIT IPv4-translated (::ffff:0:0:0/96)"},
    {v6({0x20, 0x01, 0, 0}), 32, "Teredo (2001::/32)"},
    {v6({0xfe, 0x80}), 10, "link-local (fe80::/10)"},
    {v6({0xfe, 0xc0}), 10, "site-local (fec0::/10)"},
    {v6({0xff}), 8, "multicast (ff00::/8)"},
};

}  // namespace

IpAddress IpAddress::v4(const std::array<uint8_t, 4>& octets) {
  IpAddress address;
  address.bytes = v4_prefix(octets[0], octets[1], octets[2], octets[3]);
  return address;
}

IpAddress IpAddress::v6(const std::array<uint8_t, 16>& bytes) { return IpAddress{bytes}; }

std::optional<std::string_view> egress_refusal(const IpAddress& address) {
  const auto& bytes = address.bytes;
  // IPv4 inside IPv6: judge the IPv4 address.
  std::optional<std::array<uint8_t, 4>> carried;
  if (in(bytes, v4_prefix(0), 96)) {
    carried = std::array<uint8_t, 4>{bytes[12], bytes[13], bytes[14], bytes[15]};  // mapped
  } else if (in(bytes, v6({0, 0x64, 0xff, 0x9b}), 96)) {
    carried = std::array<uint8_t, 4>{bytes[12], bytes[13], bytes[14], bytes[15]};  // NAT64
  } else if (in(bytes, v6({0x20, 0x02}), 16)) {
    carried = std::array<uint8_t, 4>{bytes[2], bytes[3], bytes[4], bytes[5]};  // 6to4
  } else if (in(bytes, v6({}), 96) && !in(bytes, v6({}), 127)) {
    carried = std::array<uint8_t, 4>{bytes[12], bytes[13], bytes[14], bytes[15]};  // IPv4-compatible (deprecated)
  }
  if (carried) {
    IpAddress inner = IpAddress::v4(*carried);
    for (const Range& range : kV4) {
      if (in(inner.bytes, range.prefix, range.bits)) return range.why;
    }
    return std::nullopt;
  }
  for (const Range& range : kV6) {
    if (in(bytes, range.prefix, range.bits)) return range.why;
  }
  return std::nullopt;
}

bool is_blocked_port(uint16_t port) {
  // https://fetch.spec.whatwg.org/#bad-port, in order.
  static constexpr uint16_t kBadPorts[] = {
      0,    1,    7,    9,    11,   13,   15,   17,   19,   20,   21,   22,   23,   25,   37,   42,   43,
      53,   69,   77,   79,   87,   95,   101,  102,  103,  104,  109,  110,  111,  113,  115,  117,  119,
      123,  135,  137,  139,  143,  161,  179,  389,  427,  465,  512,  513,  514,  515,  526,  530,  531,
      532,  540,  548,  554,  556,  563,  587,  601,  636,  989,  990,  993,  995,  1719, 1720, 1723, 2049,
      3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080};
  return std::binary_search(std::begin(kBadPorts), std::end(kBadPorts), port);
}

std::optional<IpAddress> parse_ip_literal(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::string terminated(text);  // inet_pton: pure parsing, needs a C string
  std::array<uint8_t, 4> v4{};
  if (inet_pton(AF_INET, terminated.c_str(), v4.data()) == 1) return IpAddress::v4(v4);
  std::array<uint8_t, 16> v6_bytes{};
  if (inet_pton(AF_INET6, terminated.c_str(), v6_bytes.data()) == 1) return IpAddress::v6(v6_bytes);
  return std::nullopt;
}

Result<EgressException> parse_egress_exception(std::string_view text) {
  auto usage = [&] {
    return Error{"USAGE", "expects HOST:PORT, such as 127.0.0.1:8443, [::1]:8443 or auth.internal:443 (got '" +
                              std::string(text) + "')"};
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return usage();
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  bool bracketed = host.front() == '[';
  if (bracketed) {
    if (host.size() < 3 || host.back() != ']' || !parse_ip_literal(host)) return usage();
    host = host.substr(1, host.size() - 2);
  } else if (host.find_first_of(":[]/@ \t") != std::string_view::npos) {
    return usage();  // an IPv6 address must be bracketed, or "::1:80" would be ambiguous
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) return usage();
  return EgressException{lowered_ascii(host), static_cast<uint16_t>(port)};
}

bool egress_excepted(const std::vector<EgressException>& exceptions, std::string_view host, uint16_t port) {
  auto address = parse_ip_literal(host);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  for (const EgressException& exception : exceptions) {
    if (exception.port != port) continue;
    if (address) {
      // Same address written in the same family: "[::ffff:127.0.0.1]" is not "127.0.0.1".
      auto allowed = parse_ip_literal(exception.host);
      bool same_family = (exception.host.find(':') == std::string::npos) == (host.find(':') == std::string_view::npos);
      if (allowed && same_family && allowed->bytes == address->bytes) return true;
    } else if (exception.host.size() == host.size() &&
               std::equal(host.begin(), host.end(), exception.host.begin(),
                          [](char a, char b) { return ascii_lower(a) == b; })) {
      return true;
    }
  }
  return false;
}

}  // namespace agentgate
