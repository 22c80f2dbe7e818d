#include "sandbox/secrets_binding.h"

#include <tuple>

#include "sandbox/globals.h"
#include "sandbox/v8_util.h"

namespace agentgate {
namespace {

using v8::FunctionCallbackInfo;
using v8::Local;
using v8::Value;

// The secret named by args[1] for the request args[0], as a settled promise: `present` turns the
// value into what the promise resolves with.
template <class Present>
void read(const FunctionCallbackInfo<Value>& args, const char* method, Present present) {
  v8::Isolate* isolate = args.GetIsolate();
  Local<v8::Context> context = isolate->GetCurrentContext();
  Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver)) return;
  args.GetReturnValue().Set(resolver->GetPromise());
  auto reject = [&](std::string_view code, const std::string& message) {
    v8::TryCatch try_catch(isolate);
    v8util::throw_coded_error(isolate, code, message);
    Local<Value> error = try_catch.Exception();
    try_catch.Reset();
    std::ignore = resolver->Reject(context, error);
  };
  if (!args[1]->IsString()) return reject("INVALID_ARGUMENT", std::string(method) + ": name must be a string");
  std::string name = v8util::to_string(isolate, args[1]);
  double invocation = args[0]->IsNumber() ? args[0].As<v8::Number>()->Value() : 0;
  auto value = IsolateHost::of(isolate)->read_secret(invocation >= 1 ? static_cast<uint64_t>(invocation) : 0, name);
  if (!value) return reject(value.error().code, std::string(method) + ": " + value.error().message);
  std::ignore = resolver->Resolve(context, present(isolate, *value));
}

void secrets_get(const FunctionCallbackInfo<Value>& args) {
  read(args, "secrets.get", [](v8::Isolate* isolate, const std::optional<std::string>& value) -> Local<Value> {
    if (!value) return v8::Null(isolate);
    return v8util::str(isolate, *value);
  });
}

void secrets_has(const FunctionCallbackInfo<Value>& args) {
  read(args, "secrets.has", [](v8::Isolate* isolate, const std::optional<std::string>& value) -> Local<Value> {
    return v8::Boolean::New(isolate, value.has_value());
  });
}

}  // namespace

void add_secrets_bindings(v8::Isolate* isolate, Local<v8::Context> context, Local<v8::Object> native) {
  v8util::define(isolate, native, "secretsGet", v8::Function::New(context, secrets_get).ToLocalChecked());
  v8util::define(isolate, native, "secretsHas", v8::Function::New(context, secrets_has).ToLocalChecked());
}

}  // namespace agentgate
