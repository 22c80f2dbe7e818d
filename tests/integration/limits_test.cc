// Per-request limits over real HTTP: CPU, heap and wall time end a handler with 503 and the agent
// keeps serving; oversized bodies and headers get 413 / 431; malformed HTTP gets 400 and a close.
#include <gtest/gtest.h>

#include "tests/support/agent_fixtures.h"

namespace agentgate::testing {
namespace {

// Table rows print as their name in gtest's messages.
template <class Case>
  requires requires(const Case& row) { row.name; }
void PrintTo(const Case& row, std::ostream* out) {
  *out << row.name;
}

constexpr const char* kId = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
const std::string kUrl = std::string("/agents/") + kId + "/app/";

// Misbehaves when the query has ?bad, answers "ok" otherwise.
std::string misbehaving_handler(const std::string& misbehaviour) {
  return "export default async (ctx) => {\n"
         "  if (new URL(ctx.request.url).searchParams.has('bad')) {\n" +
         misbehaviour +
         "\n  }\n"
         "  return { body: 'ok' };\n"
         "};\n";
}

struct LimitCase {
  const char* name;
  std::vector<std::string> flags;
  std::string misbehaviour;
  std::string body_mentions;  // a word of the 503 body that says which limit was hit
};

class HandlerLimitTest : public ::testing::TestWithParam<LimitCase> {};

TEST_P(HandlerLimitTest, Answers503AndTheNextRequestWorks) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data", GetParam().flags);
  ASSERT_TRUE(server.started()) << server.log();
  auto deployed = server.deploy(one_function_bundle(kId, "limited", misbehaving_handler(GetParam().misbehaviour)));
  ASSERT_EQ(deployed.status, 201) << deployed.body;
  ASSERT_EQ(http_get(server.port(), kUrl).status, 200);

  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto limited = http_get(server.port(), kUrl + "?bad=1");
    EXPECT_EQ(limited.status, 503) << limited.body << limited.error;
    EXPECT_TRUE(contains(limited.body, GetParam().body_mentions)) << limited.body;

    auto next = http_get(server.port(), kUrl);
    EXPECT_EQ(next.status, 200) << next.body << next.error;
    EXPECT_EQ(next.body, "ok");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Limits, HandlerLimitTest,
    ::testing::Values(
        LimitCase{"InfiniteLoop", {"--cpu-limit-ms", "50"}, "    while (true) {}", "CPU"},
        LimitCase{"InfiniteLoopAfterAwait",
                  {"--cpu-limit-ms", "50"},
                  "    await new Promise(r => setTimeout(r, 1));\n    for (;;) {}",
                  "CPU"},
        LimitCase{"LoopInATimerCallback",
                  {"--cpu-limit-ms", "50"},
                  "    await new Promise(r => setTimeout(() => { for (;;) {} }, 1));",
                  "CPU"},
        LimitCase{"EndlessMicrotasks",
                  {"--cpu-limit-ms", "50"},
                  "    const spin = () => Promise.resolve().then(spin);\n    spin();\n"
                  "    await new Promise(() => {});",
                  "CPU"},
        LimitCase{"HeapExhaustion",
                  {"--heap-limit-mb", "32", "--cpu-limit-ms", "5000"},
                  "    const hoard = [];\n    for (;;) hoard.push(new Array(100000).fill(hoard.length));",
                  "memory"},
        LimitCase{"NeverResolvingPromise", {"--wall-limit-ms", "300"}, "    await new Promise(() => {});", "time"},
        LimitCase{"TimerLongerThanWallLimit",
                  {"--wall-limit-ms", "300"},
                  "    await new Promise(r => setTimeout(r, 60000));",
                  "time"}),
    [](const ::testing::TestParamInfo<LimitCase>& info) { return std::string(info.param.name); });

TEST(HandlerLimits, HeapExhaustionNeverTakesDownTheProcessOrOtherAgents) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data", {"--heap-limit-mb", "32", "--cpu-limit-ms", "5000", "--workers", "1"});
  ASSERT_TRUE(server.started()) << server.log();
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "hog", misbehaving_handler(
                                                                "    const hoard = [];\n"
                                                                "    for (;;) hoard.push(new Array(100000).fill(1));")))
                .status,
            201);
  constexpr const char* kBystander = "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a";
  ASSERT_EQ(server.deploy(one_function_bundle(kBystander, "bystander", text_handler("still here"))).status, 201);

  for (int i = 0; i < 3; ++i) EXPECT_EQ(http_get(server.port(), kUrl + "?bad=1").status, 503);
  auto bystander = http_get(server.port(), std::string("/agents/") + kBystander + "/app/");
  EXPECT_EQ(bystander.status, 200);
  EXPECT_EQ(bystander.body, "still here");
  EXPECT_EQ(http_get(server.port(), kUrl).body, "ok");
  EXPECT_EQ(kill(server.pid(), 0), 0) << "server process died";
}

