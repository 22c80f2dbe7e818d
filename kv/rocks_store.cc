#include "kv/rocks_store.h"

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include <chrono>
#include <vector>

#include "common/log.h"
#include "kv/encoding.h"

namespace agentgate {
namespace {

constexpr const char* kKvFamily = "kv";
constexpr const char* kConsoleFamily = "console";

Error unavailable(const rocksdb::Status& status, std::string_view what) { return storage_error(what, status.ToString()); }

rocksdb::WriteOptions synced() {
  rocksdb::WriteOptions options;
  options.sync = true;
  return options;
}

rocksdb::Slice slice(std::string_view text) { return rocksdb::Slice(text.data(), text.size()); }

// TTL reclamation happens here, off the request path: reads already treat expired values as absent.
class ExpiryFilter final : public rocksdb::CompactionFilter {
 public:
  explicit ExpiryFilter(WallClock clock) : clock_(std::move(clock)) {}
  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*, bool*) const override {
    auto expiry = kv_encoding::stored_expiry(value.ToStringView());
    return expiry && kv_encoding::expired(*expiry, clock_());
  }
  const char* Name() const override { return "agentgate.kv.expiry"; }

 private:
  WallClock clock_;
};

}  // namespace

WallClock system_wall_clock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

Error storage_error(std::string_view what, const std::string& detail) {
  log::error("storage ", what, " failed: ", detail);
  return Error{"KV_UNAVAILABLE", "storage " + std::string(what) + " failed"};
}

RocksStore::~RocksStore() {
  if (db_ && kv_family_) db_->DestroyColumnFamilyHandle(kv_family_);
  if (db_ && console_family_) db_->DestroyColumnFamilyHandle(console_family_);
  if (db_ && default_family_) db_->DestroyColumnFamilyHandle(default_family_);
}

Result<std::unique_ptr<RocksStore>> RocksStore::open(const std::string& directory, WallClock clock) {
  std::unique_ptr<RocksStore> store(new RocksStore());
  store->expiry_filter_ = std::make_unique<ExpiryFilter>(std::move(clock));

  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  rocksdb::ColumnFamilyOptions kv_options;
  kv_options.compaction_filter = store->expiry_filter_.get();
  // Most reads are point lookups of keys that may not exist (a session id from a stale cookie):
  // a bloom filter answers those without reading data blocks.
  rocksdb::BlockBasedTableOptions table_options;
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  kv_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {kKvFamily, kv_options},
      {kConsoleFamily, rocksdb::ColumnFamilyOptions()},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(options, directory, families, &handles, &raw);
  if (!status.ok()) {
    return Error{"KV_UNAVAILABLE", "cannot open the database in " + directory + ": " + status.ToString()};
  }
  store->db_.reset(raw);
  store->default_family_ = handles[0];
  store->kv_family_ = handles[1];
  store->console_family_ = handles[2];
  return store;
}

Status RocksStore::put(std::string_view key, std::string_view value) {
  auto status = db_->Put(synced(), default_family_, slice(key), slice(value));
  if (!status.ok()) return unavailable(status, "write");
  return Ok{};
}

Status RocksStore::remove(std::string_view key) {
  auto status = db_->Delete(synced(), default_family_, slice(key));
  if (!status.ok()) return unavailable(status, "delete");
  return Ok{};
}

Result<std::optional<std::string>> RocksStore::get(std::string_view key) {
  std::string value;
  auto status = db_->Get(rocksdb::ReadOptions(), default_family_, slice(key), &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return unavailable(status, "read");
  return std::optional<std::string>(std::move(value));
}

Status RocksStore::scan_prefix(std::string_view prefix,
                               const std::function<bool(std::string_view, std::string_view)>& visit) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), default_family_));
  rocksdb::Slice start = slice(prefix);
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    if (!visit(it->key().ToStringView(), it->value().ToStringView())) break;
  }
  if (!it->status().ok()) return unavailable(it->status(), "scan");
  return Ok{};
}

Status RocksStore::compact_kv() {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  auto status = db_->CompactRange(options, kv_family_, nullptr, nullptr);
  if (!status.ok()) return unavailable(status, "compaction");
  return Ok{};
}

}  // namespace agentgate
