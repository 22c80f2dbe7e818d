#pragma once
// Rules for the response headers a handler returns, and the security headers the platform adds.
// Pure (no I/O).
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

// Adds the platform's default security headers to a handler's response:
//   x-content-type-options: nosniff                      always; a handler's value is replaced
//   strict-transport-security: max-age=31536000          on an https origin; a handler's is replaced
//                                                        (it would apply to every agent on the host)
//   referrer-policy: strict-origin-when-cross-origin     unless the handler sets its own
//   content-security-policy: frame-ancestors 'self'      unless the handler sets its own CSP
//   cross-origin-opener-policy: same-origin              unless the handler sets its own
void add_security_headers(HeaderPairs& headers, bool https_origin);

}  // namespace agentgate
