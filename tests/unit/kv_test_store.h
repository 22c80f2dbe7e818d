#pragma once
// Test helpers shared by the ctx.kv unit tests: a temporary data directory, a clock the test moves,
// a real RocksStore + RocksKvStore on them, and blocking wrappers around the callback API.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include "kv/rocks_kv_store.h"
#include "kv/rocks_store.h"

namespace agentgate::testing {

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("agentgate-kv-test-" + std::to_string(random()) + "-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Wall time (unix ms) that only moves when the test says so. Read from the writer and compaction
// threads, hence atomic.
class ManualWallClock {
 public:
  static constexpr int64_t kStart = 1'700'000'000'000;
  WallClock clock() {
    return [this] { return now_.load(); };
  }
  int64_t now() const { return now_.load(); }
  void advance_ms(int64_t ms) { now_ += ms; }

 private:
  std::atomic<int64_t> now_{kStart};
};

// The database and the KvStore on it, both judging expiry by `clock`. reopen() closes and opens
// the same directory again (what a server restart does).
class TestKvStore {
 public:
  TestKvStore(const std::string& directory, ManualWallClock& clock) : directory_(directory), clock_(clock) { open(); }
  ~TestKvStore() { shut(); }

  RocksKvStore& kv() { return *kv_; }
  RocksStore& db() { return *db_; }
  void reopen() {
    shut();
    open();
  }

 private:
  void open() {
    auto opened = RocksStore::open(directory_, clock_.clock());
    if (!opened) throw std::runtime_error("cannot open the test database: " + opened.error().message);
    db_ = std::move(opened.value());
    kv_ = std::make_unique<RocksKvStore>(*db_, clock_.clock());
  }
  void shut() {
    kv_.reset();
    db_.reset();
  }

  std::string directory_;
  ManualWallClock& clock_;
  std::unique_ptr<RocksStore> db_;
  std::unique_ptr<RocksKvStore> kv_;
};

// Holds the writer thread inside the callback of a first write, so that everything the test enqueues
// meanwhile is queued together: what a slow fsync under load does, made deterministic.
class WriterGate {
 public:
  explicit WriterGate(RocksKvStore& kv) {
    std::promise<void> entered;
    auto entered_future = entered.get_future();
    kv.put(KvKey{"00000000-0000-4000-8000-000000000000", "writer-gate", "gate"}, KvValue{"gate", 0},
           [entered = std::make_shared<std::promise<void>>(std::move(entered)), released = released_](Status) {
             entered->set_value();
             released.wait();
           });
    entered_future.wait();
  }
  ~WriterGate() { open(); }
  void open() {
    if (!opened_) release_.set_value();
    opened_ = true;
  }

 private:
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
  bool opened_ = false;
};

// Starts an operation with a callback and waits for its one result (callbacks may run on any thread).
template <class T, class Start>
Result<T> wait_for(Start start) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  start([promise](Result<T> result) { promise->set_value(std::move(result)); });
  return future.get();
}

inline Result<std::optional<KvValue>> get_now(KvStore& store, KvKey key) {
  return wait_for<std::optional<KvValue>>([&](auto done) { store.get(std::move(key), std::move(done)); });
}
inline Status put_now(KvStore& store, KvKey key, KvValue value) {
  return wait_for<Ok>([&](auto done) { store.put(std::move(key), std::move(value), std::move(done)); });
}
inline Result<bool> remove_now(KvStore& store, KvKey key) {
  return wait_for<bool>([&](auto done) { store.remove(std::move(key), std::move(done)); });
}
inline Result<std::optional<KvValue>> take_now(KvStore& store, KvKey key) {
  return wait_for<std::optional<KvValue>>([&](auto done) { store.take(std::move(key), std::move(done)); });
}
inline Result<KvPage> list_now(KvStore& store, KvListQuery query) {
  return wait_for<KvPage>([&](auto done) { store.list(std::move(query), std::move(done)); });
}

}  // namespace agentgate::testing
