#include "dispatcher/request_dispatcher.h"

#include <algorithm>
#include <charconv>

#include "common/log.h"
#include "common/random.h"
#include "dispatcher/route.h"
#include "policy/cookies.h"

namespace agentgate {
namespace {

// The policy benchmark (bench/run.sh, target policy) compiles this file a second time with the
// define, into agentgate_without_policy: the baseline the policy's cost is measured against. That
// binary is built only on request and never installed; the agentgate binary cannot turn it off.
#ifdef AGENTGATE_BENCH_WITHOUT_POLICY
constexpr bool kApplyPolicy = false;
#else
constexpr bool kApplyPolicy = true;
#endif

std::string_view find_header(const HeaderList& headers, std::string_view name) {
  auto it = std::find_if(headers.begin(), headers.end(), [&](const auto& h) { return h.first == name; });
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

// A Host header we are willing to echo into ctx.request.url: host[:port] characters only.
bool is_plausible_host(std::string_view host) {
  return !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == ':' || c == '[' || c == ']';
  });
}

// Our id is the one in the server log: it replaces one a handler may have set.
void stamp_request_id(HttpReply& reply, const std::string& request_id) {
  std::erase_if(reply.headers, [](const auto& header) { return header.first == "x-request-id"; });
  reply.headers.emplace_back("x-request-id", request_id);
}

// Says nothing of what the handler returned: the owner's console has the details.
HttpReply policy_refusal() {
  return text_reply(502, "502 Bad Gateway: the agent's response was refused by the platform's policy\n");
}

// The handler sees only its own agent's cookies: not other agents' (the browser sends them all on
// the shared origin), not the platform's.
void keep_own_cookies(HeaderList& headers, std::string_view agent_id) {
  std::string cookie_prefix;  // made only when the request carries cookies
  for (auto it = headers.begin(); it != headers.end();) {
    if (it->first != "cookie") {
      ++it;
      continue;
    }
    if (cookie_prefix.empty()) cookie_prefix = cookie_prefix_for(agent_id);
    if (auto kept = filter_cookie_header(it->second, cookie_prefix)) {
      it->second = std::move(*kept);
      ++it;
    } else {
      it = headers.erase(it);
    }
  }
}

HttpReply outcome_reply(InvokeOutcome outcome) {
  switch (outcome.status) {
    case InvokeStatus::kOk: {
      HttpReply reply;
      reply.status = static_cast<unsigned>(outcome.response.status);
      reply.headers = std::move(outcome.response.headers);
      reply.body = std::move(outcome.response.body);
      return reply;
    }
    case InvokeStatus::kHandlerError:
    case InvokeStatus::kStartupError:
      return text_reply(500, "500 Internal Server Error: the agent's handler failed\n");
    case InvokeStatus::kInvalidResponse:
      return policy_refusal();
    case InvokeStatus::kCpuLimit:
      return text_reply(503, "503 Service Unavailable: the agent's handler exceeded its CPU time limit\n");
    case InvokeStatus::kWallLimit:
      return text_reply(503, "503 Service Unavailable: the agent's handler did not respond in time\n");
    case InvokeStatus::kHeapLimit:
      return text_reply(503, "503 Service Unavailable: the agent's handler exceeded its memory limit\n");
    case InvokeStatus::kIsolateRestarted:
      return text_reply(503, "503 Service Unavailable: the agent was restarted; retry the request\n");
  }
  return text_reply(500, "500 Internal Server Error\n");
}

}  // namespace

RequestDispatcher::RequestDispatcher(const ServeConfig& config, AgentRegistry& registry, AdminApi& admin,
                                     EventLoop& loop, Watchdog::Slot& watchdog, SandboxServices services)
    : config_(config),
      registry_(registry),
      admin_(admin),
      loop_(loop),
      pool_(config.limits, loop, watchdog, services),
      request_id_prefix_(random_hex(4)),
      console_(services.console) {
  cookie_policy_.reserved = config.reserved_cookies;
}

const AgentSnapshot& RequestDispatcher::agents() {
  if (!snapshot_ || snapshot_->generation != registry_.generation()) {
    snapshot_ = registry_.snapshot();
    // Let go of isolates for agents that were deleted or redeployed.
    pool_.sweep([&](const AgentSpec& spec) { return snapshot_->find_by_id(spec.id).get() == &spec; });
  }
  return *snapshot_;
}

std::string RequestDispatcher::next_request_id() {
  char counter[17];
  auto end = std::to_chars(counter, counter + sizeof counter, ++request_counter_, 16).ptr;
  std::string id;
  id.reserve(request_id_prefix_.size() + 1 + static_cast<size_t>(end - counter));
  id.append(request_id_prefix_).push_back('-');
  id.append(counter, end);
  return id;
}

std::string RequestDispatcher::origin_for(const IncomingRequest& request) const {
  if (!config_.public_origin.empty()) return config_.public_origin;
  if (is_plausible_host(request.host)) return "http://" + request.host;
  return "http://" + config_.listen_host + ":" + std::to_string(config_.listen_port);
}

