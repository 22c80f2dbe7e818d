#include "tests/support/sandbox_harness.h"

#include <algorithm>
#include <optional>
#include <thread>

namespace agentgate::testing {

EventLoop::TimerId ManualLoop::start_timer(std::chrono::milliseconds delay, std::function<void()> fire) {
  TimerId id = ++next_;
  timers_[id] = Pending{std::chrono::steady_clock::now() + delay, std::move(fire)};
  return id;
}

void ManualLoop::cancel_timer(TimerId id) { timers_.erase(id); }

void ManualLoop::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    posted_.push_back(std::move(task));
  }
  posted_cv_.notify_one();
}

void ManualLoop::run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto give_up = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < give_up) {
    auto wake = give_up;
    if (!timers_.empty()) {
      auto next = std::min_element(timers_.begin(), timers_.end(),
                                   [](const auto& a, const auto& b) { return a.second.due < b.second.due; });
      if (next->second.due <= std::chrono::steady_clock::now()) {
        auto fire = std::move(next->second.fire);
        timers_.erase(next);
        fire();
        continue;
      }
      wake = std::min(wake, next->second.due);
    }
    std::vector<std::function<void()>> ready;
    {
      std::unique_lock lock(mutex_);
      posted_cv_.wait_until(lock, wake, [&] { return !posted_.empty(); });
      ready.swap(posted_);
    }
    for (auto& task : ready) task();
  }
}

AgentSpecPtr single_function_agent(const std::string& source, const std::string& id) {
  auto spec = std::make_shared<AgentSpec>();
  spec->id = id;
  spec->slug = "test-agent";
  spec->version = 1;
  FunctionSpec function;
  function.name = "main";
  function.methods = kGet | kHead | kPost | kPut | kPatch | kDelete | kOptions;
  function.path = "/*";
  function.module = "main.js";
  spec->functions.push_back(function);
  spec->files["main.js"] = source;
  return spec;
}

AgentSpecPtr single_function_agent_with_kv(const std::string& source, KvPermissions kv, const std::string& id) {
  auto spec = std::make_shared<AgentSpec>(*single_function_agent(source, id));
  spec->functions[0].kv = std::move(kv);
  return spec;
}

SandboxHarness::SandboxHarness(SandboxLimits limits, KvStore* kv)
    : limits_(limits),
      watchdog_(std::chrono::milliseconds(1)),
      pool_(std::make_unique<IsolatePool>(limits_, loop_, watchdog_.new_slot(), SandboxServices{.kv = kv})) {}

SandboxHarness::~SandboxHarness() { pool_.reset(); }

HandlerRequest SandboxHarness::default_request() {
  HandlerRequest request;
  request.request_id = "test-1";
  request.method = "GET";
  request.origin = "http://127.0.0.1:8080";
  request.url = "http://127.0.0.1:8080/agents/11111111-2222-4333-8444-555555555555/x?y=1";
  request.headers = {{"host", "127.0.0.1:8080"}};
  return request;
}

InvokeOutcome SandboxHarness::run(const AgentSpecPtr& agent, HandlerRequest request, std::chrono::milliseconds limit) {
  std::optional<InvokeOutcome> outcome;
  pool_->invoke(agent, 0, std::move(request), [&](InvokeOutcome result) { outcome = std::move(result); });
  loop_.run_until([&] { return outcome.has_value(); }, limit);
  if (!outcome) return InvokeOutcome{InvokeStatus::kWallLimit, {}, "test harness gave up waiting"};
  return std::move(*outcome);
}

InvokeOutcome SandboxHarness::run_source(const std::string& module_source, HandlerRequest request) {
  return run(single_function_agent(module_source), std::move(request));
}

std::string SandboxHarness::eval(const std::string& expression) {
  auto outcome = run_source("export default async function (ctx) {\n"
                            "  try { return { body: String(await (async () => (" + expression + "))()) }; }\n"
                            "  catch (e) { return { body: 'threw ' + e.name + ': ' + e.message }; }\n"
                            "}\n");
  if (outcome.status != InvokeStatus::kOk) return "outcome " + std::to_string(static_cast<int>(outcome.status)) + ": " + outcome.detail;
  return outcome.response.body;
}

}  // namespace agentgate::testing
