#pragma once
// Turns a handler's return value into a HandlerResponse, or says precisely what is wrong with it
// (code BAD_RESPONSE; the message goes to the server log, never to the visitor).
#include <v8.h>

#include "common/result.h"
#include "sandbox/handler_types.h"

namespace agentgate {

Result<HandlerResponse> to_handler_response(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                            v8::Local<v8::Value> value);

}  // namespace agentgate
