#pragma once
// Runs handler source in a real isolate pool, in-process, with a test event loop whose timers fire
// in real time on the calling thread. For unit tests of the JS globals, ctx and limits.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "deploy/agent_spec.h"
#include "sandbox/handler_types.h"
#include "sandbox/isolate_pool.h"
#include "sandbox/watchdog.h"

namespace agentgate::testing {

class ManualLoop final : public EventLoop {
 public:
  TimerId start_timer(std::chrono::milliseconds delay, std::function<void()> fire) override;
  void cancel_timer(TimerId id) override;
  void post(std::function<void()> task) override;  // thread-safe
  // Runs posted tasks and fires due timers until `done` or `limit` passed.
  void run_until(const std::function<bool()>& done, std::chrono::milliseconds limit);

 private:
  struct Pending {
    std::chrono::steady_clock::time_point due;
    std::function<void()> fire;
  };
  std::map<TimerId, Pending> timers_;
  TimerId next_ = 0;
  std::mutex mutex_;  // guards posted_
  std::condition_variable posted_cv_;
  std::vector<std::function<void()>> posted_;
};

constexpr const char* kTestAgentId = "11111111-2222-4333-8444-555555555555";

// An agent spec with one function "main" on "/*" (all methods) whose module is `source`.
AgentSpecPtr single_function_agent(const std::string& source, const std::string& id = kTestAgentId);
// The same, with the ctx.kv permissions `kv` on its function (what agent.json's permissions.kv declares).
AgentSpecPtr single_function_agent_with_kv(const std::string& source, KvPermissions kv, const std::string& id = kTestAgentId);

class SandboxHarness {
 public:
  // `kv` backs ctx.kv (null: kv calls fail with KV_UNAVAILABLE). It must outlive the harness, and a
  // store that completes writes on another thread must stop doing so (RocksKvStore::close) before
  // the harness, whose loop those completions are posted to, is destroyed.
  explicit SandboxHarness(SandboxLimits limits = {}, KvStore* kv = nullptr);
  ~SandboxHarness();

  // Invokes the agent's function 0 and waits (running timers) for the outcome, up to `limit`.
  InvokeOutcome run(const AgentSpecPtr& agent, HandlerRequest request = default_request(),
                    std::chrono::milliseconds limit = std::chrono::seconds(10));
  // Shorthand: a module exporting `handler_source` as its default handler.
  InvokeOutcome run_source(const std::string& module_source, HandlerRequest request = default_request());
  // Evaluates `expression` inside a handler and returns String(result) as the body (or the error).
  std::string eval(const std::string& expression);

  static HandlerRequest default_request();
  IsolatePool& pool() { return *pool_; }
  ManualLoop& loop() { return loop_; }

 private:
  SandboxLimits limits_;
  ManualLoop loop_;
  Watchdog watchdog_;
  std::unique_ptr<IsolatePool> pool_;
};

}  // namespace agentgate::testing
