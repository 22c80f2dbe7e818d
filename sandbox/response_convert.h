#pragma once
// Turns a handler's return value into a HandlerResponse, or says precisely what is wrong with it:
// code INVALID_RESPONSE_HEADER for a status or header the platform refuses to send, BAD_RESPONSE
// for anything else. The message is for the owner and the server log, never for the visitor.
#include <v8.h>

#include "common/result.h"
#include "sandbox/handler_types.h"

namespace agentgate {

// `flattened` is what the prelude's hooks.flattenResponse made of the handler's return value:
// [status, body, name, value, ...] or a string describing the problem. Everything is checked here
// (types, status range, header characters), since agent code can alter the prelude's behaviour.
Result<HandlerResponse> to_handler_response(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                            v8::Local<v8::Value> flattened);

}  // namespace agentgate
