// Concurrency over real HTTP: requests to one agent interleave at await points, and redeploys under
// load swap versions atomically (every response is a whole old or new version, never an error).
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "tests/support/agent_fixtures.h"

namespace agentgate::testing {
namespace {

// Table rows print as their name in gtest's messages.
template <class Case>
  requires requires(const Case& row) { row.name; }
void PrintTo(const Case& row, std::ostream* out) {
  *out << row.name;
}

constexpr const char* kId = "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8";
const std::string kUrl = std::string("/agents/") + kId + "/app/";

// ?slow waits on a 500 ms timer (and says when it starts); otherwise answers at once.
constexpr const char* kSlowAndFast = R"JS(
export default async (ctx) => {
  if (new URL(ctx.request.url).searchParams.has('slow')) {
    console.log('slow request started');
    await new Promise(resolve => setTimeout(resolve, 500));
    return { body: 'slow done' };
  }
  return { body: 'fast done' };
};
)JS";

TEST(Concurrency, AwaitingRequestDoesNotBlockAnotherToTheSameAgent) {
  TempDir dir;
  // One worker: both requests land on the same thread and the same isolate.
  ServerProcess server(dir.path() + "/data", {"--workers", "1"});
  ASSERT_TRUE(server.started()) << server.log();
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "interleave", kSlowAndFast)).status, 201);

  auto slow = std::async(std::launch::async, [&] { return http_get(server.port(), kUrl + "?slow=1"); });
  ASSERT_TRUE(wait_until([&] { return contains(server.log(), "slow request started"); })) << server.log();

  // The slow request is parked on its timer; a second request completes while it waits.
  auto fast = http_get(server.port(), kUrl);
  EXPECT_EQ(fast.status, 200);
  EXPECT_EQ(fast.body, "fast done");
  EXPECT_EQ(slow.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the slow request finished before the fast one was answered";

  auto slow_response = slow.get();
  EXPECT_EQ(slow_response.status, 200);
  EXPECT_EQ(slow_response.body, "slow done");
}

TEST(Concurrency, ManyAwaitingRequestsToOneAgentAllComplete) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data", {"--workers", "1"});
  ASSERT_TRUE(server.started()) << server.log();
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "interleave", kSlowAndFast)).status, 201);

  std::vector<std::future<HttpResult>> slow;
  for (int i = 0; i < 8; ++i) {
    slow.push_back(std::async(std::launch::async, [&] { return http_get(server.port(), kUrl + "?slow=1"); }));
  }
  for (auto& response : slow) {
    auto result = response.get();
    EXPECT_EQ(result.status, 200) << result.error;
    EXPECT_EQ(result.body, "slow done");
  }
}

// The worker answers in phases (a reply ready at once is written after the other ready requests'
// handlers ran): however the writes are deferred, each connection gets its own answers, in order,
// for requests pipelined in one write, some answered at once and some after an await.
TEST(Concurrency, PipelinedRequestsOnManyConnectionsAreAnsweredInOrder) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data", {"--workers", "1"});
  ASSERT_TRUE(server.started()) << server.log();
  constexpr const char* kEcho = R"JS(
export default async (ctx) => {
  const query = new URL(ctx.request.url).searchParams;
  if (query.has('wait')) await new Promise(resolve => setTimeout(resolve, 1));
  return { body: `[${query.get('n')}]` };
};
)JS";
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "echo", kEcho)).status, 201);

  constexpr int kConnections = 8;
  constexpr int kRequestsEach = 25;
  std::vector<std::future<RawReply>> replies;
  for (int connection = 0; connection < kConnections; ++connection) {
    std::string pipelined;
    for (int i = 0; i < kRequestsEach; ++i) {
      bool last = i + 1 == kRequestsEach;
      pipelined += "GET " + kUrl + "?n=" + std::to_string(connection) + "-" + std::to_string(i) +
                   (i % 3 == 0 ? "&wait=1" : "") + " HTTP/1.1\r\nHost: localhost\r\n" +
                   (last ? "Connection: close\r\n" : "") + "\r\n";
    }
    replies.push_back(std::async(std::launch::async, [&server, pipelined] {
      return raw_exchange_until_close(server.port(), pipelined, std::chrono::seconds(20));
    }));
  }
  for (int connection = 0; connection < kConnections; ++connection) {
    RawReply reply = replies[connection].get();
    EXPECT_TRUE(reply.closed_by_server) << "connection " << connection;
    std::string expected;
    std::string seen;
    for (int i = 0; i < kRequestsEach; ++i) expected += "[" + std::to_string(connection) + "-" + std::to_string(i) + "]";
    for (size_t at = reply.bytes.find("\r\n\r\n["); at != std::string::npos; at = reply.bytes.find("\r\n\r\n[", at + 4)) {
      seen += reply.bytes.substr(at + 4, reply.bytes.find(']', at) - at - 3);
    }
    EXPECT_EQ(seen, expected) << "connection " << connection;
    size_t oks = 0;
    for (size_t at = reply.bytes.find("HTTP/1.1 200 OK\r\n"); at != std::string::npos; at = reply.bytes.find("HTTP/1.1 200 OK\r\n", at + 1)) ++oks;
    EXPECT_EQ(oks, static_cast<size_t>(kRequestsEach)) << "connection " << connection;
  }
}

