#pragma once
// Rules for the response headers a handler returns, and the security headers the platform adds.
// Pure (no I/O).
#include <array>
#include <bitset>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentgate {

using HeaderPairs = std::vector<std::pair<std::string, std::string>>;  // lower-case names

// RFC 9110 token characters (header names, cookie names).
bool is_token_char(unsigned char c);
// A lower-case token.
bool is_valid_header_name(std::string_view name);
// An RFC 9110 token of any case (a method, a header name before lower-casing).
bool is_token(std::string_view text);
// No control characters (CR, LF, NUL...) other than tab.
bool is_valid_header_value(std::string_view value);
// Headers about the connection and its framing, which the server owns: a handler's are dropped.
bool is_hop_by_hop(std::string_view name);
// Headers that act on the whole origin, so on every agent sharing it (Clear-Site-Data wipes all
// cookies and storage; Service-Worker-Allowed lets a worker control every path): dropped.
bool is_origin_wide(std::string_view name);

// The platform's security headers, in the order they are sent. Which of them a handler may replace:
//   x-content-type-options: nosniff                      always; a handler's value is replaced
//   strict-transport-security: max-age=31536000          on an https origin; a handler's is replaced
//                                                        (it would apply to every agent on the host)
//   referrer-policy: strict-origin-when-cross-origin     unless the handler sets its own
//   content-security-policy: frame-ancestors 'self'      unless the handler sets its own CSP
//   cross-origin-opener-policy: same-origin              unless the handler sets its own
struct SecurityHeader {
  std::string_view name;
  std::string_view value;
};
inline constexpr std::array<SecurityHeader, 5> kSecurityHeaders = {{
    {"x-content-type-options", "nosniff"},
    {"strict-transport-security", "max-age=31536000"},
    {"referrer-policy", "strict-origin-when-cross-origin"},
    {"content-security-policy", "frame-ancestors 'self'"},
    {"cross-origin-opener-policy", "same-origin"},
}};
// Which of kSecurityHeaders a response gets: bit i stands for kSecurityHeaders[i]. A value, so the
// server can send the constant headers without copying them into every response's header list.
using SecurityHeaderSet = std::bitset<kSecurityHeaders.size()>;

// Removes from a handler's headers those only the platform may set, and returns the security
// headers this response gets: the platform's own, and the defaults the handler did not replace.
SecurityHeaderSet claim_security_headers(HeaderPairs& headers, bool https_origin);

// claim_security_headers, then the headers it chose appended to `headers`.
void add_security_headers(HeaderPairs& headers, bool https_origin);

}  // namespace agentgate
