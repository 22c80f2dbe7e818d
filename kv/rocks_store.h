#pragma once
// The embedded RocksDB database under --data-dir. Three column families: "default" holds the
// control plane (deployed agents, see deploy/agent_store.h), "kv" holds ctx.kv data, whose expired
// values a compaction filter drops, and "console" the agents' owner consoles (kv/console_log.h). Thread-safe (RocksDB is); every write here is synced to the WAL
// before it returns, so an acknowledged write survives a crash.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "kv/kv_store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class CompactionFilter;
}  // namespace rocksdb

namespace agentgate {

class RocksStore {
 public:
  // Opens (creating if needed) the database in `directory`. `clock` decides which kv values the
  // compaction filter considers expired. Fails with KV_UNAVAILABLE.
  static Result<std::unique_ptr<RocksStore>> open(const std::string& directory, WallClock clock = system_wall_clock());
  ~RocksStore();
  RocksStore(const RocksStore&) = delete;
  RocksStore& operator=(const RocksStore&) = delete;

  // The default column family.
  Status put(std::string_view key, std::string_view value);
  Status remove(std::string_view key);
  Result<std::optional<std::string>> get(std::string_view key);
  // Calls `visit` for each key starting with `prefix`, in byte order, until it returns false.
  Status scan_prefix(std::string_view prefix, const std::function<bool(std::string_view, std::string_view)>& visit);

  // For RocksKvStore, the kv column family's owner.
  rocksdb::DB& db() { return *db_; }
  rocksdb::ColumnFamilyHandle& kv_family() { return *kv_family_; }
  rocksdb::ColumnFamilyHandle& console_family() { return *console_family_; }
  // Runs a full compaction of the kv column family now (tests; operators after mass expiry).
  Status compact_kv();

 private:
  RocksStore() = default;

  // Declared first so it outlives the DB, which calls it during compactions.
  std::unique_ptr<rocksdb::CompactionFilter> expiry_filter_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* default_family_ = nullptr;  // owned by db_
  rocksdb::ColumnFamilyHandle* kv_family_ = nullptr;       // released before db_ closes
  rocksdb::ColumnFamilyHandle* console_family_ = nullptr;  // released before db_ closes
};

// The first key after every key that starts with `prefix`: the end of a DeleteRange over the prefix.
// `prefix` must hold a byte other than 0xff (an agent id always does).
std::string prefix_end(std::string_view prefix);

// RocksDB's error text can name files of the data dir: log it, return a generic KV_UNAVAILABLE.
Error storage_error(std::string_view what, const std::string& detail);

}  // namespace agentgate
