#pragma once
// One per worker thread: turns a parsed HTTP request into a reply — the admin API, a redirect or
// error from routing, or an agent function run in this worker's isolates. No Beast here: the server
// converts to and from these plain values.
#include <algorithm>
#include <functional>
#include <memory>
#include <string>

#include "deploy/agent_registry.h"
#include "dispatcher/admin_api.h"
#include "dispatcher/config.h"
#include "dispatcher/http_reply.h"
#include "dispatcher/request_handler.h"
#include "policy/advisory_budget.h"
#include "policy/response_policy.h"
#include "sandbox/isolate_pool.h"
#include "sandbox/watchdog.h"

namespace agentgate {

class RequestDispatcher final : public RequestHandler {
 public:
  RequestDispatcher(const ServeConfig& config, AgentRegistry& registry, AdminApi& admin, EventLoop& loop,
                    Watchdog::Slot& watchdog, SandboxServices services);

  void dispatch(IncomingRequest request, std::function<void(HttpReply)> done) override;
  // Deploys carry whole bundles: an authorised admin request may send --max-deploy-bytes; anyone
  // else --max-body-bytes, so an unauthenticated client cannot make us buffer 32 MiB.
  size_t body_limit(std::string_view target, std::string_view authorization) const override;
  size_t max_body_limit() const override { return std::max(config_.max_body_bytes, config_.max_deploy_bytes); }

 private:
  const AgentSnapshot& agents();
  std::string next_request_id();
  std::string origin_for(const IncomingRequest& request) const;
  // The policy checks on a finished invocation (policy/response_policy.h), then its reply.
  HttpReply reply_for(InvokeOutcome outcome, const AgentSpec& agent, size_t function_index, const std::string& request_id,
                      bool https_origin);
  // An owner-console event (also in the server log, tagged with agent, function and request).
  void report(const AgentSpec& agent, size_t function_index, const std::string& request_id, const PolicyEvent& event);

  const ServeConfig& config_;
  AgentRegistry& registry_;
  AdminApi& admin_;
  EventLoop& loop_;
  IsolatePool pool_;
  std::shared_ptr<const AgentSnapshot> snapshot_;  // refreshed when the registry's generation moves
  std::string request_id_prefix_;
  uint64_t request_counter_ = 0;
  AdvisoryBudget advisories_;
  CookiePolicy cookie_policy_;  // the settings' reserved names; re-aimed at each response's agent
  ConsoleSink* console_;
};

}  // namespace agentgate
