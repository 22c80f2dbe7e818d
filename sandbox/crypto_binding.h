#pragma once
// The native half of crypto.subtle (digest, HMAC) and crypto.timingSafeEqual, on OpenSSL.
#include <v8.h>

namespace agentgate {

void add_crypto_bindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> native);

}  // namespace agentgate
