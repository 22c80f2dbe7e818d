#pragma once
// The native half of fetch(). The JS half (prelude.js) builds a Request from fetch's arguments,
// races the native promise against the request's AbortSignal, and wraps the result in a Response.
//   fetchStart(method, url, [name, value, ...], body: Uint8Array | null, redirect) -> [promise, id]
//     the promise resolves with { status, statusText, headers: [name, value, ...], body, url,
//     redirected } or rejects with a TypeError whose `code` says why (EGRESS_DENIED, FETCH_TIMEOUT...)
//   fetchCancel(id)
// Everything is checked again here, where agent code cannot reach: method, header names and values.
#include <v8.h>

namespace agentgate {

void add_fetch_bindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> native);

}  // namespace agentgate
