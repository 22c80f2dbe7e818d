// The durability promise of ctx.kv: a put, delete or take that resolved survives kill -9 of the
// server and a restart. Client threads write through a handler as fast as the server acknowledges;
// the server is killed while writes are in flight, restarted on the same data dir, and every
// acknowledged write is read back. Repeated for several kill/restart cycles on one data dir.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "tests/support/kv_fixtures.h"

namespace agentgate::testing {
namespace {

constexpr const char* kAgent = "e0e0e0e0-1111-4222-8333-444455556666";

// What may be stored under a key after the kill: an acknowledged put is present, an acknowledged
// delete or take absent; an operation in flight at the kill may or may not have happened.
struct KeyState {
  std::string value;
  bool may_be_present = false;
  bool may_be_absent = false;
};

struct WriterResult {
  std::map<std::string, KeyState> keys;
  int acknowledged = 0;
  std::vector<std::string> failures;  // answers that were neither an acknowledgement nor a dead server
  bool stopped_by_the_kill = false;    // still writing when the server died (not out of operations)
};

std::string kv_target(const std::string& op, const QueryParams& params) {
  return std::string("/agents/") + kAgent + "/kv/" + op + query_string(params);
}

// Writes (puts of fresh keys, deletes and takes of acknowledged ones) on one keep-alive connection
// until the server stops answering or `max_ops` are done.
WriterResult write_until_the_server_dies(uint16_t port, const std::string& key_prefix, int max_ops,
                                         std::atomic<int>& total_acks, unsigned seed) {
  WriterResult out;
  std::mt19937 random(seed);
  std::vector<std::string> live;  // keys whose put was acknowledged and not yet deleted
  HttpConnection connection(port);  // keep-alive: one connection per writer
  for (int n = 0; n < max_ops; ++n) {
    if (!connection.connected()) {
      out.stopped_by_the_kill = true;
      break;
    }
    bool removal = !live.empty() && (n % 5 == 2 || n % 5 == 4);
    std::string op = !removal ? "put" : n % 5 == 2 ? "delete" : "take";
    std::string key;
    QueryParams params = {{"self", "1"}};
    if (op == "put") {
      key = key_prefix + std::to_string(n);
      out.keys[key] = KeyState{"value of " + key + " " + std::string(64, 'v'), true, true};
      params.emplace_back("key", key);
      params.emplace_back("value", json_text(boost::json::value(out.keys[key].value)));
    } else {
      size_t pick = std::uniform_int_distribution<size_t>(0, live.size() - 1)(random);
      key = live[pick];
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(pick));
      out.keys[key].may_be_absent = true;  // in flight: either way
      params.emplace_back("key", key);
    }
    HttpRequestSpec spec;
    spec.target = kv_target(op, params);
    spec.timeout = std::chrono::seconds(30);
    KvReply reply = to_kv_reply(connection.request(spec));
    if (reply.status == 0) {  // killed: stop writing
      out.stopped_by_the_kill = true;
      break;
    }
    if (!reply.ok()) {
      out.failures.push_back(op + " " + key + ": " + std::to_string(reply.status) + " " + reply.raw);
      break;
    }
    KeyState& state = out.keys[key];
    if (op == "put") {
      state.may_be_absent = false;
      live.push_back(key);
    } else {
      state.may_be_present = false;
      // The acknowledgement itself must be right: the value existed, and take returned it.
      boost::json::value expected = op == "delete" ? boost::json::value(true) : boost::json::value(state.value);
      if (reply.result() != expected) out.failures.push_back(op + " " + key + " answered " + reply.raw);
    }
    ++out.acknowledged;
    ++total_acks;
  }
  return out;
}

// Every key's stored value, through the handler's list (all pages).
std::map<std::string, std::string> stored_values(uint16_t port, const std::string& prefix) {
  std::map<std::string, std::string> values;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    QueryParams params = {{"self", "1"}, {"prefix", prefix}, {"limit", "1000"}};
    if (!cursor.empty()) params.emplace_back("cursor", cursor);
    KvReply reply = kv_call(port, kAgent, "list", params);
    EXPECT_TRUE(reply.ok()) << reply.status << " " << reply.raw.substr(0, 300);
    if (!reply.ok()) break;
    for (const auto& item : reply.result().at("items").as_array()) {
      values[std::string(item.at("key").as_string())] = std::string(item.at("value").as_string());
    }
    if (reply.result().at("cursor").is_null()) break;
    cursor = std::string(reply.result().at("cursor").as_string());
  }
  return values;
}

