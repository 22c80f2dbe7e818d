// RocksKvStore (kv/rocks_kv_store.h) on a real RocksDB in a temporary directory: the five
// operations, TTL judged by a clock the test moves, reclamation by the compaction filter, atomic
// take, group commit, list paging, per-agent deletion, and durability across reopening.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kv/encoding.h"
#include "tests/unit/kv_test_store.h"
#include "tests/unit/outcome_text.h"

namespace agentgate::testing {
namespace {

using namespace std::string_literals;

const std::string kAgent = "11111111-2222-4333-8444-555555555555";
const std::string kNextAgent = "11111111-2222-4333-8444-555555555556";
const std::string kPreviousAgent = "11111111-2222-4333-8444-555555555554";

KvKey key_of(std::string key, std::string user_id = "user-1", std::string agent_id = kAgent) {
  return KvKey{std::move(agent_id), std::move(user_id), std::move(key)};
}

// What a read returns, as one comparable line: "absent", "<bytes>" or "<bytes> until <ms>", or the error code.
std::string text_of(const Result<std::optional<KvValue>>& read) {
  if (!read) return "error " + read.error().code;
  if (!read.value()) return "absent";
  std::string text = escaped(read.value()->bytes);
  if (read.value()->expires_at_ms != 0) text += " until " + std::to_string(read.value()->expires_at_ms);
  return text;
}

std::vector<std::string> keys_of(const KvPage& page) {
  std::vector<std::string> keys;
  for (const auto& item : page.items) keys.push_back(item.key);
  return keys;
}

class RocksKvFixture : public ::testing::Test {
 protected:
  RocksKvStore& kv() { return store_.kv(); }
  int64_t now() const { return clock_.now(); }
  void put(KvKey key, std::string bytes, int64_t expires_at_ms = 0) {
    auto status = put_now(kv(), std::move(key), KvValue{std::move(bytes), expires_at_ms});
    ASSERT_TRUE(status) << status.error().message;
  }
  std::string get(KvKey key) { return text_of(get_now(kv(), std::move(key))); }

