#include "kv/rocks_kv_store.h"

#include <rocksdb/db.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <future>
#include <unordered_map>

#include "common/log.h"
#include "common/thread_name.h"
#include "kv/encoding.h"

namespace agentgate {
namespace {

// A list call stops after looking at this many expired entries per requested item, so a prefix full
// of not-yet-compacted expired keys cannot make one call scan without bound.
constexpr size_t kExpiredScanFactor = 16;

rocksdb::Slice slice(std::string_view text) { return rocksdb::Slice(text.data(), text.size()); }

Error unavailable(std::string_view what, const rocksdb::Status& status) { return storage_error(what, status.ToString()); }

// RocksDB counts every operation in a per-thread perf context by default, which we never read;
// each count is a call through the shared library's dynamic TLS. Off for each thread that calls
// in (measured in-process: about 0.3 us of a session read's 12 us).
void stop_perf_counting_on_this_thread() {
  static thread_local bool stopped = (rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable), true);
  (void)stopped;
}

}  // namespace

RocksKvStore::RocksKvStore(RocksStore& db, WallClock clock)
    : db_(db), clock_(std::move(clock)), writer_([this] { writer_loop(); }) {}

RocksKvStore::~RocksKvStore() { close(); }

void RocksKvStore::close() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
}

uint64_t RocksKvStore::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

std::optional<Result<std::optional<KvValue>>> RocksKvStore::get_now(const KvKey& key) {
  using Answer = Result<std::optional<KvValue>>;
  static const rocksdb::ReadOptions kPointRead;  // built once: a ReadOptions is some twenty fields
  stop_perf_counting_on_this_thread();
  rocksdb::PinnableSlice stored;  // points into the memtable or block cache: one copy, in decode_value
  auto status = db_.db().Get(kPointRead, &db_.kv_family(),
                             slice(kv_encoding::encode_key(key.agent_id, key.user_id, key.key)), &stored);
  if (status.IsNotFound()) return Answer(std::optional<KvValue>());
  if (!status.ok()) return Answer(unavailable("read", status));
  auto value = kv_encoding::decode_value(stored.ToStringView());
  if (!value) return Answer(storage_error("read", "undecodable kv value"));
  if (kv_encoding::expired(value->expires_at_ms, clock_())) return Answer(std::optional<KvValue>());
  return Answer(std::move(value));
}

void RocksKvStore::get(KvKey key, Callback<std::optional<KvValue>> done) { done(std::move(*get_now(key))); }

void RocksKvStore::list(KvListQuery query, Callback<KvPage> done) {
  std::string bound = kv_encoding::encode_key(query.agent_id, query.user_id, query.prefix);
  std::string start = query.start_after ? kv_encoding::encode_key(query.agent_id, query.user_id, *query.start_after) : bound;
  int64_t now = clock_();
  const size_t limit = std::max<size_t>(query.limit, 1);  // 0 would end the page before any item
  size_t expired_budget = kExpiredScanFactor * limit;
  size_t user_key_offset = bound.size() - query.prefix.size();

  KvPage page;
  size_t page_bytes = 0;
  size_t undecodable = 0;
  stop_perf_counting_on_this_thread();
  std::unique_ptr<rocksdb::Iterator> it(db_.db().NewIterator(rocksdb::ReadOptions(), &db_.kv_family()));
  it->Seek(slice(start));
  if (query.start_after && it->Valid() && it->key() == slice(start)) it->Next();
  for (; it->Valid() && it->key().starts_with(slice(bound)); it->Next()) {
    std::string_view stored_key = it->key().ToStringView();
    std::string user_key(stored_key.substr(user_key_offset));
    if (page.items.size() == limit || page_bytes >= query.max_bytes) {
      page.next_after = page.items.back().key;
      break;
    }
    auto value = kv_encoding::decode_value(it->value().ToStringView());
    if (!value) ++undecodable;
    if (!value || kv_encoding::expired(value->expires_at_ms, now)) {
      if (--expired_budget == 0) {
        page.next_after = std::move(user_key);
        break;
      }
      continue;
    }
    page_bytes += user_key.size() + value->bytes.size();
    page.items.push_back(KvItem{std::move(user_key), std::move(*value)});
  }
  // Skipped like expired entries, so one damaged value does not hide the rest of a page; get
  // answers KV_UNAVAILABLE for it. The operator hears of it here.
  if (undecodable > 0) log::error("storage scan skipped ", undecodable, " undecodable kv values; the database may be damaged");
  if (!it->status().ok()) return done(unavailable("scan", it->status()));
  done(std::move(page));
}

void RocksKvStore::put(KvKey key, KvValue value, Callback<Ok> done) {
  enqueue(Mutation{Mutation::Kind::kPut, kv_encoding::encode_key(key.agent_id, key.user_id, key.key),
                   kv_encoding::encode_value(value), key.agent_epoch,
                   [done = std::move(done)](Result<std::optional<KvValue>> result) {
                     if (!result) return done(result.error());
                     done(Ok{});
                   }});
}

