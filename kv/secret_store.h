#pragma once
// Agents' secrets (ctx.secrets), encrypted at rest with AES-256-GCM (common/aead.h).
//
// Each value is sealed under the current master key with a fresh nonce, and the agent id and the
// secret's name are the associated data: a ciphertext copied to another agent or name does not
// open. Records live in the default column family under "secret/<agent id>/<name>":
//   <format 0x01> <key id length (1 byte)> <key id> <updated_at_ms (8 bytes big-endian)> <sealed box>
// The key file holds one key per line, "<key id> <64 hex digits>", the current key first; older
// keys stay readable until rotate() has re-encrypted everything under the current one.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "kv/rocks_store.h"

namespace agentgate {

struct SecretKey {
  std::string id;
  std::string bytes;  // 32
};

// Reads the key file, creating it (mode 0600, one fresh key) when `create` and it is absent.
Result<std::vector<SecretKey>> load_secret_keys(const std::string& path, bool create);
// Adds a fresh key in front of the file's keys (the new current key); returns its id.
Result<std::string> add_secret_key(const std::string& path);

struct SecretInfo {
  std::string name;
  int64_t updated_at_ms = 0;
};

// Names: [A-Za-z0-9_.-]{1,128}. Values: up to 64 KiB.
bool is_valid_secret_name(std::string_view name);
inline constexpr size_t kMaxSecretBytes = 64 * 1024;

class SecretStore {
 public:
  SecretStore(RocksStore& db, std::vector<SecretKey> keys);

  // INVALID_ARGUMENT for a bad name or an oversized value.
  Status set(const std::string& agent_id, const std::string& name, std::string_view value);
  // nullopt when absent. A record that does not open (tampered, unknown key) is SECRET_UNREADABLE.
  Result<std::optional<std::string>> get(const std::string& agent_id, const std::string& name);
  Result<std::vector<SecretInfo>> list(const std::string& agent_id);
  Result<bool> remove(const std::string& agent_id, const std::string& name);
  Status remove_agent(const std::string& agent_id);

  // Makes `keys` the key ring (its first key current) and re-encrypts every record not yet under
  // the current key. Safe while the server serves: each record is rewritten atomically, and reads
  // meanwhile find either the old or the new record, both readable. Returns how many it rewrote.
  Result<size_t> rotate(std::vector<SecretKey> keys);
  std::string current_key_id() const;

 private:
  std::optional<SecretKey> key_for(std::string_view id) const;

  RocksStore& db_;
  mutable std::mutex mutex_;  // guards keys_ (rotation swaps them)
  std::mutex write_mutex_;    // orders writes, so rotation never overwrites a newer value
  std::vector<SecretKey> keys_;
};

}  // namespace agentgate
