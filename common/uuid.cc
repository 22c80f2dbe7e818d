#include "common/uuid.h"

#include <array>

#include "common/random.h"

namespace agentgate {

std::string new_uuid_v4() {
  std::array<unsigned char, 16> bytes{};
  fill_random(bytes.data(), bytes.size());
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0f]);
  }
  return out;
}

std::optional<std::string> canonical_uuid(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    bool hyphen_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (hyphen_position) {
      if (out[i] != '-') return std::nullopt;
    } else {
      char c = out[i];
      if (c >= 'A' && c <= 'F') {
        out[i] = static_cast<char>(c + ('a' - 'A'));
      } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return std::nullopt;
      }
    }
  }
  return out;
}

}  // namespace agentgate