void RocksKvStore::remove(KvKey key, Callback<bool> done) {
  enqueue(Mutation{Mutation::Kind::kRemove, kv_encoding::encode_key(key.agent_id, key.user_id, key.key), {},
                   key.agent_epoch, [done = std::move(done)](Result<std::optional<KvValue>> result) {
                     if (!result) return done(result.error());
                     done(result->has_value());
                   }});
}

void RocksKvStore::take(KvKey key, Callback<std::optional<KvValue>> done) {
  enqueue(Mutation{Mutation::Kind::kTake, kv_encoding::encode_key(key.agent_id, key.user_id, key.key), {},
                   key.agent_epoch, std::move(done)});
}

Status RocksKvStore::remove_agent(const std::string& agent_id, int64_t fence) {
  std::promise<Status> removed;
  auto future = removed.get_future();
  enqueue(Mutation{Mutation::Kind::kRemoveAgent, kv_encoding::agent_prefix(agent_id), {}, fence,
                   [&removed](Result<std::optional<KvValue>> result) {
                     removed.set_value(result ? Status(Ok{}) : Status(result.error()));
                   }});
  return future.get();
}

void RocksKvStore::enqueue(Mutation mutation) {
  {
    std::lock_guard lock(mutex_);
    if (!closing_) {
      queue_.push_back(std::move(mutation));
      if (queue_.size() == 1) wake_.notify_one();
      return;
    }
  }
  mutation.done(Error{"KV_UNAVAILABLE", "storage is shutting down"});
}

void RocksKvStore::writer_loop() {
  name_this_thread("kv-writer");
  stop_perf_counting_on_this_thread();
  std::vector<Mutation> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing, and everything committed
      batch.swap(queue_);
    }
    commit(batch);
    batch.clear();
  }
}

void RocksKvStore::commit(std::vector<Mutation>& batch) {
  rocksdb::WriteBatch writes;
  // What this batch has already written, so later mutations of the same key see it.
  std::unordered_map<std::string_view, std::optional<std::string_view>> written;
  std::vector<Result<std::optional<KvValue>>> results;
  results.reserve(batch.size());
  // Agents whose data this batch deletes: what the database holds for them is gone for the
  // mutations that follow in the batch.
  std::vector<std::string_view> removed_agents;
  auto removed_in_batch = [&](std::string_view stored_key) {
    return std::any_of(removed_agents.begin(), removed_agents.end(),
                       [&](std::string_view agent) { return stored_key.starts_with(agent); });
  };
  int64_t now = clock_();
  std::string stored;
  for (Mutation& mutation : batch) {
    if (mutation.kind == Mutation::Kind::kRemoveAgent) {
      std::string_view agent = mutation.stored_key;
      writes.DeleteRange(&db_.kv_family(), slice(agent), slice(prefix_end(agent)));
      std::erase_if(written, [&](const auto& entry) { return entry.first.starts_with(agent); });
      removed_agents.push_back(agent);
      if (mutation.epoch > 0) fences_[mutation.stored_key] = std::max(fences_[mutation.stored_key], mutation.epoch);
      results.emplace_back(std::optional<KvValue>());
      continue;
    }
    if (mutation.epoch > 0) {
      auto fence = fences_.find(std::string(mutation.stored_key.substr(0, kv_encoding::kAgentIdBytes)));
      if (fence != fences_.end() && mutation.epoch <= fence->second) {
        results.emplace_back(Error{"KV_UNAVAILABLE", "this agent was deleted while the request was running"});
        continue;
      }
    }
    if (mutation.kind == Mutation::Kind::kPut) {
      writes.Put(&db_.kv_family(), slice(mutation.stored_key), slice(mutation.stored_value));
      written[mutation.stored_key] = mutation.stored_value;
      results.emplace_back(std::optional<KvValue>());
      continue;
    }
    std::optional<KvValue> previous;
    if (auto earlier = written.find(mutation.stored_key); earlier != written.end()) {
      if (earlier->second) previous = kv_encoding::decode_value(*earlier->second);
    } else if (!removed_in_batch(mutation.stored_key)) {
      auto status = db_.db().Get(rocksdb::ReadOptions(), &db_.kv_family(), slice(mutation.stored_key), &stored);
      if (!status.ok() && !status.IsNotFound()) {
        results.emplace_back(unavailable("read", status));
        continue;
      }
      if (status.ok()) previous = kv_encoding::decode_value(stored);
    }
    if (previous && kv_encoding::expired(previous->expires_at_ms, now)) previous.reset();
    writes.Delete(&db_.kv_family(), slice(mutation.stored_key));
    written[mutation.stored_key] = std::nullopt;
    results.emplace_back(std::move(previous));
  }
  rocksdb::WriteOptions options;
  options.sync = true;
  auto status = db_.db().Write(options, &writes);
  {
    std::lock_guard lock(mutex_);
    ++commits_;
  }
  std::optional<Error> failure;
  if (!status.ok()) failure = unavailable("write", status);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (failure) {
      batch[i].done(*failure);
    } else {
      batch[i].done(std::move(results[i]));
    }
  }
}

}  // namespace agentgate
