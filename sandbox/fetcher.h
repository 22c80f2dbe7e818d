#pragma once
// What crosses the sandbox/dispatcher boundary for a handler's fetch(): plain values and one
// interface. The sandbox turns JS arguments into an OutboundRequest and the result into a Response;
// the dispatcher implements Fetcher with Beast and OpenSSL on the worker's event loop. Neither side
// sees the other's library.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace agentgate {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Every fetch limit; each one is a server setting (see dispatcher/config.h).
struct FetchLimits {
  std::chrono::milliseconds timeout{10'000};  // one fetch, redirects included
  size_t max_response_bytes = size_t{10} << 20;
  size_t max_request_bytes = size_t{10} << 20;
  uint32_t max_per_invocation = 50;
  uint32_t max_redirects = 5;
  // Fetches in flight on one worker, all its requests together: bounds its outbound sockets and
  // the response bytes it may be holding (this many x max_response_bytes).
  uint32_t max_in_flight_per_worker = 100;
};

enum class RedirectMode { kFollow, kManual, kError };

struct OutboundRequest {
  std::string method;  // a valid token, upper-cased for the standard methods
  std::string url;     // absolute http: or https: URL, as the WHATWG URL parser serialized it
  HeaderList headers;  // lower-case names, checked values; framing headers are the fetcher's
  std::string body;
  RedirectMode redirect = RedirectMode::kFollow;
};

struct OutboundResponse {
  int status = 0;
  std::string status_text;
  HeaderList headers;  // lower-case names, in arrival order
  std::string body;
  std::string url;  // the URL that answered (after redirects)
  bool redirected = false;
};

// Error codes of a failed fetch; each becomes a TypeError with this `code` in JS.
namespace fetch_error {
inline constexpr char kEgressDenied[] = "EGRESS_DENIED";        // the guard refused the destination
inline constexpr char kInvalidUrl[] = "INVALID_URL";            // not an http(s) URL we can reach
inline constexpr char kTimeout[] = "FETCH_TIMEOUT";             // no complete response within the timeout
inline constexpr char kTooLarge[] = "RESPONSE_TOO_LARGE";       // response body over the limit
inline constexpr char kRedirect[] = "REDIRECT_FAILED";          // too many, bad Location, or redirect: 'error'
inline constexpr char kNetwork[] = "NETWORK_ERROR";             // DNS, connect, reset, malformed response
inline constexpr char kTls[] = "TLS_ERROR";                     // handshake or certificate check failed
}  // namespace fetch_error

// The worker's HTTP client. Used only on the worker thread that owns it.
class Fetcher {
 public:
  using Id = uint64_t;
  using Completion = std::function<void(Result<OutboundResponse>)>;
  virtual ~Fetcher() = default;
  // Starts `request`. `done` is called exactly once, later, on this thread (never inside start),
  // unless the fetch is cancelled first.
  virtual Id start(OutboundRequest request, Completion done) = 0;
  // Stops fetch `id` (an abort, or its invocation ended): its connection closes and `done` is not
  // called. Unknown or finished ids are ignored.
  virtual void cancel(Id id) = 0;
};

}  // namespace agentgate
