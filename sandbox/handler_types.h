#pragma once
// What crosses the dispatcher/sandbox boundary: plain values, no V8 or Beast types, so the dispatcher
// never includes V8 and the sandbox never includes Beast.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <optional>
#include <vector>

#include "kv/kv_store.h"
#include "sandbox/fetcher.h"

namespace agentgate {

struct HandlerRequest {
  std::string request_id;
  std::string method;
  std::string url;     // absolute, as the visitor sees it
  std::string origin;  // scheme://host the visitor used
  HeaderList headers;  // lower-case names, in arrival order
  std::string body;
  std::optional<std::string> user_id;  // the signed-in visitor (platform login); none until it exists
};

struct HandlerResponse {
  int status = 200;
  HeaderList headers;  // validated names and values; set-cookie may repeat
  std::string body;
  std::vector<std::string> dropped_headers;  // hop-by-hop headers the handler set, not sent
};

enum class InvokeStatus {
  kOk,
  kHandlerError,  // threw, rejected, or returned something that is not a response -> 500
  kInvalidResponse,  // a status or header the platform refuses to send (CR, LF, NUL...) -> 502
  kStartupError,  // the agent's modules failed to load in this isolate -> 500
  kCpuLimit,      // JS ran longer than the CPU budget -> 503
  kWallLimit,     // the invocation did not finish within the wall-time budget -> 503
  kHeapLimit,     // the isolate ran out of heap and was discarded -> 503
  kIsolateRestarted,  // another request on the same isolate broke a limit; it was discarded -> 503
};

struct InvokeOutcome {
  InvokeStatus status = InvokeStatus::kOk;
  HandlerResponse response;  // kOk only
  std::string detail;        // for the server log: exception text and stack; never sent to visitors
};

// Called exactly once per invocation, on the worker thread, outside any V8 scope.
using InvokeCompletion = std::function<void(InvokeOutcome)>;

// Every sandbox limit; each one is a server setting (see dispatcher/config.h).
struct SandboxLimits {
  std::chrono::milliseconds cpu_time{50};
  std::chrono::milliseconds wall_time{30'000};
  std::chrono::milliseconds startup_cpu_time{1'000};  // evaluating an agent's modules in a new isolate
  size_t heap_bytes = size_t{128} << 20;
  size_t max_log_line = 4096;  // console.log output is truncated beyond this
  std::chrono::milliseconds isolate_idle_timeout{300'000};  // an unused isolate is disposed after this
  KvLimits kv;
  FetchLimits fetch;
};

// The worker's event loop, as the sandbox needs it: timers that fire on the same thread.
class EventLoop {
 public:
  using TimerId = uint64_t;
  virtual ~EventLoop() = default;
  virtual TimerId start_timer(std::chrono::milliseconds delay, std::function<void()> fire) = 0;
  virtual void cancel_timer(TimerId id) = 0;
  // Runs `task` on the loop's thread soon. Thread-safe: this is how work done elsewhere (a storage
  // write) comes back to the isolates. The loop must outlive every thread that may post to it.
  virtual void post(std::function<void()> task) = 0;
};

// For isolates that only load code (deploy checks): nothing runs later, so timers and posted tasks
// are refused (no request exists to start them).
class NoTimersLoop final : public EventLoop {
 public:
  TimerId start_timer(std::chrono::milliseconds, std::function<void()>) override { return 0; }
  void cancel_timer(TimerId) override {}
  void post(std::function<void()>) override {}
};

}  // namespace agentgate
