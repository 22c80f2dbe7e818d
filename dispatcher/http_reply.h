#pragma once
// A response the dispatcher composed itself (errors, redirects, admin API), before it becomes a
// Beast message in the server.
#include <boost/json/fwd.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "policy/headers.h"
#include "sandbox/handler_types.h"

namespace agentgate {

// A body that arrives piece by piece (Server-Sent Events). The server sends the head, then asks for
// pieces until there are none left, with chunked transfer encoding; the connection ends with it.
// Used only on its worker's thread.
class ReplyStream {
 public:
  virtual ~ReplyStream() = default;
  // Calls `deliver` exactly once (unless cancelled first), possibly before returning: with the
  // next piece (never empty), or nullopt when the body is complete.
  virtual void next(std::function<void(std::optional<std::string>)> deliver) = 0;
  // The client is gone or the server is stopping: `deliver` must not be called any more.
  virtual void cancel() = 0;
};

struct HttpReply {
  unsigned status = 200;
  HeaderList headers;
  SecurityHeaderSet security_headers;  // sent after `headers`; the server keeps them pre-serialized
  std::string body;
  std::shared_ptr<ReplyStream> stream;  // set: the body is streamed and `body` is ignored
};

// `value` serialised as an application/json reply.
HttpReply json_reply(unsigned status, const boost::json::value& value);
// {"error": {"code": CODE, "message": MESSAGE}} with the given status.
HttpReply json_error(unsigned status, std::string_view code, std::string_view message);
HttpReply text_reply(unsigned status, std::string_view body);
// 405 METHOD_NOT_ALLOWED as JSON, with `Allow: <allow>` ("GET, DELETE").
HttpReply json_method_not_allowed(std::string_view allow);

}  // namespace agentgate
