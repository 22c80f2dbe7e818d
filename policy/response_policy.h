#pragma once
// Everything the platform checks and adds on a handler's response before it leaves, as one pure
// function: the Set-Cookie rules (cookies.h), the framing headers the handler tried to set, and the
// security headers (headers.h). What it finds is reported as owner-console events.
#include <optional>
#include <string>
#include <vector>

#include "policy/cookies.h"
#include "policy/headers.h"

namespace agentgate {

// One line for the agent owner's console. Never holds a cookie value.
struct PolicyEvent {
  std::string code;     // INVALID_SET_COOKIE, COOKIE_ADVISORY, DROPPED_HEADER
  std::string message;
};

struct ResponseVerdict {
  std::optional<PolicyEvent> rejection;  // set: send a 502 instead of the response
  std::vector<PolicyEvent> advisories;   // the response goes out; the owner is told
  SecurityHeaderSet security_headers;    // to send with the response (headers.h)
};

// Checks `headers` (lower-case names) against `cookies`, reports `dropped_headers` (hop-by-hop
// headers the handler set, already removed), drops origin-wide headers (headers.h) and, when
// nothing rejects the response, claims the security headers (claim_security_headers).
ResponseVerdict apply_response_policy(HeaderPairs& headers, const std::vector<std::string>& dropped_headers,
                                      const CookiePolicy& cookies);

}  // namespace agentgate
