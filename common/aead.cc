#include "common/aead.h"

#include <openssl/evp.h>

#include <memory>

#include "common/random.h"

namespace agentgate {
namespace {

constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

}  // namespace

std::string aead_seal(std::string_view key, std::string_view plaintext, std::string_view associated_data) {
  std::string box(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(box.data());
  fill_random(out, kNonceBytes);
  CipherContext context(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int length = 0;
  bool ok = context && key.size() == kAeadKeyBytes &&
            EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, bytes(key), out) == 1 &&
            EVP_EncryptUpdate(context.get(), nullptr, &length, bytes(associated_data),
                              static_cast<int>(associated_data.size())) == 1 &&
            EVP_EncryptUpdate(context.get(), out + kNonceBytes, &length, bytes(plaintext),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(context.get(), out + kNonceBytes + length, &length) == 1 &&
            EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                                out + kNonceBytes + plaintext.size()) == 1;
  if (!ok) std::abort();  // only a wrong key length (a bug) or a broken OpenSSL gets here
  return box;
}

std::optional<std::string> aead_open(std::string_view key, std::string_view box, std::string_view associated_data) {
  if (key.size() != kAeadKeyBytes || box.size() < kNonceBytes + kTagBytes) return std::nullopt;
  size_t text_bytes = box.size() - kNonceBytes - kTagBytes;
  std::string plaintext(text_bytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  std::string tag(box.substr(kNonceBytes + text_bytes));
  CipherContext context(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int length = 0;
  bool ok = context && EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(box)) == 1 &&
            EVP_DecryptUpdate(context.get(), nullptr, &length, bytes(associated_data),
                              static_cast<int>(associated_data.size())) == 1 &&
            EVP_DecryptUpdate(context.get(), out, &length, bytes(box) + kNonceBytes, static_cast<int>(text_bytes)) == 1 &&
            EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(context.get(), out + length, &length) == 1;
  if (!ok) return std::nullopt;
  return plaintext;
}

}  // namespace agentgate
