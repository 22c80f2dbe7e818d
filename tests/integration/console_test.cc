// The owner console through the real server: what handlers log, what fails, what policy refuses,
// read back through GET /_admin/v1/agents/<id>/console; cookie values never in it.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <thread>

#include "tests/support/agent_fixtures.h"
#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace agentgate::testing {
namespace {

constexpr const char* kId = "3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f";
const std::string kUrl = std::string("/agents/") + kId + "/app/";
const std::string kCookie = std::string("agt_") + kId + "_sid";

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server.started()) << server.log();
    auto deployed = server.deploy(one_function_bundle(kId, "console-agent", R"JS(
export default async (ctx) => {
  const mode = new URL(ctx.request.url).searchParams.get('m');
  if (mode === 'log') console.warn('visitor cookie is', ctx.request.headers.cookie);
  if (mode === 'throw') throw new Error('failed with ' + ctx.request.headers.cookie);
  if (mode === 'bad-cookie') return { headers: { 'set-cookie': 'session=platform-secret-value' }, body: 'no' };
  return { body: 'ok' };
};)JS"));
    ASSERT_EQ(deployed.status, 201) << deployed.body;
  }

  HttpResult get(const std::string& mode) {
    HttpRequestSpec spec;
    spec.target = kUrl + "?m=" + mode;
    spec.headers = {{"Cookie", kCookie + "=visitor-session-9f8e7d"}};
    return http_request(server.port(), spec);
  }

  // Every entry of the console, oldest first.
  boost::json::array entries() {
    auto reply = server.admin("GET", std::string("/_admin/v1/agents/") + kId + "/console?limit=1000");
    EXPECT_EQ(reply.status, 200) << reply.body;
    return boost::json::parse(reply.body).at("entries").as_array();
  }

  static std::vector<std::string> with_code(const boost::json::array& entries, const std::string& code) {
    std::vector<std::string> messages;
    for (const auto& entry : entries) {
      if (entry.at("code").as_string() == code) messages.emplace_back(entry.at("message").as_string().c_str());
    }
    return messages;
  }

  TempDir dir;
  ServerProcess server{dir.path() + "/data"};
};

TEST_F(ConsoleTest, AHandlersConsoleLineIsThereWithItsRequestIdAndTheCookieValueRedacted) {
  auto response = get("log");
  ASSERT_EQ(response.status, 200);
  auto all = entries();
  auto lines = with_code(all, "CONSOLE");
  ASSERT_EQ(lines.size(), 1u) << boost::json::serialize(all);
  EXPECT_EQ(lines[0], "visitor cookie is " + kCookie + "=[redacted]");
  EXPECT_EQ(all.back().at("requestId").as_string(), response.header("x-request-id"));
  EXPECT_EQ(all.back().at("level").as_string(), "warn");
  EXPECT_EQ(all.back().at("function").as_string(), "app");
  EXPECT_EQ(server.log().find("visitor-session-9f8e7d"), std::string::npos) << server.log();
}

TEST_F(ConsoleTest, AHandlerErrorIsThereWithItsStackAndNoCookieValue) {
  ASSERT_EQ(get("throw").status, 500);
  auto errors = with_code(entries(), "HANDLER_ERROR");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("failed with " + kCookie + "=[redacted]"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("app.js"), std::string::npos) << errors[0];  // the stack
}

TEST_F(ConsoleTest, ARefusedCookieIsOneEntryWithItsNameAndRuleButNotItsValue) {
  auto response = get("bad-cookie");
  ASSERT_EQ(response.status, 502);
  EXPECT_EQ(response.body.find("no"), std::string::npos);
  auto all = entries();
  auto refusals = with_code(all, "INVALID_SET_COOKIE");
  ASSERT_EQ(refusals.size(), 1u) << boost::json::serialize(all);
  EXPECT_NE(refusals[0].find("'session'"), std::string::npos) << refusals[0];
  EXPECT_NE(refusals[0].find("reserved-name"), std::string::npos) << refusals[0];
  EXPECT_EQ(boost::json::serialize(all).find("platform-secret-value"), std::string::npos);
  EXPECT_EQ(server.log().find("platform-secret-value"), std::string::npos);
}

TEST_F(ConsoleTest, SinceReturnsOnlyWhatCameAfterTheCursor) {
  ASSERT_EQ(get("log").status, 200);
  auto first = server.admin("GET", std::string("/_admin/v1/agents/") + kId + "/console");
  std::string cursor = boost::json::parse(first.body).at("cursor").as_string().c_str();
  ASSERT_EQ(get("throw").status, 500);
  auto next = server.admin("GET", std::string("/_admin/v1/agents/") + kId + "/console?since=" + cursor);
  auto later = boost::json::parse(next.body).at("entries").as_array();
  ASSERT_EQ(later.size(), 1u) << next.body;
  EXPECT_EQ(later[0].at("code").as_string(), "HANDLER_ERROR");
}

