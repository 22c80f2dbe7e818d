#include "sandbox/url_binding.h"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "sandbox/v8_util.h"

// ada's C API (ada_c.h, ada 2.x), as libnode exports it; libnode-dev installs no header for it.
extern "C" {
typedef void* ada_url;
typedef struct {
  const char* data;
  size_t length;
} ada_string;
ada_url ada_parse(const char* input, size_t length);
ada_url ada_parse_with_base(const char* input, size_t input_length, const char* base, size_t base_length);
bool ada_is_valid(ada_url result);
void ada_free(ada_url result);
ada_string ada_get_protocol(ada_url result);
ada_string ada_get_username(ada_url result);
ada_string ada_get_password(ada_url result);
ada_string ada_get_hostname(ada_url result);
ada_string ada_get_port(ada_url result);
ada_string ada_get_pathname(ada_url result);
ada_string ada_get_search(ada_url result);
ada_string ada_get_hash(ada_url result);
uint8_t ada_get_host_type(ada_url result);
bool ada_has_hostname(ada_url result);
bool ada_has_search(ada_url result);
bool ada_has_hash(ada_url result);
}

namespace agentgate {
namespace {

using v8::Local;
using v8::Value;

struct AdaFree {
  void operator()(void* url) const { ada_free(url); }
};
using ParsedUrl = std::unique_ptr<void, AdaFree>;

// Inputs (with the base) up to this many UTF-16 units go to ada; see url_parse.
constexpr size_t kMaxNativeUnits = size_t{1} << 20;

std::string_view view(ada_string text) { return {text.data, text.length}; }

// Empty when V8 cannot make the string (over its maximum length).
v8::MaybeLocal<Value> text(v8::Isolate* isolate, std::string_view value) {
  Local<v8::String> made;
  if (!v8::String::NewFromUtf8(isolate, value.data(), v8::NewStringType::kNormal, static_cast<int>(value.size()))
           .ToLocal(&made)) {
    return {};
  }
  return made;
}

// After a leading "?" or "#": the component, or null when the URL has none.
v8::MaybeLocal<Value> after_mark(v8::Isolate* isolate, bool present, ada_string component) {
  if (!present) return v8::Null(isolate);
  std::string_view value = view(component);
  return text(isolate, value.empty() ? value : value.substr(1));
}

Local<Value> port_of(v8::Isolate* isolate, ada_string component) {
  std::string_view digits = view(component);
  uint32_t port = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) return v8::Null(isolate);
  return v8::Integer::NewFromUnsigned(isolate, port);
}

// urlParse(input, base?): see url_binding.h.
void url_parse(const v8::FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  if (!args[0]->IsString() || !(args[1]->IsUndefined() || args[1]->IsString())) {
    return v8util::throw_type_error(isolate, "urlParse expects (string, string?)");
  }
  // ada's copies live outside the isolate's heap and its limit, and percent-encoding can make a
  // component nine times its input: longer inputs are the caller's to parse (url-entry.js).
  size_t base_length = args[1]->IsString() ? static_cast<size_t>(args[1].As<v8::String>()->Length()) : 0;
  if (static_cast<size_t>(args[0].As<v8::String>()->Length()) + base_length > kMaxNativeUnits) {
    return v8util::throw_type_error(isolate, "urlParse: input too long for the native parser");
  }
  v8::String::Utf8Value input(isolate, args[0]);
  ParsedUrl url;
  if (args[1]->IsString()) {
    v8::String::Utf8Value base(isolate, args[1]);
    url.reset(ada_parse_with_base(*input, static_cast<size_t>(input.length()), *base, static_cast<size_t>(base.length())));
  } else {
    url.reset(ada_parse(*input, static_cast<size_t>(input.length())));
  }
  if (!url || !ada_is_valid(url.get())) return args.GetReturnValue().SetNull();

  std::string_view protocol = view(ada_get_protocol(url.get()));  // "https:"
  if (!protocol.empty()) protocol.remove_suffix(1);
  bool has_host = ada_has_hostname(url.get());
  v8::MaybeLocal<Value> maybe_parts[] = {
      text(isolate, protocol),
      text(isolate, view(ada_get_username(url.get()))),
      text(isolate, view(ada_get_password(url.get()))),
      has_host ? text(isolate, view(ada_get_hostname(url.get()))) : v8::Null(isolate),
      v8::Integer::NewFromUnsigned(isolate, ada_get_host_type(url.get())),
      port_of(isolate, ada_get_port(url.get())),
      text(isolate, view(ada_get_pathname(url.get()))),
      after_mark(isolate, ada_has_search(url.get()), ada_get_search(url.get())),
      after_mark(isolate, ada_has_hash(url.get()), ada_get_hash(url.get())),
  };
  Local<Value> parts[std::size(maybe_parts)];
  for (size_t i = 0; i < std::size(maybe_parts); ++i) {
    if (!maybe_parts[i].ToLocal(&parts[i])) {
      isolate->ThrowException(v8::Exception::RangeError(v8util::str(isolate, "Invalid string length")));
      return;
    }
  }
  args.GetReturnValue().Set(v8::Array::New(isolate, parts, std::size(parts)));
}

}  // namespace

void add_url_bindings(v8::Isolate* isolate, Local<v8::Context> context, Local<v8::Object> native) {
  v8util::define(isolate, native, "urlParse", v8::Function::New(context, url_parse).ToLocalChecked());
}

}  // namespace agentgate
