#pragma once
// Authenticated encryption with AES-256-GCM (OpenSSL EVP): a fresh random 96-bit nonce per seal,
// and associated data bound into the tag, so a box moved to another context fails to open.
#include <optional>
#include <string>
#include <string_view>

namespace agentgate {

inline constexpr size_t kAeadKeyBytes = 32;

// nonce (12 bytes) || ciphertext || tag (16 bytes). `key` must be kAeadKeyBytes long.
std::string aead_seal(std::string_view key, std::string_view plaintext, std::string_view associated_data);
// nullopt when the box was tampered with, or sealed with another key or associated data.
std::optional<std::string> aead_open(std::string_view key, std::string_view box, std::string_view associated_data);

}  // namespace agentgate
