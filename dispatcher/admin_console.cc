#include "dispatcher/admin_console.h"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <charconv>

namespace agentgate {
namespace {

constexpr size_t kDefaultLimit = 100;
constexpr size_t kMaxLimit = 1000;

template <class T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

HttpReply handle_admin_console(std::string_view method, std::string_view target, const AgentSpec& agent,
                               ConsoleLog* console) {
  if (method != "GET") {
    HttpReply reply = json_error(405, "METHOD_NOT_ALLOWED", "use GET");
    reply.headers.emplace_back("allow", "GET");
    return reply;
  }
  if (!console) return json_error(503, "CONSOLE_UNAVAILABLE", "the console is not configured on this server");
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return json_error(400, "BAD_REQUEST", "malformed query string");
  uint64_t since = 0;
  size_t limit = kDefaultLimit;
  for (auto param : url->params()) {
    if (param.key == "since") {
      auto parsed = parse_number<uint64_t>(param.value);
      if (!parsed) return json_error(400, "INVALID_ARGUMENT", "since must be a cursor this endpoint returned");
      since = *parsed;
    } else if (param.key == "limit") {
      auto parsed = parse_number<size_t>(param.value);
      if (!parsed || *parsed < 1 || *parsed > kMaxLimit) {
        return json_error(400, "INVALID_ARGUMENT", "limit must be an integer from 1 to " + std::to_string(kMaxLimit));
      }
      limit = *parsed;
    } else if (param.key == "follow") {
      return json_error(501, "NOT_IMPLEMENTED",
                        "follow (a live stream) is not available yet: poll with since=<cursor> instead");
    } else {
      return json_error(400, "INVALID_ARGUMENT",
                        "unknown query parameter '" + param.key.substr(0, 64) + "' (expected since, limit)");
    }
  }
  auto entries = console->read(agent.id, since, limit);
  if (!entries) return json_error(503, entries.error().code, entries.error().message);
  boost::json::array list;
  for (const auto& entry : *entries) list.push_back(boost::json::parse(console_entry_json(entry)));
  std::string cursor = std::to_string(entries->empty() ? since : entries->back().sequence);
  return json_reply(200, boost::json::object{{"entries", std::move(list)}, {"cursor", cursor}});
}

}  // namespace agentgate
