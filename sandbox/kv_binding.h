#pragma once
// The native half of ctx.kv. The JS half (prelude.js, makeKv) only unpacks the options object;
// everything that matters happens here, where agent code cannot reach: argument validation, the
// permission check (policy/kv_access.h), the scoping of every key under the agent's canonical id,
// value serialization (V8's ValueSerializer), and the conversion of results and errors to JS.
#include <v8.h>

namespace agentgate {

// Adds kvGet, kvPut, kvDelete, kvTake and kvList to the prelude's `native` object.
void add_kv_bindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> native);

}  // namespace agentgate
