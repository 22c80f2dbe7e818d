#include "kv/rocks_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include "common/log.h"

namespace agentgate {
namespace {

Error unavailable(const rocksdb::Status& status, std::string_view what) {
  // The RocksDB message can name files of the data dir: log it, return a generic error.
  log::error("rocksdb ", what, " failed: ", status.ToString());
  return Error{"KV_UNAVAILABLE", "storage " + std::string(what) + " failed"};
}

rocksdb::WriteOptions synced() {
  rocksdb::WriteOptions options;
  options.sync = true;
  return options;
}

}  // namespace

RocksStore::RocksStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
RocksStore::~RocksStore() = default;

Result<std::unique_ptr<RocksStore>> RocksStore::open(const std::string& directory) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(options, directory, &raw);
  if (!status.ok()) {
    return Error{"KV_UNAVAILABLE", "cannot open the database in " + directory + ": " + status.ToString()};
  }
  return std::unique_ptr<RocksStore>(new RocksStore(std::unique_ptr<rocksdb::DB>(raw)));
}

Status RocksStore::put(std::string_view key, std::string_view value) {
  auto status = db_->Put(synced(), rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
  if (!status.ok()) return unavailable(status, "write");
  return Ok{};
}

Status RocksStore::remove(std::string_view key) {
  auto status = db_->Delete(synced(), rocksdb::Slice(key.data(), key.size()));
  if (!status.ok()) return unavailable(status, "delete");
  return Ok{};
}

Result<std::optional<std::string>> RocksStore::get(std::string_view key) {
  std::string value;
  auto status = db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return unavailable(status, "read");
  return std::optional<std::string>(std::move(value));
}

Status RocksStore::scan_prefix(std::string_view prefix,
                               const std::function<bool(std::string_view, std::string_view)>& visit) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  rocksdb::Slice start(prefix.data(), prefix.size());
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    if (!visit(it->key().ToStringView(), it->value().ToStringView())) break;
  }
  if (!it->status().ok()) return unavailable(it->status(), "scan");
  return Ok{};
}

}  // namespace agentgate
