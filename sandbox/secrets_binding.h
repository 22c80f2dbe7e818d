#pragma once
// The native half of ctx.secrets (read-only): secretsGet(invocation, name) -> string or null,
// secretsHas(invocation, name) -> boolean, each as an already settled promise.
#include <v8.h>

namespace agentgate {

void add_secrets_bindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> native);

}  // namespace agentgate
