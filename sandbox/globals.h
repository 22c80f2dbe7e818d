#pragma once
// The native half of the isolate's Web APIs (TextEncoder/Decoder, crypto randomness, console,
// structuredClone, timers). The JS half is sandbox/js/prelude.js, which receives these functions as
// its `native` argument and exposes standard-shaped globals built on them.
#include <v8.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "common/result.h"
#include "kv/kv_store.h"
#include "policy/kv_access.h"
#include "sandbox/fetcher.h"

namespace agentgate {

// The outcome of an asynchronous host operation, turned into JS on the isolate's thread: returns the
// value to resolve with, or throws (returns empty) to reject.
using HostResult = std::function<v8::MaybeLocal<v8::Value>(v8::Isolate*, v8::Local<v8::Context>)>;

// A promise handed to JS and settled later. `settle` may be called from any thread, exactly once;
// called during the native call that made the promise, it settles at once, otherwise the settlement
// runs on the isolate's event loop (dropped if the request has ended by then).
struct HostPromise {
  v8::Local<v8::Promise> promise;
  std::function<void(HostResult)> settle;
  uint64_t id = 0;  // the isolate's handle on it
};

// What a ctx.kv call needs to know about the request making it.
struct KvCallContext {
  KvStore* store;  // null: storage is not configured
  const KvLimits& limits;
  KvCaller caller;
  int64_t agent_epoch;  // the running version's deployed_at_ms, for KvKey::agent_epoch
  size_t pending;       // the request's host promises still waiting (kv writes in flight)
};

// A fetch in flight: the promise fetch's native half returns, and the id that cancels it.
struct StartedFetch {
  v8::Local<v8::Promise> promise;
  uint64_t id;
};
// Turns a fetch's outcome into what its promise settles with (on the isolate's thread).
using FetchToJs = std::function<HostResult(Result<OutboundResponse>)>;

// What native functions need from the isolate that runs them. The isolate's data slot 0 holds it.
class IsolateHost {
 public:
  virtual ~IsolateHost() = default;
  virtual void console_log(std::string_view level, std::string_view text) = 0;
  // Returns a timer id > 0, or 0 after throwing (no request to attach it to, too many timers).
  virtual uint32_t start_timer(v8::Local<v8::Function> callback, std::chrono::milliseconds delay) = 0;
  virtual void clear_timer(uint32_t id) = 0;
  // Memory for a new ArrayBuffer, counted against the isolate's cap; null when over it.
  virtual std::unique_ptr<v8::BackingStore> new_backing_store(size_t length) = 0;
  // The raw body of a live invocation ("" once it has finished).
  virtual std::string_view request_body(uint64_t invocation) = 0;
  // For ctx.kv: nullopt once the invocation has finished (a ctx kept past its request).
  virtual std::optional<KvCallContext> kv_context(uint64_t invocation) = 0;
  // ctx.secrets.get: the agent's secret `name` (nullopt: none), which from then on is redacted from
  // the invocation's console lines. INVALID_STATE when `invocation` is not the running request.
  virtual Result<std::optional<std::string>> read_secret(uint64_t invocation, const std::string& name) = 0;
  // A promise owned by a live invocation (see HostPromise); nullopt once it has finished.
  virtual std::optional<HostPromise> new_host_promise(uint64_t invocation) = 0;
  // fetch(): starts `request` for the running invocation, counted against its limits. Errors:
  // INVALID_STATE (no request is running), LIMIT_EXCEEDED, FETCH_UNAVAILABLE. A refusal by the
  // egress guard also goes to the owner console (EGRESS_DENIED).
  virtual Result<StartedFetch> start_fetch(OutboundRequest request, FetchToJs to_js) = 0;
  // An abort: the fetch's connection closes and its promise never settles.
  virtual void cancel_fetch(uint64_t id) = 0;

  static IsolateHost* of(v8::Isolate* isolate) { return static_cast<IsolateHost*>(isolate->GetData(0)); }
};

// A Uint8Array of `length` bytes whose memory counts against the isolate's cap, or an empty handle
// after throwing RangeError. (ArrayBuffer::NewBackingStore would abort the process instead.)
v8::Local<v8::Uint8Array> new_bytes(v8::Isolate* isolate, size_t length);
// The first byte of a view's data.
char* view_data(v8::Local<v8::ArrayBufferView> view);

// Builds the `native` object passed to the prelude.
v8::Local<v8::Object> make_native_bindings(v8::Isolate* isolate, v8::Local<v8::Context> context);

}  // namespace agentgate
