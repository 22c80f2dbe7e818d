#pragma once
// The process-wide V8 platform: the one piece of global state the sandbox has. Construct exactly one
// in main() (or a test's main) before creating any isolate, and destroy it after the last one.
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace v8 {
class Isolate;
class Platform;
}

namespace agentgate {

class V8Runtime {
 public:
  V8Runtime();
  ~V8Runtime();
  V8Runtime(const V8Runtime&) = delete;
  V8Runtime& operator=(const V8Runtime&) = delete;

  using CodeCache = std::shared_ptr<const std::vector<uint8_t>>;
  // V8's code cache for the isolate start-up script, made by the first isolate that ran it and
  // reused by every later one (it spares them most of the parsing). Thread-safe; null until made.
  static CodeCache bootstrap_code_cache();
  static void set_bootstrap_code_cache(CodeCache cache);

  // Runs the tasks V8 posted to `isolate`'s thread (GC finalisation, memory reducer...). Call on
  // that thread, with the isolate entered, after running JS; without it they pile up.
  static void run_pending_tasks(v8::Isolate* isolate);

  // Does ICU's one-time set-up now (tens of ms), so that no request's first Intl call pays for it.
  // For servers; a process that runs no untrusted handler under a CPU limit can skip it.
  static void warm_icu();

 private:
  std::unique_ptr<v8::Platform> platform_;
  std::mutex cache_mutex_;
  CodeCache bootstrap_cache_;
};

}  // namespace agentgate
