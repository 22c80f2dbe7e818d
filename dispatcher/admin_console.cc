#include "dispatcher/admin_console.h"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <chrono>
#include <charconv>

namespace agentgate {
namespace {

constexpr size_t kDefaultLimit = 100;
constexpr size_t kMaxLimit = 1000;
constexpr std::chrono::milliseconds kFollowPoll{250};
constexpr int kPollsPerKeepAlive = 60;  // 15 s

// follow=1: new entries as Server-Sent Events. Looks for new entries every kFollowPoll on the
// worker's event loop (a read of the newest keys of one agent: cheap), so writers never wait on
// followers.
class ConsoleFollow final : public ReplyStream, public std::enable_shared_from_this<ConsoleFollow> {
 public:
  ConsoleFollow(ConsoleLog& console, std::string agent_id, uint64_t since, EventLoop& loop)
      : console_(console), agent_id_(std::move(agent_id)), cursor_(since), loop_(loop) {}

  void next(std::function<void(std::optional<std::string>)> deliver) override {
    if (cancelled_) return;
    auto entries = console_.read(agent_id_, cursor_, kDefaultLimit);
    if (!entries) return deliver(std::nullopt);  // storage failed (logged): end the stream
    if (!entries->empty()) {
      std::string events;
      for (const auto& entry : *entries) {
        events += "id: " + std::to_string(entry.sequence) + "\nevent: console\ndata: " + console_entry_json(entry) + "\n\n";
      }
      cursor_ = entries->back().sequence;
      idle_polls_ = 0;
      return deliver(std::move(events));
    }
    if (++idle_polls_ >= kPollsPerKeepAlive) {
      idle_polls_ = 0;
      return deliver(std::string(": keep-alive\n\n"));
    }
    timer_ = loop_.start_timer(kFollowPoll, [weak = weak_from_this(), deliver = std::move(deliver)]() mutable {
      if (auto self = weak.lock()) {
        self->timer_ = 0;
        self->next(std::move(deliver));
      }
    });
  }

  void cancel() override {
    cancelled_ = true;
    if (timer_ != 0) loop_.cancel_timer(timer_);
    timer_ = 0;
  }

 private:
  ConsoleLog& console_;
  std::string agent_id_;
  uint64_t cursor_;
  EventLoop& loop_;
  EventLoop::TimerId timer_ = 0;
  int idle_polls_ = 0;
  bool cancelled_ = false;
};

template <class T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

HttpReply handle_admin_console(std::string_view method, std::string_view target, const AgentSpec& agent,
                               ConsoleLog* console, EventLoop& loop) {
  if (method != "GET") return json_method_not_allowed("GET");
  if (!console) return json_error(503, "CONSOLE_UNAVAILABLE", "the console is not configured on this server");
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return json_error(400, "BAD_REQUEST", "malformed query string");
  uint64_t since = 0;
  size_t limit = kDefaultLimit;
  bool follow = false;
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
      if (param.value != "1" && param.value != "0") return json_error(400, "INVALID_ARGUMENT", "follow must be 1 or 0");
      follow = param.value == "1";
    } else {
      return json_error(400, "INVALID_ARGUMENT",
                        "unknown query parameter '" + param.key.substr(0, 64) + "' (expected since, limit)");
    }
  }
  if (follow) {
    HttpReply reply;
    reply.headers = {{"content-type", "text/event-stream"}, {"cache-control", "no-store"}};
    reply.stream = std::make_shared<ConsoleFollow>(*console, agent.id, since, loop);
    return reply;
  }
  auto entries = console->read(agent.id, since, limit);
  if (!entries) return json_error(503, entries.error().code, entries.error().message);
  boost::json::array list;
  for (const auto& entry : *entries) list.push_back(boost::json::parse(console_entry_json(entry)));
  std::string cursor = std::to_string(entries->empty() ? since : entries->back().sequence);
  return json_reply(200, boost::json::object{{"entries", std::move(list)}, {"cursor", cursor}});
}

}  // namespace agentgate