  // Every key physically present in the kv column family, expired or not.
  std::vector<std::string> raw_kv_keys() {
    std::vector<std::string> keys;
    std::unique_ptr<rocksdb::Iterator> it(store_.db().db().NewIterator(rocksdb::ReadOptions(), &store_.db().kv_family()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return keys;
  }

  // Pages through a whole listing, following cursors; fails the test instead of looping forever.
  std::vector<std::string> list_all(KvListQuery query, size_t* pages = nullptr) {
    std::vector<std::string> keys;
    for (size_t page_count = 1; page_count <= 1000; ++page_count) {
      auto page = list_now(kv(), query);
      EXPECT_TRUE(page) << page.error().message;
      if (!page) break;
      EXPECT_LE(page->items.size(), query.limit);
      for (auto& key : keys_of(*page)) keys.push_back(key);
      if (pages) *pages = page_count;
      if (!page->next_after) return keys;
      query.start_after = page->next_after;
    }
    ADD_FAILURE() << "listing did not end";
    return keys;
  }

  TempDir dir_;
  ManualWallClock clock_;
  TestKvStore store_{dir_.path(), clock_};
};

// ---- the five operations -------------------------------------------------------------------------------

using KvRocksOperations = RocksKvFixture;

TEST_F(KvRocksOperations, GetOfAMissingKeyIsAbsent) { EXPECT_EQ(get(key_of("nothing")), "absent"); }

TEST_F(KvRocksOperations, GetReturnsWhatWasPut) {
  put(key_of("session"), "\0payload\xff"s, now() + 5000);
  EXPECT_EQ(get(key_of("session")), "\\x00payload\\xff until " + std::to_string(now() + 5000));
}

// The synchronous read the binding uses on the request path: RocksDB always answers it, the same as get().
TEST_F(KvRocksOperations, GetNowAnswersAtOnceWhatGetAnswers) {
  put(key_of("session"), "payload", now() + 5000);
  auto present = kv().get_now(key_of("session"));
  ASSERT_TRUE(present.has_value());
  EXPECT_EQ(text_of(*present), "payload until " + std::to_string(now() + 5000));
  EXPECT_EQ(text_of(*present), get(key_of("session")));
  auto missing = kv().get_now(key_of("nothing"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(text_of(*missing), "absent");
  auto other_user = kv().get_now(key_of("session", "user-2"));
  ASSERT_TRUE(other_user.has_value());
  EXPECT_EQ(text_of(*other_user), "absent");
}

TEST_F(KvRocksOperations, PutReplacesTheValue) {
  put(key_of("k"), "first", now() + 5000);
  put(key_of("k"), "second");
  EXPECT_EQ(get(key_of("k")), "second");
}

TEST_F(KvRocksOperations, DeleteOfAMissingKeyReturnsFalse) { EXPECT_EQ(remove_now(kv(), key_of("nothing")).value(), false); }

TEST_F(KvRocksOperations, DeleteOfAStoredKeyReturnsTrue) {
  put(key_of("k"), "v");
  EXPECT_EQ(remove_now(kv(), key_of("k")).value(), true);
}

TEST_F(KvRocksOperations, DeleteRemovesTheValue) {
  put(key_of("k"), "v");
  ASSERT_TRUE(remove_now(kv(), key_of("k")));
  EXPECT_EQ(get(key_of("k")), "absent");
}

TEST_F(KvRocksOperations, SecondDeleteReturnsFalse) {
  put(key_of("k"), "v");
  ASSERT_TRUE(remove_now(kv(), key_of("k")));
  EXPECT_EQ(remove_now(kv(), key_of("k")).value(), false);
}

TEST_F(KvRocksOperations, TakeReturnsTheValueThenAbsent) {
  put(key_of("k"), "v");
  std::string first = text_of(take_now(kv(), key_of("k")));
  std::string second = text_of(take_now(kv(), key_of("k")));
  EXPECT_EQ(first + ", " + second, "v, absent");
}

TEST_F(KvRocksOperations, TakeRemovesTheValue) {
  put(key_of("k"), "v");
  ASSERT_TRUE(take_now(kv(), key_of("k")));
  EXPECT_EQ(get(key_of("k")), "absent");
}

TEST_F(KvRocksOperations, OtherUsersAndAgentsHaveTheirOwnValues) {
  put(key_of("k", "user-1", kAgent), "agent user-1");
  put(key_of("k", "user-2", kAgent), "agent user-2");
  put(key_of("k", "user-1", kNextAgent), "next agent user-1");
  EXPECT_EQ(get(key_of("k", "user-1", kAgent)) + ", " + get(key_of("k", "user-2", kAgent)) + ", " +
                get(key_of("k", "user-1", kNextAgent)) + ", " + get(key_of("k", "user-2", kNextAgent)),
            "agent user-1, agent user-2, next agent user-1, absent");
}

TEST_F(KvRocksOperations, ValueThisFormatDidNotWriteReadsAsUnavailable) {
  std::string stored_key = kv_encoding::encode_key(kAgent, "user-1", "damaged");
  ASSERT_TRUE(store_.db().db().Put(rocksdb::WriteOptions(), &store_.db().kv_family(), stored_key, "\x07junk").ok());
  EXPECT_EQ(get(key_of("damaged")), "error KV_UNAVAILABLE");
}

// ---- TTL ----------------------------------------------------------------------------------------------

using KvRocksTtl = RocksKvFixture;

TEST_F(KvRocksTtl, LiveUntilItsExpiry) {
  put(key_of("k"), "v", now() + 1000);
  clock_.advance_ms(999);
  EXPECT_EQ(get(key_of("k")), "v until " + std::to_string(now() + 1));
}

TEST_F(KvRocksTtl, GetOfAnExpiredValueIsAbsent) {
  put(key_of("k"), "v", now() + 1000);
  clock_.advance_ms(1000);
  EXPECT_EQ(get(key_of("k")), "absent");
}

TEST_F(KvRocksTtl, GetNowOfAnExpiredValueIsAbsent) {
  put(key_of("k"), "v", now() + 1000);
  clock_.advance_ms(1000);
  auto read = kv().get_now(key_of("k"));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(text_of(*read), "absent");
}

TEST_F(KvRocksTtl, TakeOfAnExpiredValueIsAbsent) {
  put(key_of("k"), "v", now() + 1000);
  clock_.advance_ms(1000);
  EXPECT_EQ(text_of(take_now(kv(), key_of("k"))), "absent");
}

TEST_F(KvRocksTtl, DeleteOfAnExpiredValueReturnsFalse) {
  put(key_of("k"), "v", now() + 1000);
  clock_.advance_ms(1000);
  EXPECT_EQ(remove_now(kv(), key_of("k")).value(), false);
}

TEST_F(KvRocksTtl, ListSkipsExpiredValues) {
  put(key_of("a"), "v", now() + 1000);
  put(key_of("b"), "v", now() + 2000);
  put(key_of("c"), "v");
  clock_.advance_ms(1000);
  EXPECT_EQ(list_all(KvListQuery{kAgent, "user-1", "", std::nullopt, 10}), (std::vector<std::string>{"b", "c"}));
}

TEST_F(KvRocksTtl, PutOverAnExpiredValueIsLive) {
  put(key_of("k"), "old", now() + 1000);
  clock_.advance_ms(5000);
  put(key_of("k"), "new");
  EXPECT_EQ(get(key_of("k")), "new");
}

TEST_F(KvRocksTtl, CompactionRemovesExpiredEntriesAndKeepsLiveOnes) {
  put(key_of("expired"), "v", now() + 1000);
  put(key_of("later"), "v", now() + 60'000);
  put(key_of("forever"), "v");
  clock_.advance_ms(1000);
  const std::string expired = kv_encoding::encode_key(kAgent, "user-1", "expired");
  std::vector<std::string> before = raw_kv_keys();
  ASSERT_NE(std::find(before.begin(), before.end(), expired), before.end()) << "reads hide it; it is still stored";

  ASSERT_TRUE(store_.db().compact_kv());

  std::vector<std::string> expected = {kv_encoding::encode_key(kAgent, "user-1", "forever"),
                                       kv_encoding::encode_key(kAgent, "user-1", "later")};
  std::vector<std::string> after = raw_kv_keys();
  std::vector<std::string> shown_after, shown_expected;
  for (const auto& key : after) shown_after.push_back(escaped(key));
  for (const auto& key : expected) shown_expected.push_back(escaped(key));
  EXPECT_EQ(shown_after, shown_expected);
}

// ---- concurrency: take, group commit ------------------------------------------------------------------

using KvRocksConcurrency = RocksKvFixture;

TEST_F(KvRocksConcurrency, OfConcurrentTakesExactlyOneGetsTheValue) {
  constexpr int kRounds = 20;
  constexpr int kThreads = 8;
  for (int round = 0; round < kRounds; ++round) {
    const std::string value = "round " + std::to_string(round);
    put(key_of("token"), value);
    std::latch start(kThreads);
    std::mutex mutex;
    std::vector<std::string> results;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        std::string result = text_of(take_now(kv(), key_of("token")));
        std::lock_guard lock(mutex);
        results.push_back(result);
      });
    }
    for (auto& thread : threads) thread.join();
    std::vector<std::string> expected(kThreads - 1, "absent");
    expected.push_back(value);
    std::sort(results.begin(), results.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(results, expected) << "round " << round;
  }
}

TEST_F(KvRocksConcurrency, ConcurrentPutsShareCommitsAndAllSurviveReopening) {
  constexpr int kThreads = 4;
  constexpr int kPutsPerThread = 25;
  constexpr int kWrites = kThreads * kPutsPerThread;
  std::mutex mutex;
  std::condition_variable all_done;
  int done = 0, failed = 0;
  {
    WriterGate gate(kv());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPutsPerThread; ++i) {
          std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
          kv().put(key_of(name), KvValue{"value of " + name, 0}, [&](Status status) {
            std::lock_guard lock(mutex);
            ++done;
            if (!status) ++failed;
            all_done.notify_all();
          });
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }  // the gate opens: the writer commits what queued while it was held
  {
    std::unique_lock lock(mutex);
    all_done.wait(lock, [&] { return done == kWrites; });
  }
  ASSERT_EQ(failed, 0);
  EXPECT_LT(kv().commits(), uint64_t{kWrites});

  store_.reopen();
  int found = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPutsPerThread; ++i) {
      std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
      if (get(key_of(name)) == "value of " + name) ++found;
    }
  }
  EXPECT_EQ(found, kWrites);
}

TEST_F(KvRocksConcurrency, MutationsInOneBatchSeeTheEarlierOnes) {
  put(key_of("stored"), "from an earlier batch");
  std::promise<std::string> took_put, removed_taken, took_stored, removed_missing;
  {
    WriterGate gate(kv());
    kv().put(key_of("k"), KvValue{"one", 0}, [](Status) {});
    kv().take(key_of("k"), [&](auto result) { took_put.set_value(text_of(result)); });
    kv().remove(key_of("k"), [&](Result<bool> result) { removed_taken.set_value(result ? (*result ? "true" : "false") : "error"); });
    kv().put(key_of("k"), KvValue{"two", 0}, [](Status) {});
    kv().take(key_of("stored"), [&](auto result) { took_stored.set_value(text_of(result)); });
    kv().remove(key_of("missing"), [&](Result<bool> result) { removed_missing.set_value(result ? (*result ? "true" : "false") : "error"); });
  }
  std::string results = took_put.get_future().get();
  results += ", " + removed_taken.get_future().get();
  results += ", " + took_stored.get_future().get();
  results += ", " + removed_missing.get_future().get();  // the batch's last callback: it has committed
  results += ", " + get(key_of("k"));
  EXPECT_EQ(results, "one, false, from an earlier batch, false, two");
}

// ---- list -----------------------------------------------------------------------------------------------

using KvRocksList = RocksKvFixture;

TEST_F(KvRocksList, PagesCoverEveryKeyOnceInByteOrder) {
  std::vector<std::string> keys = {"\0"s, "\x01", "0", "A", "a", "a\0"s, "ab", "b", "z\xc3\xa9", "\x7f", "\x80", "\xff", "\xff\xff"};
  for (int i = 0; i < 20; ++i) keys.push_back("item:" + std::to_string(i));
  for (const auto& key : keys) put(key_of(key), "v");
  std::sort(keys.begin(), keys.end());

  size_t pages = 0;
  std::vector<std::string> listed = list_all(KvListQuery{kAgent, "user-1", "", std::nullopt, 4}, &pages);
  std::vector<std::string> shown_listed, shown_keys;
  for (const auto& key : listed) shown_listed.push_back(escaped(key));
  for (const auto& key : keys) shown_keys.push_back(escaped(key));
  EXPECT_EQ(shown_listed, shown_keys);
  EXPECT_EQ(pages, (keys.size() + 3) / 4);
}

TEST_F(KvRocksList, PageEndingAtTheLastKeyHasNoCursor) {
  for (const char* key : {"a", "b", "c", "d"}) put(key_of(key), "v");
  auto page = list_now(kv(), KvListQuery{kAgent, "user-1", "", std::string("b"), 2});
  ASSERT_TRUE(page);
  EXPECT_EQ(keys_of(*page), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(page->next_after, std::nullopt);
}

TEST_F(KvRocksList, PageWithMoreToComeHasTheLastKeyAsCursor) {
  for (const char* key : {"a", "b", "c"}) put(key_of(key), "v");
  auto page = list_now(kv(), KvListQuery{kAgent, "user-1", "", std::nullopt, 2});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->next_after, "b");
}

TEST_F(KvRocksList, APageEndsOnceItsValuesReachTheByteBudget) {
  for (const char* key : {"a", "b", "c", "d", "e"}) put(key_of(key), std::string(100, 'v'));
  KvListQuery query{kAgent, "user-1", "", std::nullopt, 10};
  query.max_bytes = 250;  // a, b and c (the one that crosses it) fit
  auto page = list_now(kv(), query);
  ASSERT_TRUE(page);
  EXPECT_EQ(keys_of(*page), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(page->next_after, "c");
  EXPECT_EQ(list_all(query), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

TEST_F(KvRocksList, AValueLargerThanTheByteBudgetStillMakesAPageOfOne) {
  for (const char* key : {"a", "b"}) put(key_of(key), std::string(1000, 'v'));
  KvListQuery query{kAgent, "user-1", "", std::nullopt, 10};
  query.max_bytes = 10;
  EXPECT_EQ(list_all(query), (std::vector<std::string>{"a", "b"}));
}

TEST_F(KvRocksList, ItemsCarryValuesAndExpiry) {
  put(key_of("a"), "value a", now() + 5000);
  put(key_of("b"), "value b");
  auto page = list_now(kv(), KvListQuery{kAgent, "user-1", "", std::nullopt, 10});
  ASSERT_TRUE(page);
  std::string shown;
  for (const auto& item : page->items) shown += item.key + "=" + item.value.bytes + "@" + std::to_string(item.value.expires_at_ms) + " ";
  EXPECT_EQ(shown, "a=value a@" + std::to_string(now() + 5000) + " b=value b@0 ");
}

TEST_F(KvRocksList, PrefixBoundsTheListing) {
  for (const char* key : {"`", "a", "a/1", "a/2", "a0", "ab", "b", "a\xff"}) put(key_of(key), "v");
  EXPECT_EQ(list_all(KvListQuery{kAgent, "user-1", "a/", std::nullopt, 2}), (std::vector<std::string>{"a/1", "a/2"}));
}

TEST_F(KvRocksList, PrefixThatIsAKeyIncludesIt) {
  for (const char* key : {"`", "a", "a/1", "ab", "b", "a\xff"}) put(key_of(key), "v");
  EXPECT_EQ(list_all(KvListQuery{kAgent, "user-1", "a", std::nullopt, 2}),
            (std::vector<std::string>{"a", "a/1", "ab", "a\xff"}));
}

TEST_F(KvRocksList, OtherUsersAndAgentsNeverAppear) {
  put(key_of("mine", "u"), "v");
  put(key_of("x", "ux"), "v");             // user "ux": "u" + "x" as bytes
  put(key_of("\0"s, "u\0"s), "v");         // user "u\0"
  put(key_of("u", ""), "v");               // user "": its key spells "u"
  put(key_of("mine", "u", kNextAgent), "v");
  put(key_of("mine", "u", kPreviousAgent), "v");
  EXPECT_EQ(list_all(KvListQuery{kAgent, "u", "", std::nullopt, 10}), (std::vector<std::string>{"mine"}));
}

TEST_F(KvRocksList, LongRunOfExpiredKeysStillLeadsToTheLiveOnesAfterIt) {
  for (int i = 0; i < 100; ++i) put(key_of("e" + std::to_string(1000 + i)), "v", now() + 1000);
  put(key_of("live"), "v");
  clock_.advance_ms(1000);
  EXPECT_EQ(list_all(KvListQuery{kAgent, "user-1", "", std::nullopt, 1}), (std::vector<std::string>{"live"}));
}

TEST_F(KvRocksList, ADamagedValueIsSkippedAndLoggedWithoutItsBytes) {
  put(key_of("a"), "value a");
  std::string stored_key = kv_encoding::encode_key(kAgent, "user-1", "damaged");
  ASSERT_TRUE(store_.db().db().Put(rocksdb::WriteOptions(), &store_.db().kv_family(), stored_key, "\x07secret-junk").ok());
  put(key_of("z"), "value z");
  ::testing::internal::CaptureStderr();
  auto listed = list_all(KvListQuery{kAgent, "user-1", "", std::nullopt, 10});
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(listed, (std::vector<std::string>{"a", "z"}));
  EXPECT_NE(log.find("skipped 1 undecodable kv values"), std::string::npos) << log;
  EXPECT_EQ(log.find("secret-junk"), std::string::npos) << log;
}

TEST_F(KvRocksList, LimitZeroListsAsOne) {
  for (const char* key : {"a", "b"}) put(key_of(key), "v");
  auto page = list_now(kv(), KvListQuery{kAgent, "user-1", "", std::nullopt, 0});
  ASSERT_TRUE(page);
  EXPECT_EQ(keys_of(*page), (std::vector<std::string>{"a"}));
  EXPECT_EQ(page->next_after, "a");
}

TEST_F(KvRocksList, CursorAfterAMissingKeyContinuesAtTheNextOne) {
  for (const char* key : {"a", "c"}) put(key_of(key), "v");
  auto page = list_now(kv(), KvListQuery{kAgent, "user-1", "", std::string("b"), 10});
  ASSERT_TRUE(page);
  EXPECT_EQ(keys_of(*page), (std::vector<std::string>{"c"}));
}

// ---- lifecycle: remove_agent, reopening, closing -------------------------------------------------------

using KvRocksLifecycle = RocksKvFixture;

TEST_F(KvRocksLifecycle, RemoveAgentRemovesOnlyThatAgentsData) {
  const std::vector<std::string> agents = {kPreviousAgent, kAgent, kNextAgent, "11111111-2222-4333-8444-555555555559",
                                           "11111111-2222-4333-8444-55555555555a"};
  for (const auto& agent : agents) {
    put(key_of("k", "user-1", agent), "v");
    put(key_of("k", "user-2", agent), "v");
  }
  ASSERT_TRUE(kv().remove_agent(kAgent));
  ASSERT_TRUE(kv().remove_agent("11111111-2222-4333-8444-555555555559"));
  std::string seen;
  for (const auto& agent : agents) seen += agent.substr(33) + ":" + get(key_of("k", "user-1", agent)) + "," + get(key_of("k", "user-2", agent)) + " ";
  EXPECT_EQ(seen, "554:v,v 555:absent,absent 556:v,v 559:absent,absent 55a:v,v ");
}

TEST_F(KvRocksLifecycle, DataSurvivesReopening) {
  put(key_of("forever"), "kept");
  put(key_of("later"), "kept too", now() + 60'000);
  put(key_of("deleted"), "gone");
  ASSERT_TRUE(remove_now(kv(), key_of("deleted")));
  store_.reopen();
  EXPECT_EQ(get(key_of("forever")) + ", " + get(key_of("later")) + ", " + get(key_of("deleted")),
            "kept, kept too until " + std::to_string(now() + 60'000) + ", absent");
}

TEST_F(KvRocksLifecycle, WritesQueuedBeforeCloseAreCommitted) {
  std::promise<std::string> result;
  {
    WriterGate gate(kv());
    kv().put(key_of("k"), KvValue{"v", 0}, [&](Status status) { result.set_value(status ? "ok" : status.error().code); });
    std::thread closer([&] { kv().close(); });
    // Wait until close() has begun (writes are then refused at once), so the put is still queued.
    for (;;) {
      auto refused = std::make_shared<std::atomic<bool>>(false);
      kv().remove(key_of("probe"), [refused](Result<bool> removed) { *refused = !removed; });
      if (*refused) break;
      std::this_thread::yield();
    }
    gate.open();
    closer.join();
  }
  std::string put_result = result.get_future().get();
  EXPECT_EQ(put_result + ", " + get(key_of("k")), "ok, v");
}

struct AfterCloseRow {
  std::string name;
  std::function<std::string(KvStore&)> write;  // the error code, or "ok"
};
void PrintTo(const AfterCloseRow& row, std::ostream* os) { *os << row.name; }

class KvRocksAfterClose : public RocksKvFixture, public ::testing::WithParamInterface<AfterCloseRow> {};

TEST_P(KvRocksAfterClose, WriteFailsWithKvUnavailable) {
  put(key_of("k"), "v");
  kv().close();
  EXPECT_EQ(GetParam().write(kv()), "KV_UNAVAILABLE");
}

std::string code_of(const auto& result) { return result ? "ok" : result.error().code; }

INSTANTIATE_TEST_SUITE_P(
    Table, KvRocksAfterClose,
    ::testing::Values(AfterCloseRow{"put", [](KvStore& kv) { return code_of(put_now(kv, key_of("k"), KvValue{"v", 0})); }},
                      AfterCloseRow{"delete", [](KvStore& kv) { return code_of(remove_now(kv, key_of("k"))); }},
                      AfterCloseRow{"take", [](KvStore& kv) { return code_of(take_now(kv, key_of("k"))); }}),
    [](const auto& info) { return row_name(info.param.name); });

}  // namespace
}  // namespace agentgate::testing
