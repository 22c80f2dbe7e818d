#pragma once
// One V8 isolate running one version of one agent. Owned by the IsolatePool of a single worker
// thread and used only on that thread; holds the agent's modules, the handlers they export, and
// every invocation in flight. Invocations interleave at await points; each has its own CPU budget
// (enforced by the watchdog), wall-time budget (an event-loop timer) and timers.
//
// Failure modes: a CPU overrun terminates the running JS and fails that invocation (503); since
// termination also drops pending promise jobs, the isolate is then condemned like on heap
// exhaustion: every other live invocation fails (503) and the pool replaces the isolate.
#include <v8.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "deploy/agent_spec.h"
#include "kv/console_log.h"
#include "kv/secret_store.h"
#include "sandbox/globals.h"
#include "sandbox/handler_types.h"
#include "sandbox/services.h"
#include "sandbox/watchdog.h"

namespace agentgate {

class AgentIsolate final : public IsolateHost, public std::enable_shared_from_this<AgentIsolate> {
 public:
  struct Environment {
    const SandboxLimits& limits;
    EventLoop& loop;
    Watchdog::Slot& watchdog;
    SandboxServices services;
  };

  // Creates the isolate, runs the start-up code, then loads and evaluates the agent's modules and
  // checks each function's module has a default-exported function. Errors (code MODULE_ERROR) name
  // the file and say what is wrong.
  static Result<std::shared_ptr<AgentIsolate>> create(AgentSpecPtr spec, Environment env);
  ~AgentIsolate() override;
  AgentIsolate(const AgentIsolate&) = delete;
  AgentIsolate& operator=(const AgentIsolate&) = delete;

  // Runs agent function `function_index` for `request`. `done` is called exactly once, possibly
  // before invoke returns (a handler that finishes without awaiting anything).
  void invoke(size_t function_index, HandlerRequest request, InvokeCompletion done);

  bool condemned() const { return condemned_; }
  size_t live_invocations() const { return invocations_.size(); }
  const AgentSpecPtr& spec() const { return spec_; }

  // For the module resolve callback: the already compiled module `specifier` names from `referrer`.
  v8::MaybeLocal<v8::Module> resolve_import(v8::Local<v8::Module> referrer, const std::string& specifier);

  // IsolateHost
  void console_log(std::string_view level, std::string_view text) override;
  uint32_t start_timer(v8::Local<v8::Function> callback, std::chrono::milliseconds delay) override;
  void clear_timer(uint32_t id) override;
  std::unique_ptr<v8::BackingStore> new_backing_store(size_t length) override;
  std::string_view request_body(uint64_t invocation) override;
  std::optional<KvCallContext> kv_context(uint64_t invocation) override;
  Result<std::optional<std::string>> read_secret(uint64_t invocation, const std::string& name) override;
  std::optional<HostPromise> new_host_promise(uint64_t invocation) override;
  Result<StartedFetch> start_fetch(OutboundRequest request, FetchToJs to_js) override;
  void cancel_fetch(uint64_t id) override;

 private:
  using InvocationId = uint64_t;
  struct Invocation {
    size_t function_index = 0;
    std::string request_id;
    std::string body;  // kept for ctx.request.bodyBytes, built on first access
    InvokeCompletion done;
    std::chrono::steady_clock::duration cpu_used{};
    std::chrono::steady_clock::time_point deadline;  // wall-time limit
    std::vector<uint32_t> timers;
    std::vector<uint64_t> host_promises;  // pending, by id
    std::vector<std::pair<Fetcher::Id, uint64_t>> fetches;  // in flight (with its host promise), cancelled when it ends
    uint32_t fetches_started = 0;
    std::optional<std::string> user_id;   // the signed-in visitor
    // Never written to a log or the console: the values of its cookies and of the secrets it read.
    // The cookie header is kept as is and parsed only when a line is written, not per request.
    std::string cookies;
    std::vector<std::string> secrets_read;
    std::vector<std::string> redactions() const;
  };
  struct PendingHostPromise {
    InvocationId invocation = 0;
    v8::Global<v8::Promise::Resolver> resolver;
  };
  // Host promise settlements from other threads (or from this one outside JS), waiting for one
  // posted task to run them. Shared with the settle functions, which may outlive the isolate.
  struct SettlementInbox {
    std::mutex mutex;
    std::vector<std::pair<uint64_t, HostResult>> settlements;
  };
  struct Timer {
    InvocationId invocation = 0;
    v8::Global<v8::Function> callback;
    EventLoop::TimerId loop_timer = 0;
  };