TEST(Concurrency, RedeploysDuringLoadServeOnlyWholeVersions) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data");
  ASSERT_TRUE(server.started()) << server.log();
  constexpr int kVersions = 6;  // the first deploy and 5 redeploys
  auto version_source = [](int version) {
    // Some module state and an await, so a swap can land mid-request.
    return "const version = 'version-" + std::to_string(version) +
           "';\n"
           "export default async () => {\n"
           "  await new Promise(resolve => setTimeout(resolve, 0));\n"
           "  return { body: version };\n"
           "};\n";
  };
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "swapper", version_source(1))).status, 201);

  constexpr int kClients = 4;
  constexpr int kRequestsEach = 200;
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  auto record = [&](std::string failure) {
    std::lock_guard lock(failures_mutex);
    if (failures.size() < 20) failures.push_back(std::move(failure));
  };
  std::atomic<int> responses{0};

  std::vector<std::thread> clients;
  for (int client = 0; client < kClients; ++client) {
    clients.emplace_back([&, client] {
      int last_version = 0;
      for (int i = 0; i < kRequestsEach; ++i) {
        auto response = http_get(server.port(), kUrl);
        ++responses;
        std::string body = response.body;
        int version = body.rfind("version-", 0) == 0 ? std::atoi(body.c_str() + 8) : 0;
        if (response.status != 200 || version < 1 || version > kVersions) {
          record("client " + std::to_string(client) + " request " + std::to_string(i) + ": " +
                 std::to_string(response.status) + " '" + body + "' " + response.error);
          continue;
        }
        // A sequential client never goes back to an older version after it has seen a newer one.
        if (version < last_version) {
          record("client " + std::to_string(client) + " saw version " + std::to_string(version) + " after " +
                 std::to_string(last_version));
        }
        last_version = std::max(last_version, version);
      }
    });
  }

  std::vector<int> deploy_statuses;
  for (int version = 2; version <= kVersions; ++version) {
    // Spread the redeploys over the load (bounded: at most a few seconds per step).
    int target = (version - 1) * kClients * kRequestsEach / kVersions;
    wait_until([&] { return responses.load() >= target; }, std::chrono::seconds(5));
    deploy_statuses.push_back(server.deploy(one_function_bundle(kId, "swapper", version_source(version))).status);
  }
  for (auto& client : clients) client.join();

  EXPECT_EQ(deploy_statuses, std::vector<int>(kVersions - 1, 200));
  EXPECT_TRUE(failures.empty()) << [&] {
    std::string all;
    for (const auto& failure : failures) all += failure + "\n";
    return all;
  }();
  // After the last deploy returned, only the newest version answers.
  auto latest = http_get(server.port(), kUrl);
  EXPECT_EQ(latest.status, 200);
  EXPECT_EQ(latest.body, "version-" + std::to_string(kVersions));
}

TEST(Concurrency, InFlightRequestFinishesOnTheVersionItStartedOn) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data", {"--workers", "1"});
  ASSERT_TRUE(server.started()) << server.log();
  auto source = [](const std::string& name) {
    return "export default async (ctx) => {\n"
           "  if (new URL(ctx.request.url).searchParams.has('slow')) {\n"
           "    console.log('" + name + " slow started');\n"
           "    await new Promise(resolve => setTimeout(resolve, 500));\n"
           "  }\n"
           "  return { body: '" + name + "' };\n"
           "};\n";
  };
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "inflight", source("old"))).status, 201);
  auto slow = std::async(std::launch::async, [&] { return http_get(server.port(), kUrl + "?slow=1"); });
  ASSERT_TRUE(wait_until([&] { return contains(server.log(), "old slow started"); })) << server.log();

  ASSERT_EQ(server.deploy(one_function_bundle(kId, "inflight", source("new"))).status, 200);
  EXPECT_EQ(http_get(server.port(), kUrl).body, "new");
  auto finished = slow.get();
  EXPECT_EQ(finished.status, 200);
  EXPECT_EQ(finished.body, "old");
}

