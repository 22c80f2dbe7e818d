#include "kv/secret_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/aead.h"
#include "common/random.h"

namespace agentgate {
namespace {

constexpr char kFormat = 0x01;
constexpr std::string_view kPrefix = "secret/";

std::string record_key(std::string_view agent_id, std::string_view name) {
  std::string key(kPrefix);
  key += agent_id;
  key += '/';
  key += name;
  return key;
}

std::string associated_data(std::string_view agent_id, std::string_view name) {
  std::string data = "agentgate secret\n";
  data += agent_id;
  data += '\n';
  data += name;
  return data;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Record {
  std::string key_id;
  int64_t updated_at_ms = 0;
  std::string_view box;
};

std::string encode_record(const SecretKey& key, int64_t updated_at_ms, std::string_view box) {
  std::string out;
  out.push_back(kFormat);
  out.push_back(static_cast<char>(key.id.size()));
  out += key.id;
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((updated_at_ms >> shift) & 0xff));
  out += box;
  return out;
}

std::optional<Record> decode_record(std::string_view stored) {
  if (stored.size() < 2 || stored[0] != kFormat) return std::nullopt;
  size_t id_length = static_cast<unsigned char>(stored[1]);
  if (stored.size() < 2 + id_length + 8) return std::nullopt;
  Record record;
  record.key_id = std::string(stored.substr(2, id_length));
  uint64_t updated = 0;
  for (size_t i = 0; i < 8; ++i) updated = (updated << 8) | static_cast<unsigned char>(stored[2 + id_length + i]);
  record.updated_at_ms = static_cast<int64_t>(updated);
  record.box = stored.substr(2 + id_length + 8);
  return record;
}

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int high = nibble(hex[i]), low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
  }
  return out;
}

Status write_key_file(const std::string& path, const std::string& content) {
  // Written beside, then renamed over: a crash leaves the old file or the new one, never half.
  std::string temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Error{"CONFIG", "cannot write the secrets key file " + temporary + ": " + std::strerror(errno)};
  // A leftover temporary file keeps its old mode through O_CREAT: set it.
  bool written = ::fchmod(fd, 0600) == 0 &&
                 ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || std::rename(temporary.c_str(), path.c_str()) != 0) {
    return Error{"CONFIG", "cannot write the secrets key file " + path};
  }
  return Ok{};
}

std::string new_key_line() {
  std::string id = "k" + std::to_string(now_ms() / 1000) + "-" + random_hex(3);
  return id + " " + random_hex(kAeadKeyBytes) + "\n";
}

}  // namespace

bool is_valid_secret_name(std::string_view name) {
  return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

Result<std::vector<SecretKey>> load_secret_keys(const std::string& path, bool create) {
  if (create && !std::filesystem::exists(path)) {
    if (auto written = write_key_file(path, new_key_line()); !written) return written.error();
  }
  std::ifstream in(path);
  if (!in) return Error{"CONFIG", "cannot read the secrets key file " + path};
  std::vector<SecretKey> keys;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, hex;
    if (!(fields >> id >> hex)) continue;
    auto bytes = hex_decode(hex);
    if (!bytes || bytes->size() != kAeadKeyBytes || id.size() > 64) {
      return Error{"CONFIG", "the secrets key file " + path + " has a malformed line (expected '<id> <64 hex digits>')"};
    }
    keys.push_back(SecretKey{id, std::move(*bytes)});
  }
  if (keys.empty()) return Error{"CONFIG", "the secrets key file " + path + " holds no key"};
  return keys;
}

Result<std::string> add_secret_key(const std::string& path) {
  std::ifstream in(path);
  std::stringstream old;
  if (in) old << in.rdbuf();
  std::string line = new_key_line();
  if (auto written = write_key_file(path, line + old.str()); !written) return written.error();
  return line.substr(0, line.find(' '));
}

SecretStore::SecretStore(RocksStore& db, std::vector<SecretKey> keys) : db_(db), keys_(std::move(keys)) {}

std::string SecretStore::current_key_id() const {
  std::lock_guard lock(mutex_);
  return keys_.front().id;
}

std::optional<SecretKey> SecretStore::key_for(std::string_view id) const {
  std::lock_guard lock(mutex_);
  for (const auto& key : keys_) {
    if (key.id == id) return key;
  }
  return std::nullopt;
}

