#pragma once
// The embedded RocksDB database under --data-dir. Thread-safe (RocksDB is); every write is synced
// to the WAL before it returns, so an acknowledged write survives a crash.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace rocksdb {
class DB;
}

namespace agentgate {

class RocksStore {
 public:
  // Opens (creating if needed) the database in `directory`. Fails with KV_UNAVAILABLE.
  static Result<std::unique_ptr<RocksStore>> open(const std::string& directory);
  ~RocksStore();
  RocksStore(const RocksStore&) = delete;
  RocksStore& operator=(const RocksStore&) = delete;

  Status put(std::string_view key, std::string_view value);
  Status remove(std::string_view key);
  Result<std::optional<std::string>> get(std::string_view key);
  // Calls `visit` for each key starting with `prefix`, in byte order, until it returns false.
  Status scan_prefix(std::string_view prefix, const std::function<bool(std::string_view, std::string_view)>& visit);

 private:
  explicit RocksStore(std::unique_ptr<rocksdb::DB> db);
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace agentgate
