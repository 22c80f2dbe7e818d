#include "sandbox/fetch_binding.h"

#include <cstring>
#include <optional>
#include <string>

#include "common/ascii.h"
#include "policy/headers.h"
#include "sandbox/globals.h"
#include "sandbox/v8_util.h"

namespace agentgate {
namespace {

using v8::FunctionCallbackInfo;
using v8::Local;
using v8::Value;

// A fetch failure as JS sees it: a TypeError (as the Fetch standard has it) with a `code`.
Local<Value> fetch_type_error(v8::Isolate* isolate, const Error& error) {
  Local<Value> exception = v8::Exception::TypeError(v8util::str(isolate, error.message));
  v8util::define(isolate, exception.As<v8::Object>(), "code", v8util::str(isolate, error.code));
  return exception;
}

// A header name or value is a byte string: JS strings whose characters all fit in a byte.
std::optional<std::string> byte_string(v8::Isolate* isolate, Local<Value> value) {
  if (!value->IsString()) return std::nullopt;
  Local<v8::String> text = value.As<v8::String>();
  if (!text->ContainsOnlyOneByte()) return std::nullopt;
  std::string out(static_cast<size_t>(text->Length()), '\0');
  text->WriteOneByte(isolate, reinterpret_cast<uint8_t*>(out.data()), 0, text->Length(), v8::String::NO_NULL_TERMINATION);
  return out;
}

Local<v8::String> from_bytes(v8::Isolate* isolate, const std::string& bytes) {
  return v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(bytes.data()), v8::NewStringType::kNormal,
                                    static_cast<int>(bytes.size()))
      .ToLocalChecked();
}

std::optional<OutboundRequest> read_request(const FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  Local<v8::Context> context = isolate->GetCurrentContext();
  auto invalid = [&](const std::string& why) {
    v8util::throw_type_error(isolate, "fetch: " + why);
    return std::nullopt;
  };
  OutboundRequest request;
  auto method = byte_string(isolate, args[0]);
  if (!method || !is_token(*method)) return invalid("the method must be an HTTP token");
  request.method = std::move(*method);
  if (!args[1]->IsString()) return invalid("the URL must be a string");
  request.url = v8util::to_string(isolate, args[1]);
  if (!args[2]->IsArray()) return invalid("headers must be a list of names and values");
  Local<v8::Array> headers = args[2].As<v8::Array>();
  if (headers->Length() % 2 != 0) return invalid("headers must be a list of names and values");
  for (uint32_t i = 0; i < headers->Length(); i += 2) {
    Local<Value> name_value;
    Local<Value> header_value;
    if (!headers->Get(context, i).ToLocal(&name_value) || !headers->Get(context, i + 1).ToLocal(&header_value)) {
      return std::nullopt;  // a getter threw
    }
    auto name = byte_string(isolate, name_value);
    auto value = byte_string(isolate, header_value);
    if (!name || !is_token(*name)) return invalid("a header name is not an HTTP token");
    if (!value || !is_valid_header_value(*value)) {
      return invalid("the value of header '" + *name + "' contains a character headers cannot carry");
    }
    lower_ascii(*name);
    request.headers.emplace_back(std::move(*name), std::move(*value));
  }
  if (args[3]->IsUint8Array()) {
    Local<v8::Uint8Array> body = args[3].As<v8::Uint8Array>();
    request.body.assign(view_data(body), body->ByteLength());
  } else if (!args[3]->IsNullOrUndefined()) {
    return invalid("the body must be bytes");
  }
  std::string redirect = v8util::to_string(isolate, args[4]);
  if (redirect == "follow") {
    request.redirect = RedirectMode::kFollow;
  } else if (redirect == "manual") {
    request.redirect = RedirectMode::kManual;
  } else if (redirect == "error") {
    request.redirect = RedirectMode::kError;
  } else {
    return invalid("redirect must be follow, manual or error");
  }
  return request;
}

// { status, statusText, headers: [name, value, ...], body, url, redirected }
v8::MaybeLocal<Value> response_value(v8::Isolate* isolate, Local<v8::Context> context, const OutboundResponse& response) {
  Local<v8::Uint8Array> body = new_bytes(isolate, response.body.size());
  if (body.IsEmpty()) return {};  // over the isolate's memory cap: RangeError thrown
  if (!response.body.empty()) std::memcpy(view_data(body), response.body.data(), response.body.size());
  Local<v8::Array> headers = v8::Array::New(isolate, static_cast<int>(response.headers.size() * 2));
  uint32_t index = 0;
  for (const auto& [name, value] : response.headers) {
    if (headers->CreateDataProperty(context, index++, from_bytes(isolate, name)).IsNothing() ||
        headers->CreateDataProperty(context, index++, from_bytes(isolate, value)).IsNothing()) {
      return {};
    }
  }
  Local<v8::Object> out = v8::Object::New(isolate);
  v8util::define(isolate, out, "status", v8::Integer::New(isolate, response.status));
  v8util::define(isolate, out, "statusText", from_bytes(isolate, response.status_text));
  v8util::define(isolate, out, "headers", headers);
  v8util::define(isolate, out, "body", body);
  v8util::define(isolate, out, "url", v8util::str(isolate, response.url));
  v8util::define(isolate, out, "redirected", v8::Boolean::New(isolate, response.redirected));
  return out;
}

HostResult to_js(Result<OutboundResponse> result) {
  return [result = std::move(result)](v8::Isolate* isolate, Local<v8::Context> context) -> v8::MaybeLocal<Value> {
    if (!result) {
      isolate->ThrowException(fetch_type_error(isolate, result.error()));
      return {};
    }
    return response_value(isolate, context, result.value());
  };
}

void fetch_start(const FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  auto request = read_request(args);
  if (!request) return;
  auto started = IsolateHost::of(isolate)->start_fetch(std::move(*request), to_js);
  if (!started) {
    isolate->ThrowException(fetch_type_error(isolate, started.error()));
    return;
  }
  Local<v8::Context> context = isolate->GetCurrentContext();
  Local<v8::Array> pair = v8::Array::New(isolate, 2);
  if (pair->CreateDataProperty(context, 0, started->promise).IsNothing() ||
      pair->CreateDataProperty(context, 1, v8::Number::New(isolate, static_cast<double>(started->id))).IsNothing()) {
    return;
  }
  args.GetReturnValue().Set(pair);
}

void fetch_cancel(const FunctionCallbackInfo<Value>& args) {
  if (!args[0]->IsNumber()) return;
  double id = args[0].As<v8::Number>()->Value();
  if (id >= 1) IsolateHost::of(args.GetIsolate())->cancel_fetch(static_cast<uint64_t>(id));
}

}  // namespace

void add_fetch_bindings(v8::Isolate* isolate, Local<v8::Context> context, Local<v8::Object> native) {
  v8util::define(isolate, native, "fetchStart", v8::Function::New(context, fetch_start).ToLocalChecked());
  v8util::define(isolate, native, "fetchCancel", v8::Function::New(context, fetch_cancel).ToLocalChecked());
}

}  // namespace agentgate
