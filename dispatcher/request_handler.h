#pragma once
// The seam between the HTTP front end (server.cc, Beast) and what answers requests: the agent
// dispatcher in production, a fixed native reply in the bare benchmark server.
#include <functional>
#include <string>

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
};

}  // namespace agentgate