TEST(HandlerLimits, StateIsFreshAfterTheIsolateIsDiscarded) {
  // Module state lives in the isolate: after a heap-limit discard it starts over.
  TempDir dir;
  ServerProcess server(dir.path() + "/data", {"--heap-limit-mb", "32", "--cpu-limit-ms", "5000", "--workers", "1"});
  ASSERT_TRUE(server.started()) << server.log();
  constexpr const char* kCounter = R"JS(
let count = 0;
export default async (ctx) => {
  if (new URL(ctx.request.url).searchParams.has('bad')) {
    const hoard = [];
    for (;;) hoard.push(new Array(100000).fill(1));
  }
  return { body: String(++count) };
};
)JS";
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "counter", kCounter)).status, 201);
  EXPECT_EQ(http_get(server.port(), kUrl).body, "1");
  EXPECT_EQ(http_get(server.port(), kUrl).body, "2");
  EXPECT_EQ(http_get(server.port(), kUrl + "?bad=1").status, 503);
  EXPECT_EQ(http_get(server.port(), kUrl).body, "1");
}

TEST(HandlerLimits, TheFirstIntlCallOfAProcessFitsATightCpuLimit) {
  // ICU builds its data on first use (tens of ms); the server pays that at start-up, so the first
  // request to format a number or a date in a fresh process is not charged for it.
  TempDir dir;
  ServerProcess server(dir.path() + "/data", {"--cpu-limit-ms", "8", "--workers", "1"});
  ASSERT_TRUE(server.started()) << server.log();
  constexpr const char* kFormats = R"JS(
export default async () => ({
  body: [
    (1234.5).toLocaleString('en-US'),
    new Date(0).toLocaleString('en-US', { timeZone: 'UTC' }),
    new Intl.RelativeTimeFormat('en').format(-1, 'day'),
    ['b', 'a'].sort((x, y) => x.localeCompare(y)).join(''),
    new Intl.DateTimeFormat('en-US', { dateStyle: 'full', timeZone: 'UTC' }).format(0),
    new Intl.ListFormat('en').format(['a', 'b']),
  ].join('|'),
});
)JS";
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "formats", kFormats)).status, 201);
  auto first = http_get(server.port(), kUrl);
  EXPECT_EQ(first.status, 200) << first.body << first.error;
  EXPECT_EQ(first.body, "1,234.5|1/1/1970, 12:00:00 AM|1 day ago|ab|Thursday, January 1, 1970|a and b");
}

struct StartupCase {
  const char* name;
  std::string module;
};

class StartupLimitTest : public ::testing::TestWithParam<StartupCase> {};

TEST_P(StartupLimitTest, DeployIsRejectedNamingTheModuleAndTheServerKeepsServing) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data", {"--startup-cpu-limit-ms", "200", "--heap-limit-mb", "32"});
  ASSERT_TRUE(server.started()) << server.log();
  constexpr const char* kBystander = "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a";
  ASSERT_EQ(server.deploy(one_function_bundle(kBystander, "bystander", text_handler("fine"))).status, 201);

  auto deployed = server.deploy(one_function_bundle(kId, "bad-start", GetParam().module));
  EXPECT_EQ(deployed.status, 400) << deployed.body << deployed.error;
  EXPECT_TRUE(contains(error_message(deployed.body), "app.js")) << deployed.body;
  EXPECT_EQ(http_get(server.port(), std::string("/agents/") + kBystander + "/app/").body, "fine");
}

INSTANTIATE_TEST_SUITE_P(
    Startup, StartupLimitTest,
    ::testing::Values(StartupCase{"TopLevelInfiniteLoop", "while (true) {}\nexport default async () => ({});"},
                      StartupCase{"TopLevelHeapExhaustion",
                                  "const hoard = [];\nfor (;;) hoard.push(new Array(100000).fill(1));\n"
                                  "export default async () => ({});"},
                      StartupCase{"TopLevelAwaitNeverResolves",
                                  "await new Promise(() => {});\nexport default async () => ({});"}),
    [](const ::testing::TestParamInfo<StartupCase>& info) { return std::string(info.param.name); });

// --- request size limits and malformed HTTP -------------------------------------------------

class RequestLimitTest : public ::testing::Test {
 protected:
  TempDir dir;
  ServerProcess server{dir.path() + "/data", {"--max-body-bytes", "1024", "--max-header-bytes", "4096"}};

  void SetUp() override {
    ASSERT_TRUE(server.started()) << server.log();
    auto deployed = server.deploy(one_function_bundle(
        kId, "sizes", "export default async (ctx) => ({ body: String(ctx.request.body.length) });", "/app/*",
        {"GET", "POST"}));
    ASSERT_EQ(deployed.status, 201) << deployed.body;
  }

  HttpResult post(const std::string& body) {
    HttpRequestSpec spec;
    spec.method = "POST";
    spec.target = kUrl;
    spec.body = body;
    return http_request(server.port(), spec);
  }
};

