#pragma once
// Base64 (RFC 4648) on OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock.
#include <optional>
#include <string>
#include <string_view>

namespace agentgate {

// The URL-safe alphabet without padding (section 5), for tokens in URLs and cookies.
std::string base64url_encode(std::string_view bytes);
// nullopt unless `text` is unpadded base64url.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace agentgate
