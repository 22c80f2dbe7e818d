#include "sandbox/globals.h"

#include <simdjson.h>

#include <cstdlib>
#include <cstring>

#include "common/random.h"
#include "common/uuid.h"
#include "sandbox/v8_util.h"

namespace agentgate {
namespace {

using v8::FunctionCallbackInfo;
using v8::Local;
using v8::Value;

constexpr int kUtf8WriteFlags = v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8;

void utf8_encode(const FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  Local<v8::String> text = args[0].As<v8::String>();
  size_t length = static_cast<size_t>(text->Utf8Length(isolate));
  auto store = v8::ArrayBuffer::NewBackingStore(isolate, length);
  text->WriteUtf8(isolate, static_cast<char*>(store->Data()), static_cast<int>(length), nullptr, kUtf8WriteFlags);
  Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  args.GetReturnValue().Set(v8::Uint8Array::New(buffer, 0, length));
}

void utf8_encode_into(const FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  Local<v8::Context> context = isolate->GetCurrentContext();
  Local<v8::String> text = args[0].As<v8::String>();
  Local<v8::Uint8Array> target = args[1].As<v8::Uint8Array>();
  char* data = static_cast<char*>(target->Buffer()->Data()) + target->ByteOffset();
  int read = 0;
  int written = text->WriteUtf8(isolate, data, static_cast<int>(target->ByteLength()), &read, kUtf8WriteFlags);
  Local<v8::Object> result = v8::Object::New(isolate);
  result->Set(context, v8util::str(isolate, "read"), v8::Integer::New(isolate, read)).Check();
  result->Set(context, v8util::str(isolate, "written"), v8::Integer::New(isolate, written)).Check();
  args.GetReturnValue().Set(result);
}

void utf8_decode(const FunctionCallbackInfo<Value>& args) {
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
  Local<v8::ArrayBufferView> view = args[0].As<v8::ArrayBufferView>();
  auto* data = static_cast<unsigned char*>(view->Buffer()->Data()) + view->ByteOffset();
  fill_random(data, view->ByteLength());
}

void random_uuid(const FunctionCallbackInfo<Value>& args) {
  args.GetReturnValue().Set(v8util::str(args.GetIsolate(), new_uuid_v4()));
}

class CloneDelegate final : public v8::ValueSerializer::Delegate {
 public:
  explicit CloneDelegate(v8::Isolate* isolate) : isolate_(isolate) {}
  void ThrowDataCloneError(Local<v8::String> message) override {
    Local<Value> error = v8::Exception::Error(message);
    error.As<v8::Object>()
        ->Set(isolate_->GetCurrentContext(), v8util::str(isolate_, "name"), v8util::str(isolate_, "DataCloneError"))
        .Check();
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

void body_bytes(const FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  auto invocation = static_cast<uint64_t>(args[0]->NumberValue(isolate->GetCurrentContext()).FromMaybe(0));
  std::string_view body = IsolateHost::of(isolate)->request_body(invocation);
  auto store = v8::ArrayBuffer::NewBackingStore(isolate, body.size());
  std::memcpy(store->Data(), body.data(), body.size());
  Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  args.GetReturnValue().Set(v8::Uint8Array::New(buffer, 0, body.size()));
}

void queue_microtask(const FunctionCallbackInfo<Value>& args) {
  args.GetIsolate()->EnqueueMicrotask(args[0].As<v8::Function>());
}

void set_timeout(const FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  double delay = args[1]->NumberValue(isolate->GetCurrentContext()).FromMaybe(0);
  uint32_t id = IsolateHost::of(isolate)->start_timer(args[0].As<v8::Function>(),
                                                      std::chrono::milliseconds(static_cast<int64_t>(delay)));
  if (id == 0) return;  // the host threw
  args.GetReturnValue().Set(v8::Integer::NewFromUnsigned(isolate, id));
}

void clear_timeout(const FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  double id = args[0]->NumberValue(isolate->GetCurrentContext()).FromMaybe(0);
  if (id >= 1 && id <= UINT32_MAX) IsolateHost::of(isolate)->clear_timer(static_cast<uint32_t>(id));
}

}  // namespace

Local<v8::Object> make_native_bindings(v8::Isolate* isolate, Local<v8::Context> context) {
  Local<v8::Object> native = v8::Object::New(isolate);
  auto bind = [&](std::string_view name, v8::FunctionCallback callback) {
    Local<v8::Function> function = v8::Function::New(context, callback).ToLocalChecked();
    native->Set(context, v8util::str(isolate, name), function).Check();
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
  return native;
}

}  // namespace agentgate
