#pragma once
// A response the dispatcher composed itself (errors, redirects, admin API), before it becomes a
// Beast message in the server.
#include <boost/json/fwd.hpp>

#include <string>
#include <string_view>

#include "sandbox/handler_types.h"

namespace agentgate {

struct HttpReply {
  unsigned status = 200;
  HeaderList headers;
  std::string body;
};

// `value` serialised as an application/json reply.
HttpReply json_reply(unsigned status, const boost::json::value& value);
// {"error": {"code": CODE, "message": MESSAGE}} with the given status.
HttpReply json_error(unsigned status, std::string_view code, std::string_view message);
HttpReply text_reply(unsigned status, std::string_view body);

}  // namespace agentgate
