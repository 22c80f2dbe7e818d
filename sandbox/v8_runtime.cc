#include "sandbox/v8_runtime.h"

#include <libplatform/libplatform.h>
#include <v8.h>

#include <string_view>

namespace agentgate {
namespace {
V8Runtime* g_runtime = nullptr;  // the one instance, set for its lifetime
}

V8Runtime::CodeCache V8Runtime::bootstrap_code_cache() {
  std::lock_guard lock(g_runtime->cache_mutex_);
  return g_runtime->bootstrap_cache_;
}

void V8Runtime::set_bootstrap_code_cache(CodeCache cache) {
  std::lock_guard lock(g_runtime->cache_mutex_);
  if (!g_runtime->bootstrap_cache_) g_runtime->bootstrap_cache_ = std::move(cache);
}

void V8Runtime::run_pending_tasks(v8::Isolate* isolate) {
  while (v8::platform::PumpMessageLoop(g_runtime->platform_.get(), isolate, v8::platform::MessageLoopBehavior::kDoNotWait)) {
  }
}

V8Runtime::V8Runtime() : platform_(v8::platform::NewDefaultPlatform()) {
  g_runtime = this;
  // Agents' code is untrusted: no wasm, and a stack small enough that deep recursion throws
  // RangeError instead of crashing. Each worker thread already keeps a core busy, so GC runs on
  // the isolate's own thread rather than waking V8's helper threads to compete for the cores
  // (measured: +9% hello throughput on 2 cores).
  constexpr std::string_view kFlags = "--stack-size=900 --no-expose-wasm --single-threaded-gc";
  v8::V8::SetFlagsFromString(kFlags.data(), kFlags.size());
  v8::V8::InitializePlatform(platform_.get());
  v8::V8::Initialize();
}

V8Runtime::~V8Runtime() {
  g_runtime = nullptr;
  v8::V8::Dispose();
  v8::V8::DisposePlatform();
}

}  // namespace agentgate