TEST_F(ConsoleTest, ConsoleSurvivesARestartAndGoesWithTheAgent) {
  ASSERT_EQ(get("log").status, 200);
  ASSERT_EQ(server.terminate(), 0);
  ServerProcess again(dir.path() + "/data");
  ASSERT_TRUE(again.started()) << again.log();
  auto reply = again.admin("GET", std::string("/_admin/v1/agents/") + kId + "/console");
  EXPECT_EQ(with_code(boost::json::parse(reply.body).at("entries").as_array(), "CONSOLE").size(), 1u) << reply.body;
  ASSERT_EQ(again.admin("DELETE", std::string("/_admin/v1/agents/") + kId).status, 200);
  auto redeployed = again.deploy(one_function_bundle(kId, "console-agent", text_handler("ok")));
  ASSERT_EQ(redeployed.status, 201) << redeployed.body;
  auto empty = again.admin("GET", std::string("/_admin/v1/agents/") + kId + "/console");
  EXPECT_TRUE(boost::json::parse(empty.body).at("entries").as_array().empty()) << empty.body;
}

// A raw GET of the live stream, read for `duration` (or until the server closes it).
std::string follow_request(const std::string& token, const std::string& since = "0") {
  return std::string("GET /_admin/v1/agents/") + kId + "/console?follow=1&since=" + since +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n\r\n";
}

TEST_F(ConsoleTest, FollowStreamsEarlierAndLiveEntriesAsServerSentEvents) {
  ASSERT_EQ(get("log").status, 200);
  RawReply stream;
  std::thread follower([&] { stream = raw_exchange_until_close(server.port(), follow_request(server.admin_token()),
                                                               std::chrono::milliseconds(2500)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_EQ(get("throw").status, 500);  // while the follower is connected
  follower.join();
  EXPECT_FALSE(stream.closed_by_server);
  EXPECT_NE(stream.bytes.find("content-type: text/event-stream"), std::string::npos) << stream.bytes;
  EXPECT_NE(stream.bytes.find("event: console\ndata: {"), std::string::npos) << stream.bytes;
  EXPECT_NE(stream.bytes.find("visitor cookie is"), std::string::npos) << stream.bytes;  // before it connected
  EXPECT_NE(stream.bytes.find("HANDLER_ERROR"), std::string::npos) << stream.bytes;      // while it was connected
  EXPECT_EQ(stream.bytes.find("visitor-session-9f8e7d"), std::string::npos);
}

// Chunks are HTTP/1.1's: an HTTP/1.0 client gets the events as a body that ends with the
// connection. HEAD is not a method of the console (405), so it never opens a stream.
TEST_F(ConsoleTest, FollowSpeaksHttp10AndRefusesHead) {
  ASSERT_EQ(get("log").status, 200);
  std::string http10 = follow_request(server.admin_token());
  http10.replace(http10.find("HTTP/1.1"), 8, "HTTP/1.0");
  RawReply old = raw_exchange_until_close(server.port(), http10, std::chrono::milliseconds(1500));
  EXPECT_EQ(old.bytes.rfind("HTTP/1.0 200", 0), 0u) << old.bytes;
  EXPECT_EQ(old.bytes.find("chunked"), std::string::npos) << old.bytes;
  size_t body = old.bytes.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos) << old.bytes;
  EXPECT_EQ(old.bytes.compare(body + 4, 4, "id: "), 0) << old.bytes;  // an event, no chunk-size line before it
  EXPECT_NE(old.bytes.find("event: console\ndata: {"), std::string::npos) << old.bytes;

  std::string head = follow_request(server.admin_token());
  head.replace(0, 3, "HEAD");
  RawReply headed = raw_exchange_until_close(server.port(), head, std::chrono::seconds(2));
  EXPECT_EQ(headed.bytes.rfind("HTTP/1.1 405", 0), 0u) << headed.bytes;
  EXPECT_EQ(headed.bytes.find("event-stream"), std::string::npos) << headed.bytes;
}

TEST_F(ConsoleTest, SigtermEndsAFollowStreamAndTheServerExits) {
  RawReply stream;
  std::thread follower([&] { stream = raw_exchange_until_close(server.port(), follow_request(server.admin_token()),
                                                               std::chrono::seconds(20)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(server.terminate(std::chrono::seconds(10)), 0);
  follower.join();
  EXPECT_TRUE(stream.closed_by_server);
  EXPECT_NE(stream.bytes.find("0\r\n\r\n"), std::string::npos) << stream.bytes;  // the last chunk: a clean end
}

TEST_F(ConsoleTest, BadQueriesAreRefused) {
  auto base = std::string("/_admin/v1/agents/") + kId + "/console";
  EXPECT_EQ(server.admin("GET", base + "?since=abc").status, 400);
  EXPECT_EQ(server.admin("GET", base + "?limit=0").status, 400);
  EXPECT_EQ(server.admin("GET", base + "?what=1").status, 400);
  EXPECT_EQ(server.admin("GET", base + "?follow=yes").status, 400);
  EXPECT_EQ(server.admin("DELETE", base).status, 405);
  EXPECT_EQ(http_request(server.port(), HttpRequestSpec{"GET", base}).status, 401);
}

}  // namespace
}  // namespace agentgate::testing