  AgentIsolate(AgentSpecPtr spec, Environment env);
  Status load(std::chrono::milliseconds cpu_budget);
  Status run_bootstrap();
  Status compile_module_graph(const std::string& name);
  Status evaluate_modules(std::chrono::milliseconds cpu_budget);

  // Every entry into JS goes through here: scopes, CPU accounting and the watchdog, the microtask
  // checkpoint, then delivery of finished invocations once no V8 scope is open.
  template <class Body>
  void run_js(InvocationId attributed, Body&& body);
  void start_handler(InvocationId id, v8::Local<v8::Context> context, const HandlerRequest& request);
  // Calls the function's entry (prelude.js: builds ctx, calls the handler) with this request.
  v8::MaybeLocal<v8::Value> call_entry(v8::Local<v8::Context> context, InvocationId id, const HandlerRequest& request);
  void settle(InvocationId id, v8::Local<v8::Context> context, v8::Local<v8::Promise> promise);
  void complete(InvocationId id, v8::Local<v8::Context> context, v8::Local<v8::Value> value);
  void finish(InvocationId id, InvokeOutcome outcome);
  // Marks the isolate for replacement and fails every live invocation with `status`.
  void condemn(InvokeStatus status, const std::string& detail);
  // The invocation the running JS works for (see SetContinuationPreservedEmbedderData), 0 if none.
  InvocationId current_invocation(v8::Local<v8::Context> context) const;
  // True when `invocation` is the one the running JS works for.
  bool is_running(uint64_t invocation) const;
  void fire_timer(uint32_t timer_id);
  void forget_timer(InvocationId owner, uint32_t timer_id);
  // One timer per isolate, not per request: armed for the earliest deadline among live invocations
  // and re-armed when it fires, so the request path never touches the timer queue.
  void arm_wall_timer(std::chrono::steady_clock::time_point deadline);
  void on_wall_timer();
  void deliver_ready();
  // Settles host promise `id` with `result`; needs an entered context (inside run_js).
  void settle_host_promise(uint64_t id, const HostResult& result);
  void drop_host_promises(const Invocation& invocation);
  void drain_inbox();
  // A platform event for the owner console and the server log (a refused fetch, say).
  void report(const Invocation& invocation, std::string_view level, std::string_view code, std::string text);

  static void on_fulfilled(const v8::FunctionCallbackInfo<v8::Value>& info);
  static void on_rejected(const v8::FunctionCallbackInfo<v8::Value>& info);
  static size_t on_near_heap_limit(void* data, size_t current_limit, size_t initial_limit);

  AgentSpecPtr spec_;
  Environment env_;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
  v8::Global<v8::Context> context_;
  std::unordered_map<std::string, v8::Global<v8::Module>> modules_;  // by bundle file name
  std::unordered_map<int, std::string> module_names_;                  // identity hash -> file name
  std::vector<v8::Global<v8::Function>> entries_;  // by function index: build ctx, call the handler (prelude.js)
  v8::Global<v8::Object> hooks_;                    // what the start-up code returned
  v8::Global<v8::Function> flatten_response_;       // hooks.flattenResponse
  v8::Global<v8::Function> subscribe_;              // hooks.subscribe

  std::unordered_map<InvocationId, Invocation> invocations_;
  std::unordered_map<uint32_t, Timer> timers_;
  std::unordered_map<uint64_t, PendingHostPromise> host_promises_;
  uint64_t next_host_promise_ = 0;
  std::shared_ptr<SettlementInbox> inbox_ = std::make_shared<SettlementInbox>();
  int js_depth_ = 0;  // > 0 while run_js is on the stack: native calls may settle promises at once
  std::vector<std::pair<InvokeCompletion, InvokeOutcome>> ready_;
  InvocationId next_invocation_ = 0;
  uint32_t next_timer_ = 0;
  EventLoop::TimerId wall_timer_ = 0;  // 0: not armed
  uint32_t entries_since_tasks_ = 0;   // JS entries since V8's foreground tasks last ran
  bool heap_exhausted_ = false;
  bool condemned_ = false;
};

}  // namespace agentgate
