#include "dispatcher/http_reply.h"

#include <boost/json.hpp>

namespace agentgate {

HttpReply json_reply(unsigned status, const boost::json::value& value) {
  HttpReply reply;
  reply.status = status;
  reply.headers.emplace_back("content-type", "application/json");
  reply.body = boost::json::serialize(value);
  reply.body.push_back('\n');
  return reply;
}

HttpReply json_error(unsigned status, std::string_view code, std::string_view message) {
  return json_reply(status, boost::json::object{{"error", {{"code", code}, {"message", message}}}});
}

HttpReply json_method_not_allowed(std::string_view allow) {
  HttpReply reply = json_error(405, "METHOD_NOT_ALLOWED", "use " + std::string(allow));
  reply.headers.emplace_back("allow", std::string(allow));
  return reply;
}

HttpReply text_reply(unsigned status, std::string_view body) {
  HttpReply reply;
  reply.status = status;
  reply.headers.emplace_back("content-type", "text/plain; charset=utf-8");
  reply.body = body;
  return reply;
}

}  // namespace agentgate
