#include "sandbox/response_convert.h"

#include <algorithm>
#include <array>

#include "sandbox/v8_util.h"

namespace agentgate {
namespace {

using v8::Local;
using v8::Value;

Error bad(std::string message) { return Error{"BAD_RESPONSE", std::move(message)}; }

bool is_token_char(unsigned char c) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         kSpecials.find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_valid_header_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
  });
}

// The dispatcher owns the connection and the framing; these never come from a handler.
bool is_hop_by_hop(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kHopByHop{
      "connection", "content-length", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"};
  return std::find(kHopByHop.begin(), kHopByHop.end(), name) != kHopByHop.end();
}

std::string utf8_of(v8::Isolate* isolate, Local<v8::String> text) {
  std::string out(static_cast<size_t>(text->Utf8Length(isolate)), '\0');
  text->WriteUtf8(isolate, out.data(), static_cast<int>(out.size()), nullptr,
                  v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  return out;
}

Result<Ok> add_header(HandlerResponse& response, std::string name, v8::Isolate* isolate, Local<Value> value) {
  if (!value->IsString()) return bad("headers['" + name + "']: values must be strings or arrays of strings");
  std::string text = utf8_of(isolate, value.As<v8::String>());
  if (!is_valid_header_value(text)) return bad("headers['" + name + "']: value contains control characters (CR, LF, NUL...)");
  response.headers.emplace_back(std::move(name), std::move(text));
  return Ok{};
}

Result<Ok> read_headers(v8::Isolate* isolate, Local<v8::Context> context, Local<Value> headers,
                        HandlerResponse& response) {
  if (headers->IsUndefined() || headers->IsNull()) return Ok{};
  if (!headers->IsObject() || headers->IsArray()) return bad("headers: must be an object of name -> value");
  Local<v8::Object> object = headers.As<v8::Object>();
  Local<v8::Array> names;
  if (!object->GetOwnPropertyNames(context).ToLocal(&names)) return bad("headers: cannot enumerate");
  for (uint32_t i = 0; i < names->Length(); ++i) {
    Local<Value> key = names->Get(context, i).ToLocalChecked();
    std::string name = v8util::to_string(isolate, key);
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return is_token_char(static_cast<unsigned char>(c)); })) {
      return bad("headers: '" + name.substr(0, 100) + "' is not a valid header name");
    }
    std::transform(name.begin(), name.end(), name.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
    Local<Value> value;
    if (!object->Get(context, key).ToLocal(&value)) return bad("headers['" + name + "']: getter threw");
    if (is_hop_by_hop(name)) continue;
    if (value->IsArray()) {
      Local<v8::Array> values = value.As<v8::Array>();
      for (uint32_t j = 0; j < values->Length(); ++j) {
        Local<Value> item;
        if (!values->Get(context, j).ToLocal(&item)) return bad("headers['" + name + "']: getter threw");
        if (auto added = add_header(response, name, isolate, item); !added) return added.error();
      }
    } else if (auto added = add_header(response, name, isolate, value); !added) {
      return added.error();
    }
  }
  return Ok{};
}

bool has_header(const HandlerResponse& response, std::string_view name) {
  return std::any_of(response.headers.begin(), response.headers.end(), [&](const auto& h) { return h.first == name; });
}

Result<Ok> read_body(v8::Isolate* isolate, Local<v8::Context> context, Local<Value> body, HandlerResponse& response) {
  if (body->IsUndefined() || body->IsNull()) return Ok{};
  if (body->IsString()) {
    response.body = utf8_of(isolate, body.As<v8::String>());
    return Ok{};
  }
  if (body->IsArrayBufferView()) {
    Local<v8::ArrayBufferView> view = body.As<v8::ArrayBufferView>();
    response.body.resize(view->ByteLength());
    view->CopyContents(response.body.data(), response.body.size());
    return Ok{};
  }
  if (body->IsArrayBuffer()) {
    Local<v8::ArrayBuffer> buffer = body.As<v8::ArrayBuffer>();
    const char* data = static_cast<const char*>(buffer->Data());
    response.body.assign(data, buffer->ByteLength());
    return Ok{};
  }
  bool plain_object = body->IsObject() && !body->IsFunction() && !body->IsPromise() &&
                      (body->IsArray() || body.As<v8::Object>()->GetPrototype()->IsNull() ||
                       body.As<v8::Object>()->GetConstructorName()->StringEquals(v8util::str(isolate, "Object")));
  if (!plain_object) return bad("body: must be a string, Uint8Array, ArrayBuffer, or a plain object/array (sent as JSON)");
  Local<v8::String> json;
  if (!v8::JSON::Stringify(context, body).ToLocal(&json)) return bad("body: JSON.stringify threw");
  response.body = utf8_of(isolate, json);
  if (!has_header(response, "content-type")) response.headers.emplace_back("content-type", "application/json");
  return Ok{};
}

}  // namespace

void ResponseKeys::init(v8::Isolate* isolate) {
  auto interned = [&](const char* name) {
    return v8::Eternal<v8::String>(isolate, v8::String::NewFromUtf8(isolate, name, v8::NewStringType::kInternalized).ToLocalChecked());
  };
  status = interned("status");
  headers = interned("headers");
  body = interned("body");
}

Result<HandlerResponse> to_handler_response(v8::Isolate* isolate, Local<v8::Context> context, Local<Value> value,
                                            const ResponseKeys& keys) {
  if (!value->IsObject() || value->IsArray() || value->IsFunction()) {
    return bad("the handler must return an object such as { status, headers, body }");
  }
  Local<v8::Object> object = value.As<v8::Object>();
  HandlerResponse response;
  Local<Value> status, headers, body;
  if (!object->Get(context, keys.status.Get(isolate)).ToLocal(&status) ||
      !object->Get(context, keys.headers.Get(isolate)).ToLocal(&headers) ||
      !object->Get(context, keys.body.Get(isolate)).ToLocal(&body)) {
    return bad("reading the returned object threw");
  }
  if (!status->IsUndefined()) {
    double code = status->IsNumber() ? status.As<v8::Number>()->Value() : -1;
    // 1xx are interim responses in HTTP/1.1 and cannot end an exchange.
    if (code != static_cast<int>(code) || code < 200 || code > 599) return bad("status: must be an integer 200-599");
    response.status = static_cast<int>(code);
  }
  if (auto read = read_headers(isolate, context, headers, response); !read) return read.error();
  if (auto read = read_body(isolate, context, body, response); !read) return read.error();
  return response;
}

}  // namespace agentgate