TEST(Concurrency, DeleteLetsTheInFlightRequestFinish) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data", {"--workers", "1"});
  ASSERT_TRUE(server.started()) << server.log();
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "doomed", kSlowAndFast)).status, 201);
  auto slow = std::async(std::launch::async, [&] { return http_get(server.port(), kUrl + "?slow=1"); });
  ASSERT_TRUE(wait_until([&] { return contains(server.log(), "slow request started"); })) << server.log();

  ASSERT_EQ(server.admin("DELETE", std::string("/_admin/v1/agents/") + kId).status, 200);
  EXPECT_EQ(http_get(server.port(), kUrl).status, 404);
  auto finished = slow.get();
  EXPECT_EQ(finished.status, 200) << finished.error;
  EXPECT_EQ(finished.body, "slow done");
}

struct NeighbourCase {
  const char* name;
  std::vector<std::string> flags;
  std::string misbehaviour;
};

class MisbehavingNeighbourTest : public ::testing::TestWithParam<NeighbourCase> {};

TEST_P(MisbehavingNeighbourTest, AnAwaitingRequestOfAnotherAgentStillCompletes) {
  TempDir dir;
  std::vector<std::string> flags = GetParam().flags;
  flags.insert(flags.end(), {"--workers", "1"});  // both agents on one thread
  ServerProcess server(dir.path() + "/data", flags);
  ASSERT_TRUE(server.started()) << server.log();
  constexpr const char* kNeighbour = "d3e4f5a6-b7c8-4d9e-8f0a-1b2c3d4e5f6a";
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "patient", kSlowAndFast)).status, 201);
  ASSERT_EQ(server.deploy(one_function_bundle(kNeighbour, "neighbour",
                                              "export default async () => {\n" + GetParam().misbehaviour + "\n};"))
                .status,
            201);

  auto slow = std::async(std::launch::async, [&] { return http_get(server.port(), kUrl + "?slow=1"); });
  ASSERT_TRUE(wait_until([&] { return contains(server.log(), "slow request started"); })) << server.log();
  EXPECT_EQ(http_get(server.port(), std::string("/agents/") + kNeighbour + "/app/").status, 503);

  auto finished = slow.get();
  EXPECT_EQ(finished.status, 200) << finished.error;
  EXPECT_EQ(finished.body, "slow done");
}

INSTANTIATE_TEST_SUITE_P(
    Neighbours, MisbehavingNeighbourTest,
    ::testing::Values(NeighbourCase{"InfiniteLoop", {"--cpu-limit-ms", "50"}, "  for (;;) {}"},
                      NeighbourCase{"HeapExhaustion",
                                    {"--heap-limit-mb", "32", "--cpu-limit-ms", "5000"},
                                    "  const hoard = [];\n  for (;;) hoard.push(new Array(100000).fill(1));"}),
    [](const ::testing::TestParamInfo<NeighbourCase>& info) { return std::string(info.param.name); });

TEST(Concurrency, AgentsDoNotShareGlobals) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data", {"--workers", "1"});
  ASSERT_TRUE(server.started()) << server.log();
  constexpr const char* kWriter = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e";
  constexpr const char* kReader = "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f";
  ASSERT_EQ(server.deploy(one_function_bundle(kWriter, "writer",
                                              "export default async () => { globalThis.shared = 'leaked';"
                                              " Array.prototype.leak = 1; return { body: 'set' }; };"))
                .status,
            201);
  ASSERT_EQ(server.deploy(one_function_bundle(kReader, "reader",
                                              "export default async () => ({ body: String(globalThis.shared) + ','"
                                              " + String([].leak) });"))
                .status,
            201);
  ASSERT_EQ(http_get(server.port(), std::string("/agents/") + kWriter + "/app/").body, "set");
  EXPECT_EQ(http_get(server.port(), std::string("/agents/") + kReader + "/app/").body, "undefined,undefined");
}

}  // namespace
}  // namespace agentgate::testing
