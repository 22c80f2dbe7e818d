#pragma once
// KvStore on the embedded RocksDB (the kv column family of RocksStore).
//
// Reads run on the caller's thread: a point lookup or a short scan costs microseconds, less than a
// thread hop. Writes (put, remove, take) go to one writer thread, which is what makes them both
// atomic and fast: it applies every mutation queued since its last commit in order (so a take sees
// and deletes exactly the value that was there; of N racing takes one wins), writes them as one
// WriteBatch with a single synced WAL write (group commit: one fsync covers the whole batch), and
// only then calls their callbacks. Under load, batches grow and fsyncs per write fall.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "kv/kv_store.h"
#include "kv/rocks_store.h"

namespace agentgate {

class RocksKvStore final : public KvStore {
 public:
  RocksKvStore(RocksStore& db, WallClock clock = system_wall_clock());
  // Commits what is queued, then stops the writer (close()).
  ~RocksKvStore() override;
  RocksKvStore(const RocksKvStore&) = delete;
  RocksKvStore& operator=(const RocksKvStore&) = delete;

  void get(KvKey key, Callback<std::optional<KvValue>> done) override;
  std::optional<Result<std::optional<KvValue>>> get_now(const KvKey& key) override;
  void list(KvListQuery query, Callback<KvPage> done) override;
  void put(KvKey key, KvValue value, Callback<Ok> done) override;
  void remove(KvKey key, Callback<bool> done) override;
  void take(KvKey key, Callback<std::optional<KvValue>> done) override;
  // Goes through the writer like any write (a DeleteRange in its batch) and waits for the commit.
  Status remove_agent(const std::string& agent_id, int64_t fence) override;
  using KvStore::remove_agent;
  int64_t now_ms() override { return clock_(); }

  // Commits every queued write, calls its callback, and stops the writer thread; later writes fail
  // with KV_UNAVAILABLE. The server calls this once its workers have stopped, while the event loops
  // the callbacks post to still exist.
  void close();

  // Commits so far (batches), for tests and benchmarks of group commit.
  uint64_t commits() const;

 private:
  struct Mutation {
    enum class Kind { kPut, kRemove, kTake, kRemoveAgent } kind;
    std::string stored_key;    // kRemoveAgent: the agent id
    std::string stored_value;  // kPut
    int64_t epoch = 0;         // KvKey::agent_epoch; kRemoveAgent: the fence
    // The live value the key held before this mutation (kRemove, kTake).
    Callback<std::optional<KvValue>> done;
  };
  void enqueue(Mutation mutation);
  void writer_loop();
  void commit(std::vector<Mutation>& batch);

  RocksStore& db_;
  WallClock clock_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Mutation> queue_;
  bool closing_ = false;
  uint64_t commits_ = 0;
  // Deleted agent id -> the highest fence it was removed with. Writer thread only.
  std::unordered_map<std::string, int64_t> fences_;
  std::thread writer_;
};

}  // namespace agentgate
