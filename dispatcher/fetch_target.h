#pragma once
// The pure half of the fetch client (no I/O): where a URL says to connect, and what request a
// redirect leads to (Fetch standard, "HTTP-redirect fetch"). dispatcher/http_fetcher.cc does the I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "policy/egress.h"
#include "sandbox/fetcher.h"

namespace agentgate {

struct FetchTarget {
  bool tls = false;
  std::string host;         // lower case; an IPv6 literal without brackets (for DNS, SNI, the certificate check)
  uint16_t port = 0;
  std::string host_header;  // what Host says: the host, bracketed if IPv6, with the port if not the default
  std::string target;       // origin-form request target: path and query, never empty
  std::optional<IpAddress> literal;  // set when the host is an IP address: nothing to resolve
};

// Only absolute http: and https: URLs without credentials. Error code INVALID_URL, with a message
// for the handler's author.
Result<FetchTarget> parse_fetch_target(std::string_view url);

bool is_redirect_status(int status);

// The request to make after `status` with `location` answered `current`: the Location resolved
// against current.url; 303 (and 301/302 after a POST) turn into a bodiless GET; a change of origin
// drops credentials (authorization, cookie, proxy-authorization). Error code REDIRECT_FAILED when
// the Location is not a URL or leaves http(s).
Result<OutboundRequest> redirect_request(const OutboundRequest& current, int status, std::string_view location);

}  // namespace agentgate
