#include "sandbox/v8_runtime.h"

#include <libplatform/libplatform.h>
#include <v8.h>

#include <memory>
#include <string_view>
#include <tuple>

#include "sandbox/v8_util.h"

namespace agentgate {
namespace {
V8Runtime* g_runtime = nullptr;  // the one instance, set for its lifetime
}  // namespace

// ICU opens its data and builds the default locale's formatters, rules and collation tables on
// first use: the first date format of a process took 11-20 ms here, a handful of Intl services
// together some 40 ms, charged to whichever request came first and enough to push it over a tight
// CPU limit. One throwaway isolate pays it at start-up instead; later first uses (another locale,
// another service) cost a few ms.
void V8Runtime::warm_icu() {
  constexpr std::string_view kScript = R"js(
    new Intl.NumberFormat().format(1234.5);
    new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' }).format(1);
    new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'full' }).format(0);
    new Intl.Collator().compare('a', 'b');
    new Intl.PluralRules().select(1);
    new Intl.RelativeTimeFormat().format(1, 'day');
    new Intl.ListFormat().format(['a', 'b']);
    new Intl.DisplayNames(undefined, { type: 'region' }).of('US');
    [...new Intl.Segmenter(undefined, { granularity: 'word' }).segment('a b')];
  )js";
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator.get();
  v8::Isolate* isolate = v8::Isolate::New(params);
  {
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope handle_scope(isolate);
    v8::Local<v8::Context> context = v8::Context::New(isolate);
    v8::Context::Scope context_scope(context);
    v8::Local<v8::Script> script;
    if (v8::Script::Compile(context, v8util::str(isolate, kScript)).ToLocal(&script)) {
      std::ignore = script->Run(context);  // a failure only leaves the cost to the first request
    }
  }
  isolate->Dispose();
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
