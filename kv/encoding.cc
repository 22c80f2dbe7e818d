#include "kv/encoding.h"

#include "common/base64.h"

namespace agentgate::kv_encoding {
namespace {

constexpr char kValueFormat = 0x01;
constexpr size_t kValueHeaderBytes = 1 + 8;

void append_u64(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

uint64_t read_u64(std::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

}  // namespace

std::string encode_key(std::string_view agent_id, std::string_view user_id, std::string_view key) {
  std::string out;
  out.reserve(agent_id.size() + 2 + user_id.size() + key.size());
  out.append(agent_id);
  out.push_back(static_cast<char>((user_id.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(user_id.size() & 0xff));
  out.append(user_id);
  out.append(key);
  return out;
}

std::string agent_prefix(std::string_view agent_id) { return std::string(agent_id); }

std::optional<DecodedKey> decode_key(std::string_view stored) {
  if (stored.size() < kAgentIdBytes + 2) return std::nullopt;
  size_t user_length = (static_cast<unsigned char>(stored[kAgentIdBytes]) << 8) |
                       static_cast<unsigned char>(stored[kAgentIdBytes + 1]);
  size_t user_start = kAgentIdBytes + 2;
  if (stored.size() < user_start + user_length) return std::nullopt;
  return DecodedKey{stored.substr(0, kAgentIdBytes), stored.substr(user_start, user_length),
                    stored.substr(user_start + user_length)};
}

std::string encode_value(const KvValue& value) {
  std::string out;
  out.reserve(kValueHeaderBytes + value.bytes.size());
  out.push_back(kValueFormat);
  append_u64(out, static_cast<uint64_t>(value.expires_at_ms));
  out.append(value.bytes);
  return out;
}

std::optional<int64_t> stored_expiry(std::string_view stored) {
  if (stored.size() < kValueHeaderBytes || stored[0] != kValueFormat) return std::nullopt;
  return static_cast<int64_t>(read_u64(stored.substr(1, 8)));
}

std::optional<KvValue> decode_value(std::string_view stored) {
  auto expiry = stored_expiry(stored);
  if (!expiry) return std::nullopt;
  return KvValue{std::string(stored.substr(kValueHeaderBytes)), *expiry};
}

std::string encode_cursor(std::string_view last_key) { return base64url_encode(last_key); }

std::optional<std::string> decode_cursor(std::string_view cursor) { return base64url_decode(cursor); }

std::optional<std::string> list_cursor(std::string_view cursor, std::string_view prefix, size_t max_key_bytes) {
  auto after = decode_cursor(cursor);
  if (!after || after->size() > max_key_bytes || !std::string_view(*after).starts_with(prefix)) return std::nullopt;
  return after;
}

}  // namespace agentgate::kv_encoding
