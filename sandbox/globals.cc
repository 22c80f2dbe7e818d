#include "sandbox/globals.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "common/random.h"
#include "common/uuid.h"
#include "sandbox/kv_binding.h"
#include "sandbox/url_binding.h"
#include "sandbox/crypto_binding.h"
#include "sandbox/fetch_binding.h"
#include "sandbox/secrets_binding.h"
#include "sandbox/v8_util.h"

namespace agentgate {
namespace {

using v8::FunctionCallbackInfo;
using v8::Local;
using v8::Value;

constexpr int kUtf8WriteFlags = v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8;

// Each native function checks its own arguments: the prelude's checks run in agent-controlled JS
// (built-ins can be replaced), so they shape errors, they do not keep memory safe.
bool expect(bool ok, const FunctionCallbackInfo<Value>& args, std::string_view message) {
  if (!ok) v8util::throw_type_error(args.GetIsolate(), message);
  return ok;
}

void utf8_encode(const FunctionCallbackInfo<Value>& args) {
  if (!expect(args[0]->IsString(), args, "TextEncoder.encode: expected a string")) return;
  v8::Isolate* isolate = args.GetIsolate();
  Local<v8::String> text = args[0].As<v8::String>();
  size_t length = static_cast<size_t>(text->Utf8Length(isolate));
  Local<v8::Uint8Array> bytes = new_bytes(isolate, length);
  if (bytes.IsEmpty()) return;
  text->WriteUtf8(isolate, view_data(bytes), static_cast<int>(length), nullptr, kUtf8WriteFlags);
  args.GetReturnValue().Set(bytes);
}

void utf8_encode_into(const FunctionCallbackInfo<Value>& args) {
  if (!expect(args[0]->IsString() && args[1]->IsUint8Array(), args, "TextEncoder.encodeInto: expected a string and a Uint8Array")) {
    return;
  }
  v8::Isolate* isolate = args.GetIsolate();
  Local<v8::String> text = args[0].As<v8::String>();
  Local<v8::Uint8Array> target = args[1].As<v8::Uint8Array>();
  int read = 0;
  int capacity = static_cast<int>(std::min<size_t>(target->ByteLength(), INT32_MAX));
  int written = text->WriteUtf8(isolate, view_data(target), capacity, &read, kUtf8WriteFlags);
  Local<v8::Object> result = v8::Object::New(isolate);
  v8util::define(isolate, result, "read", v8::Integer::New(isolate, read));
  v8util::define(isolate, result, "written", v8::Integer::New(isolate, written));
  args.GetReturnValue().Set(result);
}

void utf8_decode(const FunctionCallbackInfo<Value>& args) {
  if (!expect(args[0]->IsUint8Array(), args, "TextDecoder.decode: expected bytes")) return;
  v8::Isolate* isolate = args.GetIsolate();
  Local<v8::Uint8Array> bytes = args[0].As<v8::Uint8Array>();
  bool fatal = args[1]->BooleanValue(isolate);
  bool ignore_bom = args[2]->BooleanValue(isolate);
  const char* data = static_cast<const char*>(bytes->Buffer()->Data()) + bytes->ByteOffset();
  size_t length = bytes->ByteLength();
  if (!ignore_bom && length >= 3 && std::memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
    data += 3;
    length -= 3;
  }
  if (fatal && !simdjson::validate_utf8(data, length)) {
    v8util::throw_type_error(isolate, "TextDecoder.decode: the input is not valid UTF-8");
    return;
  }
  if (length > static_cast<size_t>(v8::String::kMaxLength)) {
    isolate->ThrowException(v8::Exception::RangeError(v8util::str(isolate, "TextDecoder.decode: input too large")));
    return;
  }
  Local<v8::String> result;
  if (v8::String::NewFromUtf8(isolate, data, v8::NewStringType::kNormal, static_cast<int>(length)).ToLocal(&result)) {
    args.GetReturnValue().Set(result);
  }
}

void console_log(const FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  IsolateHost::of(isolate)->console_log(v8util::to_string(isolate, args[0]), v8util::to_string(isolate, args[1]));
}

void fill_random_values(const FunctionCallbackInfo<Value>& args) {
  Local<Value> value = args[0];
  bool integer_array = value->IsInt8Array() || value->IsUint8Array() || value->IsUint8ClampedArray() ||
                       value->IsInt16Array() || value->IsUint16Array() || value->IsInt32Array() ||
                       value->IsUint32Array() || value->IsBigInt64Array() || value->IsBigUint64Array();
  if (!expect(integer_array, args, "getRandomValues: the argument must be an integer TypedArray")) return;
  Local<v8::ArrayBufferView> view = value.As<v8::ArrayBufferView>();
  if (!expect(view->ByteLength() <= 65536, args, "getRandomValues: at most 65536 bytes per call")) return;
  fill_random(reinterpret_cast<unsigned char*>(view_data(view)), view->ByteLength());
}

void random_uuid(const FunctionCallbackInfo<Value>& args) {
  args.GetReturnValue().Set(v8util::str(args.GetIsolate(), new_uuid_v4()));
}

class CloneDelegate final : public v8::ValueSerializer::Delegate {
 public:
  explicit CloneDelegate(v8::Isolate* isolate) : isolate_(isolate) {}
  void ThrowDataCloneError(Local<v8::String> message) override {
    Local<Value> error = v8::Exception::Error(message);
    v8util::define(isolate_, error.As<v8::Object>(), "name", v8util::str(isolate_, "DataCloneError"));
    isolate_->ThrowException(error);
  }