// Checks every key written so far against what the restarted server has.
void expect_every_acknowledged_write(uint16_t port, const std::map<std::string, KeyState>& keys) {
  auto stored = stored_values(port, "round");
  size_t checked_present = 0;
  size_t checked_absent = 0;
  for (const auto& [key, state] : keys) {
    auto found = stored.find(key);
    if (found == stored.end()) {
      EXPECT_TRUE(state.may_be_absent) << "acknowledged put of " << key << " was lost";
      checked_absent += state.may_be_present ? 0 : 1;
    } else {
      EXPECT_TRUE(state.may_be_present) << "acknowledged delete/take of " << key << " came back";
      EXPECT_EQ(found->second, state.value) << key;
      checked_present += state.may_be_absent ? 0 : 1;
    }
  }
  for (const auto& [key, value] : stored) EXPECT_TRUE(keys.contains(key)) << "never written: " << key;
  // Point reads agree with the list for the acknowledged keys.
  HttpConnection connection(port);
  ASSERT_TRUE(connection.connected());
  for (const auto& [key, state] : keys) {
    if (state.may_be_present == state.may_be_absent) continue;  // in flight at a kill: either way
    HttpRequestSpec spec;
    spec.target = kv_target("get", {{"self", "1"}, {"key", key}});
    KvReply reply = to_kv_reply(connection.request(spec));
    ASSERT_TRUE(reply.ok()) << reply.status << " " << reply.raw;
    if (state.may_be_present) {
      EXPECT_EQ(reply.result(), boost::json::value(state.value)) << key;
    } else {
      EXPECT_TRUE(reply.result().is_null()) << key << ": " << reply.raw;
    }
  }
  std::cout << "[ checked  ] " << checked_present << " acknowledged puts present, " << checked_absent
            << " acknowledged deletes/takes absent, " << keys.size() - checked_present - checked_absent
            << " in flight at a kill\n";
}

TEST(KvDurability, AcknowledgedWritesSurviveKill9UnderWriteLoad) {
  constexpr int kRounds = 4;
  constexpr int kWriters = 4;
  constexpr int kAcksBeforeKill = 500;
  constexpr int kMaxOpsPerWriter = 20'000;  // a bound, far above what a round needs
  TempDir dir;
  std::string data = dir.path() + "/data";
  std::map<std::string, KeyState> expected;  // every key written in every round

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ServerProcess server(data);
    ASSERT_TRUE(server.started()) << server.log();
    if (round == 0) {
      ASSERT_EQ(server.deploy(kv_bundle(kAgent, "durable-kv", {{"self", "rw"}})).status, 201);
    } else {
      expect_every_acknowledged_write(server.port(), expected);
      if (::testing::Test::HasFailure()) return;
    }

    std::atomic<int> acks{0};
    std::vector<std::future<WriterResult>> writers;
    for (int w = 0; w < kWriters; ++w) {
      std::string prefix = "round" + std::to_string(round) + "-writer" + std::to_string(w) + "-";
      writers.push_back(std::async(std::launch::async, [&, prefix, w] {
        return write_until_the_server_dies(server.port(), prefix, kMaxOpsPerWriter, acks,
                                           static_cast<unsigned>(round * 100 + w));
      }));
    }
    bool loaded = wait_until([&] { return acks.load() >= kAcksBeforeKill; }, std::chrono::seconds(120));
    server.kill9();  // while the writers still have requests in flight
    int acknowledged = 0;
    for (auto& writer : writers) {
      WriterResult result = writer.get();
      for (const auto& failure : result.failures) ADD_FAILURE() << failure;
      EXPECT_TRUE(result.stopped_by_the_kill) << "a writer ran out of operations before the kill";
      acknowledged += result.acknowledged;
      expected.merge(result.keys);
    }
    ASSERT_TRUE(loaded) << "only " << acks.load() << " writes acknowledged in time";
    std::cout << "[ round " << round << "  ] " << acknowledged << " writes acknowledged before kill -9\n";
  }

  ServerProcess last(data);
  ASSERT_TRUE(last.started()) << last.log();
  expect_every_acknowledged_write(last.port(), expected);
}

TEST(KvDurability, AnAgentsDeletedDataStaysDeletedAfterKill9) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  {
    ServerProcess first(data);
    ASSERT_TRUE(first.started()) << first.log();
    ASSERT_EQ(first.deploy(kv_bundle(kAgent, "durable-kv", {{"self", "rw"}})).status, 201);
    for (int i = 0; i < 50; ++i) {
      auto stored = kv_call(first.port(), kAgent, "put", {{"self", "1"}, {"key", "k" + std::to_string(i)}, {"value", "1"}});
      ASSERT_TRUE(stored.ok()) << stored.raw;
    }
    ASSERT_EQ(first.admin("DELETE", std::string("/_admin/v1/agents/") + kAgent).status, 200);
    first.kill9();
  }
  ServerProcess second(data);
  ASSERT_TRUE(second.started()) << second.log();
  ASSERT_EQ(second.deploy(kv_bundle(kAgent, "durable-kv", {{"self", "rw"}})).status, 201);
  KvReply listed = kv_call(second.port(), kAgent, "list", {{"self", "1"}});
  ASSERT_TRUE(listed.ok()) << listed.raw;
  EXPECT_TRUE(listed.result().at("items").as_array().empty()) << listed.raw;
}

}  // namespace
}  // namespace agentgate::testing