size_t RequestDispatcher::body_limit(std::string_view target, std::string_view authorization) const {
  bool deploy = target.substr(0, kAdminPrefix.size()) == kAdminPrefix && admin_.authorized(authorization);
  return deploy ? config_.max_deploy_bytes : config_.max_body_bytes;
}

void RequestDispatcher::dispatch(IncomingRequest request, std::function<void(HttpReply)> done) {
  std::string request_id = next_request_id();
  auto finish = [&done, &request_id](HttpReply reply) {
    stamp_request_id(reply, request_id);
    done(std::move(reply));
  };

  if (request.target.rfind(kAdminPrefix, 0) == 0) {
    AdminRequest admin{request.method, request.target, find_header(request.headers, "authorization"), request.body};
    finish(admin_.handle(admin, pool_, loop_));
    return;
  }

  RouteDecision route = route_request(request.method, request.target, agents());
  using Kind = RouteDecision::Kind;
  switch (route.kind) {
    case Kind::kNotAgentPath:
      finish(text_reply(404, "404 Not Found: agents live under /agents/<agent-id>/\n"));
      return;
    case Kind::kBadPath:
      finish(text_reply(400, "400 Bad Request: '.' and '..' path segments are not allowed\n"));
      return;
    case Kind::kAgentNotFound:
      finish(text_reply(404, "404 Not Found: no such agent\n"));
      return;
    case Kind::kNoFunction:
      finish(text_reply(404, "404 Not Found: no function of this agent serves this path\n"));
      return;
    case Kind::kMethodNotAllowed: {
      HttpReply reply = text_reply(405, "405 Method Not Allowed\n");
      reply.headers.emplace_back("allow", route.allow);
      finish(std::move(reply));
      return;
    }
    case Kind::kRedirect: {
      HttpReply reply = text_reply(308, "308 Permanent Redirect\n");
      reply.headers.emplace_back("location", route.location);
      finish(std::move(reply));
      return;
    }
    case Kind::kFunction:
      break;
  }

  HandlerRequest handler_request;
  handler_request.request_id = request_id;
  handler_request.origin = origin_for(request);
  handler_request.url = handler_request.origin + request.target;
  handler_request.method = std::move(request.method);
  handler_request.headers = std::move(request.headers);
  handler_request.body = std::move(request.body);
  if (kApplyPolicy) keep_own_cookies(handler_request.headers, route.agent->id);
  bool https_origin = handler_request.origin.rfind("https://", 0) == 0;
  pool_.invoke(route.agent, route.function_index, std::move(handler_request),
               [this, done = std::move(done), request_id, agent = route.agent, function_index = route.function_index,
                https_origin](InvokeOutcome outcome) {
                 HttpReply reply = reply_for(std::move(outcome), *agent, function_index, request_id, https_origin);
                 stamp_request_id(reply, request_id);
                 done(std::move(reply));
               });
}

HttpReply RequestDispatcher::reply_for(InvokeOutcome outcome, const AgentSpec& agent, size_t function_index,
                                       const std::string& request_id, bool https_origin) {
  // Failed invocations (INVALID_RESPONSE_HEADER included) are in the console already (AgentIsolate).
  if (outcome.status != InvokeStatus::kOk || !kApplyPolicy) return outcome_reply(std::move(outcome));
  CookiePolicy& cookies = cookie_policy_;
  cookies.aim_at(agent.id);
  cookies.https_origin = https_origin;
  ResponseVerdict verdict = apply_response_policy(outcome.response.headers, outcome.response.dropped_headers, cookies);
  if (verdict.rejection) {
    report(agent, function_index, request_id, *verdict.rejection);
    return policy_refusal();
  }
  for (const PolicyEvent& advisory : verdict.advisories) {
    size_t suppressed = 0;
    if (!advisories_.allow(agent.id, std::chrono::steady_clock::now(), suppressed)) continue;
    PolicyEvent event = advisory;
    if (suppressed > 0) event.message += " (" + std::to_string(suppressed) + " advisories suppressed in the last minute)";
    report(agent, function_index, request_id, event);
  }
  HttpReply reply = outcome_reply(std::move(outcome));
  reply.security_headers = verdict.security_headers;
  return reply;
}

void RequestDispatcher::report(const AgentSpec& agent, size_t function_index, const std::string& request_id,
                               const PolicyEvent& event) {
  const std::string& function = agent.functions[function_index].name;
  log::warn("agent=", agent.slug, " fn=", function, " req=", request_id, " ", event.code, ": ", log::escaped(event.message));
  if (console_) {
    std::string_view level = event.code == "INVALID_SET_COOKIE" ? "error" : "warn";
    console_->append(agent.id, ConsoleEntry{0, 0, std::string(level), event.code, request_id, function, event.message});
  }
}

}  // namespace agentgate