Status SecretStore::set(const std::string& agent_id, const std::string& name, std::string_view value) {
  if (!is_valid_secret_name(name)) return Error{"INVALID_ARGUMENT", "a secret name matches [A-Za-z0-9_.-]{1,128}"};
  if (value.size() > kMaxSecretBytes) return Error{"INVALID_ARGUMENT", "a secret value is at most 64 KiB"};
  // The key is chosen under write_mutex_, which rotate() holds while it swaps the ring: a write is
  // either under the new key or put before rotate() scans for records to re-encrypt.
  std::lock_guard write(write_mutex_);
  SecretKey key;
  {
    std::lock_guard lock(mutex_);
    key = keys_.front();
  }
  std::string box = aead_seal(key.bytes, value, associated_data(agent_id, name));
  return db_.put(record_key(agent_id, name), encode_record(key, now_ms(), box));
}

Result<std::optional<std::string>> SecretStore::get(const std::string& agent_id, const std::string& name) {
  if (!is_valid_secret_name(name)) return std::optional<std::string>();
  auto stored = db_.get(record_key(agent_id, name));
  if (!stored) return stored.error();
  if (!*stored) return std::optional<std::string>();
  auto record = decode_record(**stored);
  auto key = record ? key_for(record->key_id) : std::nullopt;
  auto value = key ? aead_open(key->bytes, record->box, associated_data(agent_id, name)) : std::nullopt;
  if (!value) return Error{"SECRET_UNREADABLE", "the secret '" + name + "' cannot be decrypted (tampered, or its key is gone)"};
  return std::optional<std::string>(std::move(*value));
}

Result<std::vector<SecretInfo>> SecretStore::list(const std::string& agent_id) {
  std::vector<SecretInfo> secrets;
  std::string prefix = record_key(agent_id, "");
  auto scanned = db_.scan_prefix(prefix, [&](std::string_view key, std::string_view value) {
    auto record = decode_record(value);
    secrets.push_back(SecretInfo{std::string(key.substr(prefix.size())), record ? record->updated_at_ms : 0});
    return true;
  });
  if (!scanned) return scanned.error();
  return secrets;
}

Result<bool> SecretStore::remove(const std::string& agent_id, const std::string& name) {
  if (!is_valid_secret_name(name)) return false;
  std::lock_guard write(write_mutex_);
  auto stored = db_.get(record_key(agent_id, name));
  if (!stored) return stored.error();
  if (!*stored) return false;
  if (auto removed = db_.remove(record_key(agent_id, name)); !removed) return removed.error();
  return true;
}

Status SecretStore::remove_agent(const std::string& agent_id) {
  std::lock_guard write(write_mutex_);  // so a rotation cannot put back a record removed here
  auto secrets = list(agent_id);
  if (!secrets) return secrets.error();
  for (const auto& secret : *secrets) {
    if (auto removed = db_.remove(record_key(agent_id, secret.name)); !removed) return removed;
  }
  return Ok{};
}

Result<size_t> SecretStore::rotate(std::vector<SecretKey> keys) {
  if (keys.empty()) return Error{"CONFIG", "no key to rotate to"};
  SecretKey current = keys.front();
  {
    // Under write_mutex_ too: a set() that picked the old key has put its record by now, so the
    // scan below sees it (see set()).
    std::lock_guard write(write_mutex_);
    std::lock_guard lock(mutex_);
    keys_ = std::move(keys);
  }
  // Collect first, rewrite after: the scan must not see its own writes.
  std::vector<std::pair<std::string, std::string>> stale;
  auto scanned = db_.scan_prefix(kPrefix, [&](std::string_view key, std::string_view value) {
    auto record = decode_record(value);
    if (record && record->key_id != current.id) stale.emplace_back(std::string(key), std::string(value));
    return true;
  });
  if (!scanned) return scanned.error();
  size_t rewritten = 0;
  for (const auto& [key, value] : stale) {
    std::string_view rest = std::string_view(key).substr(kPrefix.size());
    size_t slash = rest.find('/');
    std::string agent_id(rest.substr(0, slash)), name(rest.substr(slash + 1));
    auto record = decode_record(value);
    auto old_key = key_for(record->key_id);
    auto plaintext = old_key ? aead_open(old_key->bytes, record->box, associated_data(agent_id, name)) : std::nullopt;
    if (!plaintext) return Error{"SECRET_UNREADABLE", "a secret of agent " + agent_id + " cannot be decrypted for rotation"};
    std::string box = aead_seal(current.bytes, *plaintext, associated_data(agent_id, name));
    std::lock_guard write(write_mutex_);
    auto now = db_.get(key);
    if (!now) return now.error();
    if (!*now || **now != value) continue;  // set or deleted meanwhile: that write stands
    if (auto put = db_.put(key, encode_record(current, record->updated_at_ms, box)); !put) return put.error();
    ++rewritten;
  }
  return rewritten;
}

}  // namespace agentgate
