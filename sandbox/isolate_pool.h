#pragma once
// One per worker thread: the isolates of every agent this thread has served, created on the first
// request and replaced when a new version is deployed. In-flight invocations finish on the isolate
// (and version) they started on; the old isolate is disposed once they have.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "deploy/agent_spec.h"
#include "kv/console_log.h"
#include "kv/secret_store.h"
#include "sandbox/handler_types.h"
#include "sandbox/services.h"
#include "sandbox/watchdog.h"

namespace agentgate {

class AgentIsolate;

class IsolatePool {
 public:
  // `services` back ctx.kv, ctx.secrets, fetch and the owner console (see sandbox/services.h).
  IsolatePool(SandboxLimits limits, EventLoop& loop, Watchdog::Slot& watchdog, SandboxServices services = {});
  ~IsolatePool();
  IsolatePool(const IsolatePool&) = delete;
  IsolatePool& operator=(const IsolatePool&) = delete;

  void invoke(const AgentSpecPtr& agent, size_t function_index, HandlerRequest request, InvokeCompletion done);

  // Loads `agent` in a scratch isolate: the deploy-time check that every module compiles, links,
  // evaluates and default-exports a function. Runs on this pool's thread.
  Status check_loads(const AgentSpecPtr& agent);

  // Forgets isolates whose agent version `is_current` rejects (deleted or redeployed agents).
  void sweep(const std::function<bool(const AgentSpec&)>& is_current);

  // Disposes isolates that served nothing for `limits.isolate_idle_timeout` and have nothing in
  // flight, so memory follows the agents in use, not every agent ever served. invoke() calls it
  // every few seconds; tests call it directly.
  void evict_idle(std::chrono::steady_clock::time_point now);

  size_t isolate_count() const;

 private:
  struct Slot {
    std::shared_ptr<AgentIsolate> isolate;
    AgentSpecPtr failed_version;  // start-up failed for this version: do not retry per request
    std::string failure;
    std::chrono::steady_clock::time_point last_used;
  };
  void retire(std::shared_ptr<AgentIsolate> isolate);

  SandboxLimits limits_;
  EventLoop& loop_;
  Watchdog::Slot& watchdog_;
  SandboxServices services_;
  std::unordered_map<std::string, Slot> by_agent_;
  std::vector<std::shared_ptr<AgentIsolate>> retiring_;  // replaced, still finishing invocations
  std::chrono::steady_clock::time_point next_eviction_;
};

}  // namespace agentgate
