#pragma once
// Turns a handler's return value into a HandlerResponse, or says precisely what is wrong with it
// (code BAD_RESPONSE; the message goes to the server log, never to the visitor).
#include <v8.h>

#include "common/result.h"
#include "sandbox/handler_types.h"

namespace agentgate {

// The property names read from every response, internalised once per isolate.
struct ResponseKeys {
  v8::Eternal<v8::String> status, headers, body;
  void init(v8::Isolate* isolate);
};

Result<HandlerResponse> to_handler_response(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                            v8::Local<v8::Value> value, const ResponseKeys& keys);

}  // namespace agentgate
