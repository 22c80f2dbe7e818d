#pragma once
// The on-disk format of ctx.kv, pure (no I/O) so it can be unit-tested and fuzzed.
//
// Key:   <agent id: 36-byte canonical UUID> <user_id length: 2 bytes big-endian> <user_id> <key>
// Value: <format 0x01> <expires_at_ms: 8 bytes big-endian, 0 = never> <serialized JS value>
//
// The agent id has a fixed length and user_id is length-prefixed, so no user_id or key (NUL bytes,
// separators, anything) can make one agent's or user's key equal another's, and every key of one
// (agent, user_id) sorts under one prefix in the key's own byte order.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kv/kv_store.h"

namespace agentgate::kv_encoding {

constexpr size_t kAgentIdBytes = 36;
constexpr size_t kMaxUserIdBytes = 0xffff;

// Requires a 36-byte agent id and user_id.size() <= kMaxUserIdBytes (callers validate first).
std::string encode_key(std::string_view agent_id, std::string_view user_id, std::string_view key);
// Everything stored for one agent.
std::string agent_prefix(std::string_view agent_id);

struct DecodedKey {
  std::string_view agent_id;
  std::string_view user_id;
  std::string_view key;
};
std::optional<DecodedKey> decode_key(std::string_view stored);

std::string encode_value(const KvValue& value);
// nullopt for bytes this format did not write.
std::optional<KvValue> decode_value(std::string_view stored);
// Only the expiry, without copying the payload (compaction filter, list scans).
std::optional<int64_t> stored_expiry(std::string_view stored);

inline bool expired(int64_t expires_at_ms, int64_t now_ms) { return expires_at_ms != 0 && expires_at_ms <= now_ms; }

// List cursors are opaque to handlers: base64url of the last key returned.
std::string encode_cursor(std::string_view last_key);
std::optional<std::string> decode_cursor(std::string_view cursor);
// A cursor a list under `prefix` may continue from: decodable, no longer than a key may be, and
// under the prefix (a cursor from another list could otherwise start a scan anywhere). nullopt else.
std::optional<std::string> list_cursor(std::string_view cursor, std::string_view prefix, size_t max_key_bytes);

}  // namespace agentgate::kv_encoding
