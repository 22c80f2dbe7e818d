#include "sandbox/crypto_binding.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <string_view>

#include "sandbox/globals.h"
#include "sandbox/v8_util.h"

namespace agentgate {
namespace {

using v8::FunctionCallbackInfo;
using v8::Local;
using v8::Value;

// "SHA-256" and friends (the prelude normalises the name's case); null for anything else.
const EVP_MD* digest_named(std::string_view name) {
  if (name == "SHA-1") return EVP_sha1();
  if (name == "SHA-256") return EVP_sha256();
  if (name == "SHA-384") return EVP_sha384();
  if (name == "SHA-512") return EVP_sha512();
  return nullptr;
}

// A BufferSource's bytes (ArrayBuffer or any view), or nullopt.
std::optional<std::string_view> bytes_of(Local<Value> value) {
  if (value->IsArrayBufferView()) {
    Local<v8::ArrayBufferView> view = value.As<v8::ArrayBufferView>();
    return std::string_view(view_data(view), view->ByteLength());
  }
  if (value->IsArrayBuffer()) {
    Local<v8::ArrayBuffer> buffer = value.As<v8::ArrayBuffer>();
    return std::string_view(static_cast<const char*>(buffer->Data()), buffer->ByteLength());
  }
  return std::nullopt;
}

void return_bytes(const FunctionCallbackInfo<Value>& args, const unsigned char* data, size_t size) {
  Local<v8::Uint8Array> out = new_bytes(args.GetIsolate(), size);
  if (out.IsEmpty()) return;
  std::memcpy(view_data(out), data, size);
  args.GetReturnValue().Set(out);
}

// digest(name, data) -> Uint8Array
void digest(const FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  const EVP_MD* md = args[0]->IsString() ? digest_named(v8util::to_string(isolate, args[0])) : nullptr;
  auto data = bytes_of(args[1]);
  if (!md || !data) return v8util::throw_type_error(isolate, "digest: expects a supported algorithm and a BufferSource");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data->data(), data->size(), out, &size, md, nullptr) != 1) {
    return v8util::throw_type_error(isolate, "digest: the operation failed");
  }
  return_bytes(args, out, size);
}

// hmac(hash name, key, data) -> Uint8Array
void hmac(const FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  const EVP_MD* md = args[0]->IsString() ? digest_named(v8util::to_string(isolate, args[0])) : nullptr;
  auto key = bytes_of(args[1]);
  auto data = bytes_of(args[2]);
  if (!md || !key || !data) return v8util::throw_type_error(isolate, "HMAC: expects a supported hash, a key and data");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(md, key->data(), static_cast<int>(key->size()), reinterpret_cast<const unsigned char*>(data->data()),
            data->size(), out, &size)) {
    return v8util::throw_type_error(isolate, "HMAC: the operation failed");
  }
  return_bytes(args, out, size);
}

// timingSafeEqual(a, b) -> boolean; the same length is required (as in Node).
void timing_safe_equal(const FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  auto a = bytes_of(args[0]);
  auto b = bytes_of(args[1]);
  if (!a || !b) return v8util::throw_type_error(isolate, "timingSafeEqual: both arguments must be BufferSources");
  if (a->size() != b->size()) {
    isolate->ThrowException(v8::Exception::RangeError(v8util::str(isolate, "timingSafeEqual: the inputs must have the same length")));
    return;
  }
  args.GetReturnValue().Set(CRYPTO_memcmp(a->data(), b->data(), a->size()) == 0);
}

}  // namespace

void add_crypto_bindings(v8::Isolate* isolate, Local<v8::Context> context, Local<v8::Object> native) {
  v8util::define(isolate, native, "digest", v8::Function::New(context, digest).ToLocalChecked());
  v8util::define(isolate, native, "hmac", v8::Function::New(context, hmac).ToLocalChecked());
  v8util::define(isolate, native, "timingSafeEqual", v8::Function::New(context, timing_safe_equal).ToLocalChecked());
}

}  // namespace agentgate