TEST_F(RequestLimitTest, BodyAtTheLimitIsServed) {
  auto response = post(std::string(1024, 'a'));
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body, "1024");
}

TEST_F(RequestLimitTest, BodyOverTheLimitIs413) {
  auto response = post(std::string(1025, 'a'));
  EXPECT_EQ(response.status, 413) << response.error;
}

TEST_F(RequestLimitTest, MuchLargerBodyIs413) {
  auto response = post(std::string(64 * 1024, 'a'));
  EXPECT_EQ(response.status, 413) << response.error;
}

TEST(RequestLimits, MultiMegabyteBodyOverTheDefaultLimitIs413) {
  // The server answers as soon as the Content-Length is over the limit; a client that reads while
  // it sends (browsers, curl) receives the 413.
  TempDir dir;
  ServerProcess server(dir.path() + "/data");
  ASSERT_TRUE(server.started()) << server.log();
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "sizes", text_handler("ok"), "/app/*", {"POST"})).status, 201);
  std::string body(4 << 20, 'a');
  std::string request = "POST " + kUrl + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body;
  auto reply = raw_send_while_reading(server.port(), request);
  EXPECT_EQ(reply.bytes.substr(0, 12), "HTTP/1.1 413") << reply.bytes.substr(0, 200);
  EXPECT_TRUE(reply.closed_by_server);
}

TEST_F(RequestLimitTest, ChunkedBodyOverTheLimitIs413) {
  std::string chunk(800, 'b');
  char size[16];
  std::snprintf(size, sizeof size, "%zx", chunk.size());
  std::string request = "POST " + kUrl + " HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
                        size + "\r\n" + chunk + "\r\n" + size + "\r\n" + chunk + "\r\n0\r\n\r\n";
  auto reply = raw_exchange_until_close(server.port(), request);
  EXPECT_EQ(reply.bytes.substr(0, 12), "HTTP/1.1 413") << reply.bytes;
}

TEST_F(RequestLimitTest, HugeHeaderIs431) {
  HttpRequestSpec spec;
  spec.target = kUrl;
  spec.headers = {{"x-huge", std::string(8 * 1024, 'h')}};
  auto response = http_request(server.port(), spec);
  EXPECT_EQ(response.status, 431) << response.error;
}

TEST_F(RequestLimitTest, ManyHeadersOverTheLimitAre431) {
  HttpRequestSpec spec;
  spec.target = kUrl;
  for (int i = 0; i < 100; ++i) spec.headers.emplace_back("x-header-" + std::to_string(i), std::string(60, 'v'));
  auto response = http_request(server.port(), spec);
  EXPECT_EQ(response.status, 431) << response.error;
}

TEST_F(RequestLimitTest, HeaderUnderTheLimitIsServed) {
  HttpRequestSpec spec;
  spec.target = kUrl;
  spec.headers = {{"x-big", std::string(2 * 1024, 'h')}};
  auto response = http_request(server.port(), spec);
  EXPECT_EQ(response.status, 200) << response.error;
}

struct MalformedHttpCase {
  const char* name;
  std::string bytes;
};

class MalformedHttpTest : public ::testing::TestWithParam<MalformedHttpCase> {};

TEST_P(MalformedHttpTest, Answers400AndClosesTheConnection) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data");
  ASSERT_TRUE(server.started()) << server.log();
  auto reply = raw_exchange_until_close(server.port(), GetParam().bytes);
  EXPECT_EQ(reply.bytes.substr(0, 12), "HTTP/1.1 400") << reply.bytes;
  EXPECT_TRUE(reply.closed_by_server) << "the server kept the connection open";
  // The server still answers well-formed requests afterwards.
  EXPECT_EQ(http_get(server.port(), "/agents/nobody/").status, 404);
}

INSTANTIATE_TEST_SUITE_P(
    Http, MalformedHttpTest,
    ::testing::Values(MalformedHttpCase{"Garbage", "GARBAGE\r\n\r\n"},
                      MalformedHttpCase{"BadVersion", "GET / HTTP/9.9x\r\nHost: a\r\n\r\n"},
                      MalformedHttpCase{"SpaceInHeaderName", "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n"},
                      MalformedHttpCase{"BadContentLength", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n"},
                      MalformedHttpCase{"BadChunkSize",
                                        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}),
    [](const ::testing::TestParamInfo<MalformedHttpCase>& info) { return std::string(info.param.name); });

TEST(SlowClients, AnIncompleteRequestIsTimedOut) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data", {"--read-timeout-ms", "300"});
  ASSERT_TRUE(server.started()) << server.log();
  // Half a request head, then silence: the server closes the connection (long before our 10 s).
  auto reply = raw_exchange_until_close(server.port(), "GET /agents/x/ HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                                        std::chrono::seconds(10));
  EXPECT_TRUE(reply.closed_by_server);
}

}  // namespace
}  // namespace agentgate::testing
