#pragma once
// Small conversions between V8 values and C++ strings. Sandbox-internal: include only from sandbox/.
#include <v8.h>

#include <string>
#include <string_view>
#include <tuple>

namespace agentgate::v8util {

inline v8::Local<v8::String> str(v8::Isolate* isolate, std::string_view text) {
  return v8::String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal, static_cast<int>(text.size()))
      .ToLocalChecked();
}

// A value as UTF-8 (String(value) semantics for non-strings; "" if that throws).
inline std::string to_string(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::String::Utf8Value utf8(isolate, value);
  return *utf8 ? std::string(*utf8, utf8.length()) : std::string();
}

inline void throw_type_error(v8::Isolate* isolate, std::string_view message) {
  isolate->ThrowException(v8::Exception::TypeError(str(isolate, message)));
}

// Defines an own data property. Never `Set` on objects handed to agent code: Set runs setters that
// agent code may have put on Object.prototype, and a throwing setter would fail a Check().
inline void define(v8::Isolate* isolate, v8::Local<v8::Object> object, std::string_view name, v8::Local<v8::Value> value) {
  std::ignore = object->CreateDataProperty(isolate->GetCurrentContext(), str(isolate, name), value);
}

// Throws an Error whose `code` property is `code` and message is "CODE: message".
inline void throw_coded_error(v8::Isolate* isolate, std::string_view code, std::string_view message) {
  std::string text(code);
  text += ": ";
  text += message;
  v8::Local<v8::Value> error = v8::Exception::Error(str(isolate, text));
  define(isolate, error.As<v8::Object>(), "code", str(isolate, code));
  isolate->ThrowException(error);
}

// The exception in `try_catch` with its stack, for the server log.
inline std::string describe_exception(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                      const v8::TryCatch& try_catch) {
  if (!try_catch.HasCaught()) return "(no exception)";
  v8::Local<v8::Value> stack;
  if (try_catch.StackTrace(context).ToLocal(&stack) && stack->IsString()) return to_string(isolate, stack);
  return to_string(isolate, try_catch.Exception());
}

}  // namespace agentgate::v8util
