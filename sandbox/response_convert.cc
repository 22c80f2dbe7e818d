#include "sandbox/response_convert.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "common/log.h"
#include "policy/headers.h"
#include "sandbox/v8_util.h"

namespace agentgate {
namespace {

using v8::Local;
using v8::Value;

Error bad(std::string message) { return Error{"BAD_RESPONSE", std::move(message)}; }
// A status or header the platform refuses to send (502 for the visitor, a console entry for the owner).
Error refused(std::string message) { return Error{"INVALID_RESPONSE_HEADER", std::move(message)}; }

// Beast cannot hold a field of 64 KiB or more, and no browser sends or accepts such heads.
constexpr size_t kMaxHeaderNameBytes = 256;
constexpr size_t kMaxHeaderValueBytes = 16 * 1024;
constexpr size_t kMaxHeaderTotalBytes = 64 * 1024;

std::string utf8_of(v8::Isolate* isolate, Local<v8::String> text) {
  std::string out(static_cast<size_t>(text->Utf8Length(isolate)), '\0');
  text->WriteUtf8(isolate, out.data(), static_cast<int>(out.size()), nullptr,
                  v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  return out;
}

Result<Ok> read_body(v8::Isolate* isolate, Local<Value> body, HandlerResponse& response) {
  if (body->IsString()) {
    response.body = utf8_of(isolate, body.As<v8::String>());
  } else if (body->IsArrayBufferView()) {
    Local<v8::ArrayBufferView> view = body.As<v8::ArrayBufferView>();
    response.body.resize(view->ByteLength());
    view->CopyContents(response.body.data(), response.body.size());
  } else if (body->IsArrayBuffer()) {
    Local<v8::ArrayBuffer> buffer = body.As<v8::ArrayBuffer>();
    response.body.assign(static_cast<const char*>(buffer->Data()), buffer->ByteLength());
  } else {
    return bad("body: must be a string, Uint8Array, ArrayBuffer, or a plain object/array (sent as JSON)");
  }
  return Ok{};
}

}  // namespace

Result<HandlerResponse> to_handler_response(v8::Isolate* isolate, Local<v8::Context> context, Local<Value> flattened) {
  if (flattened->IsString()) return bad(v8util::to_string(isolate, flattened));
  if (!flattened->IsArray()) return bad("the response could not be read");
  Local<v8::Array> parts = flattened.As<v8::Array>();
  uint32_t length = parts->Length();
  if (length < 2 || length % 2 != 0) return bad("the response could not be read");
  auto part = [&](uint32_t i) { return parts->Get(context, i).FromMaybe(Local<Value>()); };

  HandlerResponse response;
  Local<Value> status = part(0);
  if (status.IsEmpty()) return bad("the response could not be read");
  if (!status->IsUndefined()) {
    double code = status->IsNumber() ? status.As<v8::Number>()->Value() : -1;
    // 1xx are interim responses in HTTP/1.1 and cannot end an exchange. (Range first: casting NaN
    // or 1e300 to int is undefined.)
    if (!(code >= 200 && code <= 599) || code != std::floor(code)) return refused("status: must be an integer 200-599");
    response.status = static_cast<int>(code);
  }
  size_t total_header_bytes = 0;
  response.headers.reserve((length - 2) / 2);
  for (uint32_t i = 2; i < length; i += 2) {
    Local<Value> name = part(i);
    Local<Value> value = part(i + 1);
    if (name.IsEmpty() || value.IsEmpty() || !name->IsString()) return bad("the response could not be read");
    std::string header = utf8_of(isolate, name.As<v8::String>());
    if (header.size() > kMaxHeaderNameBytes || !is_valid_header_name(header)) {
      return refused("headers: '" + log::escaped(std::string_view(header).substr(0, 100)) + "' is not a valid header name");
    }
    if (!value->IsString()) return bad("headers['" + header + "']: values must be strings or arrays of strings");
    std::string text = utf8_of(isolate, value.As<v8::String>());
    // A Set-Cookie with control characters is left to the cookie rules (policy/cookies.cc), which
    // refuse it as a malformed cookie (INVALID_SET_COOKIE, naming the cookie); the response is
    // then replaced whole, so these bytes are never sent.
    if (!is_valid_header_value(text) && header != "set-cookie") {
      return refused("headers['" + header + "']: value contains control characters (CR, LF, NUL...)");
    }
    if (text.size() > kMaxHeaderValueBytes) return refused("headers['" + header + "']: value longer than 16 KiB");
    total_header_bytes += header.size() + text.size();
    if (total_header_bytes > kMaxHeaderTotalBytes) return refused("headers: more than 64 KiB in all");
    if (is_hop_by_hop(header)) {
      response.dropped_headers.push_back(std::move(header));
      continue;
    }
    response.headers.emplace_back(std::move(header), std::move(text));
  }
  Local<Value> body = part(1);
  if (body.IsEmpty()) return bad("the response could not be read");
  if (auto read = read_body(isolate, body, response); !read) return read.error();
  return response;
}

}  // namespace agentgate
