#include "sandbox/crypto_binding.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include "common/base64.h"
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

// ---- public-key verification (id_tokens: RS256, ES256) ------------------------------------------

template <class T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY, EVP_PKEY_free>>;
using KeyContext = std::unique_ptr<EVP_PKEY_CTX, Freer<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using DigestContext = std::unique_ptr<EVP_MD_CTX, Freer<EVP_MD_CTX, EVP_MD_CTX_free>>;
using ParamBuilder = std::unique_ptr<OSSL_PARAM_BLD, Freer<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Freer<OSSL_PARAM, OSSL_PARAM_free>>;
using Number = std::unique_ptr<BIGNUM, Freer<BIGNUM, BN_free>>;
using EcSignature = std::unique_ptr<ECDSA_SIG, Freer<ECDSA_SIG, ECDSA_SIG_free>>;

Number number_of(std::string_view big_endian) {
  return Number(BN_bin2bn(reinterpret_cast<const unsigned char*>(big_endian.data()), static_cast<int>(big_endian.size()), nullptr));
}

// A public key from OpenSSL parameters, or null.
Key public_key(const char* type, OSSL_PARAM_BLD* builder) {
  Params params(OSSL_PARAM_BLD_to_param(builder));
  KeyContext context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return Key(key);
}

// An RSA public key from a JWK's base64url n and e.
Key rsa_key(std::string_view n64, std::string_view e64) {
  auto n = base64url_decode(n64);
  auto e = base64url_decode(e64);
  if (!n || !e || n->empty() || e->empty()) return nullptr;
  Number modulus = number_of(*n), exponent = number_of(*e);
  ParamBuilder builder(OSSL_PARAM_BLD_new());
  if (!builder || !modulus || !exponent || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
    return nullptr;
  }
  return public_key("RSA", builder.get());
}

// A P-256 public key from a JWK's base64url x and y (32 bytes each).
Key p256_key(std::string_view x64, std::string_view y64) {
  auto x = base64url_decode(x64);
  auto y = base64url_decode(y64);
  if (!x || !y || x->size() != 32 || y->size() != 32) return nullptr;
  std::string point = "\x04" + *x + *y;
  ParamBuilder builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return nullptr;
  }
  return public_key("EC", builder.get());
}

bool verify_with(EVP_PKEY* key, const EVP_MD* md, std::string_view signature, std::string_view data) {
  DigestContext context(EVP_MD_CTX_new());
  return context && EVP_DigestVerifyInit(context.get(), nullptr, md, nullptr, key) == 1 &&
         EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

// Web Crypto's ECDSA signatures are r || s; OpenSSL verifies DER.
std::optional<std::string> der_of_raw_ecdsa(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  EcSignature signature(ECDSA_SIG_new());
  Number r = number_of(raw.substr(0, 32)), s = number_of(raw.substr(32));
  if (!signature || !r || !s || ECDSA_SIG_set0(signature.get(), r.get(), s.get()) != 1) return std::nullopt;
  r.release();  // owned by the signature now
  s.release();
  int size = i2d_ECDSA_SIG(signature.get(), nullptr);
  if (size <= 0) return std::nullopt;
  std::string der(static_cast<size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(signature.get(), &out);
  return der;
}

// verifySignature(kind "RSA"|"EC-P256", hash, jwk field 1, jwk field 2, signature, data) -> boolean.
// A key that does not load is a TypeError (importKey calls this with an empty signature to check it).
void verify_signature(const FunctionCallbackInfo<Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  std::string kind = v8util::to_string(isolate, args[0]);
  const EVP_MD* md = args[1]->IsString() ? digest_named(v8util::to_string(isolate, args[1])) : nullptr;
  auto signature = bytes_of(args[4]);
  auto data = bytes_of(args[5]);
  if (!md || !args[2]->IsString() || !args[3]->IsString() || !signature || !data) {
    return v8util::throw_type_error(isolate, "verify: bad arguments");
  }
  std::string first = v8util::to_string(isolate, args[2]), second = v8util::to_string(isolate, args[3]);
  Key key = kind == "RSA" ? rsa_key(first, second) : kind == "EC-P256" ? p256_key(first, second) : nullptr;
  if (!key) return v8util::throw_type_error(isolate, "the JWK does not hold a valid public key");
  bool valid = false;
  if (kind == "RSA") {
    valid = verify_with(key.get(), md, *signature, *data);
  } else if (auto der = der_of_raw_ecdsa(*signature)) {
    valid = verify_with(key.get(), md, *der, *data);
  }
  args.GetReturnValue().Set(valid);
}

}  // namespace

void add_crypto_bindings(v8::Isolate* isolate, Local<v8::Context> context, Local<v8::Object> native) {
  v8util::define(isolate, native, "digest", v8::Function::New(context, digest).ToLocalChecked());
  v8util::define(isolate, native, "hmac", v8::Function::New(context, hmac).ToLocalChecked());
  v8util::define(isolate, native, "timingSafeEqual", v8::Function::New(context, timing_safe_equal).ToLocalChecked());
  v8util::define(isolate, native, "verifySignature", v8::Function::New(context, verify_signature).ToLocalChecked());
}

}  // namespace agentgate