 private:
  v8::Isolate* isolate_;
};

void structured_clone(const FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  Local<v8::Context> context = isolate->GetCurrentContext();
  CloneDelegate delegate(isolate);
  v8::ValueSerializer serializer(isolate, &delegate);
  serializer.WriteHeader();
  if (serializer.WriteValue(context, args[0]).IsNothing()) return;  // DataCloneError thrown
  auto [data, size] = serializer.Release();
  std::unique_ptr<uint8_t, decltype(&std::free)> owned(data, &std::free);
  v8::ValueDeserializer deserializer(isolate, owned.get(), size);
  Local<Value> copy;
  if (deserializer.ReadHeader(context).FromMaybe(false) && deserializer.ReadValue(context).ToLocal(&copy)) {
    args.GetReturnValue().Set(copy);
  }
}

// A finite number clamped to [min, max]; NaN and non-numbers give `fallback`. Never calls JS.
double clamped_number(Local<Value> value, double min, double max, double fallback) {
  if (!value->IsNumber()) return fallback;
  double number = value.As<v8::Number>()->Value();
  if (std::isnan(number)) return fallback;
  return std::clamp(number, min, max);
}

void body_bytes(const FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  auto invocation = static_cast<uint64_t>(clamped_number(args[0], 0, 9007199254740991.0, 0));
  std::string_view body = IsolateHost::of(isolate)->request_body(invocation);
  Local<v8::Uint8Array> bytes = new_bytes(isolate, body.size());
  if (bytes.IsEmpty()) return;
  std::memcpy(view_data(bytes), body.data(), body.size());
  args.GetReturnValue().Set(bytes);
}

void queue_microtask(const FunctionCallbackInfo<Value>& args) {
  if (!expect(args[0]->IsFunction(), args, "queueMicrotask: callback must be a function")) return;
  args.GetIsolate()->EnqueueMicrotask(args[0].As<v8::Function>());
}

void set_timeout(const FunctionCallbackInfo<Value>& args) {
  if (!expect(args[0]->IsFunction(), args, "setTimeout: callback must be a function")) return;
  v8::Isolate* isolate = args.GetIsolate();
  double delay = clamped_number(args[1], 0, 2147483647.0, 0);
  uint32_t id = IsolateHost::of(isolate)->start_timer(args[0].As<v8::Function>(),
                                                      std::chrono::milliseconds(static_cast<int64_t>(delay)));
  if (id == 0) return;  // the host threw
  args.GetReturnValue().Set(v8::Integer::NewFromUnsigned(isolate, id));
}

void clear_timeout(const FunctionCallbackInfo<Value>& args) {
  double id = clamped_number(args[0], 0, UINT32_MAX, 0);
  if (id >= 1) IsolateHost::of(args.GetIsolate())->clear_timer(static_cast<uint32_t>(id));
}

}  // namespace

Local<v8::Uint8Array> new_bytes(v8::Isolate* isolate, size_t length) {
  std::unique_ptr<v8::BackingStore> store = IsolateHost::of(isolate)->new_backing_store(length);
  if (!store) {
    isolate->ThrowException(v8::Exception::RangeError(v8util::str(isolate, "Array buffer allocation failed")));
    return {};
  }
  Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  return v8::Uint8Array::New(buffer, 0, length);
}

char* view_data(Local<v8::ArrayBufferView> view) {
  return static_cast<char*>(view->Buffer()->Data()) + view->ByteOffset();
}

Local<v8::Object> make_native_bindings(v8::Isolate* isolate, Local<v8::Context> context) {
  Local<v8::Object> native = v8::Object::New(isolate);
  auto bind = [&](std::string_view name, v8::FunctionCallback callback) {
    Local<v8::Function> function = v8::Function::New(context, callback).ToLocalChecked();
    v8util::define(isolate, native, name, function);
  };
  bind("utf8Encode", utf8_encode);
  bind("utf8EncodeInto", utf8_encode_into);
  bind("utf8Decode", utf8_decode);
  bind("log", console_log);
  bind("fillRandom", fill_random_values);
  bind("randomUUID", random_uuid);
  bind("structuredClone", structured_clone);
  bind("queueMicrotask", queue_microtask);
  bind("bodyBytes", body_bytes);
  bind("setTimeout", set_timeout);
  bind("clearTimeout", clear_timeout);
  add_kv_bindings(isolate, context, native);
  add_secrets_bindings(isolate, context, native);
  add_crypto_bindings(isolate, context, native);
  add_fetch_bindings(isolate, context, native);
  add_url_bindings(isolate, context, native);
  return native;
}

}  // namespace agentgate
