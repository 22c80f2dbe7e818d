#pragma once
// The seam between the HTTP front end (server.cc, Beast) and what answers requests: the agent
// dispatcher in production, a fixed native reply in the bare benchmark server.
#include <functional>
#include <cstddef>
#include <string>
#include <string_view>

#include "dispatcher/http_reply.h"

namespace agentgate {

struct IncomingRequest {
  std::string method;
  std::string target;  // as received: path and query
  std::string host;    // the Host header
  HeaderList headers;  // lower-case names
  std::string body;
};

// One per worker thread, used only on it.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // `done` runs exactly once on this worker's thread, possibly before dispatch returns.
  virtual void dispatch(IncomingRequest request, std::function<void(HttpReply)> done) = 0;

  // The largest body to read for a request with this head (larger gets 413 before it is read).
  virtual size_t body_limit(std::string_view target, std::string_view authorization) const = 0;
  // The largest body_limit() can return: Beast's own check of a declared length, made before the
  // head is complete, must not be stricter.
  virtual size_t max_body_limit() const = 0;
};

}  // namespace agentgate
