// Routing on the shared domain over real HTTP: canonical UUID URLs run functions, slug URLs
// redirect, and unknown agents, paths and methods get 404 / 405.
#include <gtest/gtest.h>

#include <set>

#include "tests/support/agent_fixtures.h"

namespace agentgate::testing {
namespace {

// Table rows print as their name in gtest's messages.
template <class Case>
  requires requires(const Case& row) { row.name; }
void PrintTo(const Case& row, std::ostream* out) {
  *out << row.name;
}

constexpr const char* kId = "5d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d";
const std::string kBase = std::string("/agents/") + kId;

// A handler that answers with what it saw, as JSON.
constexpr const char* kEchoHandler = R"JS(
export default async function handler(ctx) {
  const url = new URL(ctx.request.url);
  return {
    status: 200,
    headers: { 'x-function': ctx.metadata.functionName },
    body: {
      function: ctx.metadata.functionName,
      method: ctx.request.method,
      pathname: url.pathname,
      search: url.search,
      agentId: ctx.metadata.agentId,
      agentSlug: ctx.metadata.agentSlug,
      basePath: ctx.metadata.basePath,
      requestBody: ctx.request.body,
      url: ctx.request.url,
      origin: ctx.metadata.origin,
      cookie: ctx.request.headers['cookie'] ?? null,
      custom: ctx.request.headers['x-custom-header'] ?? null,
    },
  };
}
)JS";

// Four functions: /app/* (GET, POST), /app/admin/* (DELETE, longer prefix), /api/* (PUT), and
// /static/* (GET) answering the same bytes whatever the method.
std::string routing_manifest() {
  return std::string(R"({"id":")") + kId + R"(","slug":"router","functions":[)" +
         R"({"name":"app","endpoint":{"methods":["GET","POST"],"path":"/app/*"},"module":"echo.js","auth":"none"},)" +
         R"({"name":"admin","endpoint":{"methods":["DELETE"],"path":"/app/admin/*"},"module":"echo.js","auth":"none"},)" +
         R"({"name":"api","endpoint":{"methods":["PUT"],"path":"/api/*"},"module":"echo.js","auth":"none"},)" +
         R"({"name":"static","endpoint":{"methods":["GET"],"path":"/static/*"},"module":"static.js","auth":"none"}]})";
}

class RoutingTest : public ::testing::Test {
 protected:
  TempDir dir;
  ServerProcess server{dir.path() + "/data"};

  void SetUp() override {
    ASSERT_TRUE(server.started()) << server.log();
    auto deployed = server.deploy({{"agent.json", routing_manifest()}, {"echo.js", kEchoHandler},
                                  {"static.js", text_handler("the same twenty-nine bytes...")}});
    ASSERT_EQ(deployed.status, 201) << deployed.body;
  }

  HttpResult send(const std::string& method, const std::string& target, const std::string& body = "") {
    HttpRequestSpec spec;
    spec.method = method;
    spec.target = target;
    spec.body = body;
    return http_request(server.port(), spec);
  }
};

TEST_F(RoutingTest, CanonicalUrlRunsTheFunctionWithTheRequest) {
  auto response = http_get(server.port(), kBase + "/app/page?x=1&y=two");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_FALSE(response.header("x-request-id").empty());
  auto seen = parse_json(response.body);
  EXPECT_EQ(json_string(seen, "function"), "app");
  EXPECT_EQ(json_string(seen, "method"), "GET");
  EXPECT_EQ(json_string(seen, "pathname"), kBase + "/app/page");
  EXPECT_EQ(json_string(seen, "search"), "?x=1&y=two");
  EXPECT_EQ(json_string(seen, "agentId"), kId);
  EXPECT_EQ(json_string(seen, "agentSlug"), "router");
  EXPECT_EQ(json_string(seen, "basePath"), kBase);
}

TEST_F(RoutingTest, RequestUrlIsAbsoluteAsTheVisitorSentIt) {
  HttpRequestSpec spec;
  spec.target = kBase + "/app/p?a=1";
  std::string own = std::string("agt_") + kId + "_";
  spec.headers = {{"X-Custom-Header", "Mixed"}, {"Cookie", own + "sid=abc; theme=dark; " + own + "theme=dark"}};
  auto response = http_request(server.port(), spec);
  ASSERT_EQ(response.status, 200) << response.body;
  auto seen = parse_json(response.body);
  std::string origin = "http://127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(json_string(seen, "url"), origin + kBase + "/app/p?a=1");
  EXPECT_EQ(json_string(seen, "origin"), origin);
  EXPECT_EQ(json_string(seen, "custom"), "Mixed");
  EXPECT_EQ(json_string(seen, "cookie"), own + "sid=abc; " + own + "theme=dark");  // only this agent's
}

TEST_F(RoutingTest, EveryResponseHasItsOwnRequestId) {
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.insert(http_get(server.port(), kBase + "/app/x").header("x-request-id"));
  ids.insert(http_get(server.port(), "/agents/router/app/").header("x-request-id"));
  ids.insert(http_get(server.port(), kBase + "/nothing").header("x-request-id"));
  EXPECT_EQ(ids.size(), 7u);
  EXPECT_FALSE(ids.contains(""));
}

TEST(PublicOrigin, HandlersSeeThePublicOriginNotTheHostHeader) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data", {"--public-origin", "https://agents.example.com"});
  ASSERT_TRUE(server.started()) << server.log();
  ASSERT_EQ(server.deploy({{"agent.json", routing_manifest()}, {"echo.js", kEchoHandler},
                           {"static.js", text_handler("static")}})
                .status,
            201);
  HttpRequestSpec spec;
  spec.target = kBase + "/app/cb?code=4%2F0A&state=xyz";
  spec.headers = {{"host", "evil.example"}};
  auto response = http_request(server.port(), spec);
  ASSERT_EQ(response.status, 200) << response.body;
  auto seen = parse_json(response.body);
  EXPECT_EQ(json_string(seen, "url"), "https://agents.example.com" + kBase + "/app/cb?code=4%2F0A&state=xyz");
  EXPECT_EQ(json_string(seen, "origin"), "https://agents.example.com");
}

TEST_F(RoutingTest, PostBodyReachesTheHandler) {
  auto response = send("POST", kBase + "/app/form", "name=ada");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(json_string(parse_json(response.body), "method"), "POST");
  EXPECT_EQ(json_string(parse_json(response.body), "requestBody"), "name=ada");
}

struct FunctionChoice {
  const char* name;
  const char* method;
  std::string path;
  const char* function;
};

class FunctionChoiceTest : public RoutingTest, public ::testing::WithParamInterface<FunctionChoice> {};

TEST_P(FunctionChoiceTest, RunsTheMatchingFunction) {
  auto response = send(GetParam().method, kBase + GetParam().path);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("x-function"), GetParam().function);
}

INSTANTIATE_TEST_SUITE_P(
    Routes, FunctionChoiceTest,
    ::testing::Values(FunctionChoice{"PrefixItself", "GET", "/app", "app"},
                      FunctionChoice{"PrefixWithSlash", "GET", "/app/", "app"},
                      FunctionChoice{"DeepPath", "GET", "/app/a/b/c", "app"},
                      FunctionChoice{"LongerPrefixWins", "DELETE", "/app/admin/users/1", "admin"},
                      FunctionChoice{"ShorterPrefixForItsMethods", "GET", "/app/admin/users", "app"},
                      FunctionChoice{"OtherFunction", "PUT", "/api/items/7", "api"}),
    [](const ::testing::TestParamInfo<FunctionChoice>& info) { return std::string(info.param.name); });

struct RedirectCase {
  const char* name;
  std::string target;
  std::string location;
};

class SlugRedirectTest : public RoutingTest, public ::testing::WithParamInterface<RedirectCase> {};

TEST_P(SlugRedirectTest, Answers308ToTheCanonicalUrl) {
  auto response = http_get(server.port(), GetParam().target);
  EXPECT_EQ(response.status, 308) << response.body;
  EXPECT_EQ(response.header("location"), GetParam().location);
}

INSTANTIATE_TEST_SUITE_P(
    Redirects, SlugRedirectTest,
    ::testing::Values(RedirectCase{"SlugWithPathAndQuery", "/agents/router/app/page?q=1&r=%20x",
                                   kBase + "/app/page?q=1&r=%20x"},
                      RedirectCase{"SlugWithPath", "/agents/router/app/", kBase + "/app/"},
                      RedirectCase{"SlugAlone", "/agents/router", kBase + "/"},
                      RedirectCase{"UpperCaseUuid", "/agents/5D0C1B2A-3E4F-4A5B-8C6D-7E8F9A0B1C2D/app/x?y",
                                   kBase + "/app/x?y"},
                      RedirectCase{"UuidWithoutTrailingPath", kBase, kBase + "/"}),
    [](const ::testing::TestParamInfo<RedirectCase>& info) { return std::string(info.param.name); });

TEST_F(RoutingTest, FollowingTheRedirectRunsTheFunction) {
  auto redirect = http_get(server.port(), "/agents/router/app/page?q=1");
  ASSERT_EQ(redirect.status, 308);
  auto response = http_get(server.port(), redirect.header("location"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(json_string(parse_json(response.body), "search"), "?q=1");
}

TEST_F(RoutingTest, PostToSlugIsRedirectedWith308) {
  auto response = send("POST", "/agents/router/app/form", "a=1");
  EXPECT_EQ(response.status, 308);
  EXPECT_EQ(response.header("location"), kBase + "/app/form");
}

struct NotFoundCase {
  const char* name;
  std::string target;
};

class NotFoundTest : public RoutingTest, public ::testing::WithParamInterface<NotFoundCase> {};

TEST_P(NotFoundTest, Answers404) {
  auto response = http_get(server.port(), GetParam().target);
  EXPECT_EQ(response.status, 404) << response.body;
}

INSTANTIATE_TEST_SUITE_P(
    Missing, NotFoundTest,
    ::testing::Values(NotFoundCase{"UnknownUuid", "/agents/00000000-0000-4000-8000-000000000000/app/"},
                      NotFoundCase{"UnknownSlug", "/agents/nobody/app/"},
                      NotFoundCase{"UnmatchedPath", kBase + "/nothing/here"},
                      NotFoundCase{"PrefixIsNotASegmentPrefix", kBase + "/apple"},
                      NotFoundCase{"AgentRoot", kBase + "/"},
                      NotFoundCase{"OutsideAgents", "/index.html"},
                      NotFoundCase{"Root", "/"}),
    [](const ::testing::TestParamInfo<NotFoundCase>& info) { return std::string(info.param.name); });

struct MethodCase {
  const char* name;
  const char* method;
  std::string path;
  std::vector<std::string> allowed;
  std::vector<std::string> not_allowed;
};

class MethodNotAllowedTest : public RoutingTest, public ::testing::WithParamInterface<MethodCase> {};

TEST_P(MethodNotAllowedTest, Answers405WithAllow) {
  auto response = send(GetParam().method, kBase + GetParam().path);
  ASSERT_EQ(response.status, 405) << response.body;
  std::string allow = response.header("allow");
  for (const auto& method : GetParam().allowed) EXPECT_TRUE(contains(allow, method)) << allow;
  for (const auto& method : GetParam().not_allowed) EXPECT_FALSE(contains(allow, method)) << allow;
}

INSTANTIATE_TEST_SUITE_P(
    Methods, MethodNotAllowedTest,
    ::testing::Values(MethodCase{"DeleteOnGetPost", "DELETE", "/app/x", {"GET", "POST"}, {"DELETE", "PUT"}},
                      MethodCase{"PutOnGetPost", "PUT", "/app/x", {"GET", "POST"}, {"PUT", "DELETE"}},
                      MethodCase{"GetOnPutOnly", "GET", "/api/x", {"PUT"}, {"GET", "POST"}},
                      MethodCase{"PatchWhereBothPrefixesMatch", "PATCH", "/app/admin/x", {"GET", "POST", "DELETE"},
                                 {"PATCH", "PUT"}}),
    [](const ::testing::TestParamInfo<MethodCase>& info) { return std::string(info.param.name); });

TEST_F(RoutingTest, HeadWorksWhereGetIsAllowedWithoutABody) {
  auto get = http_get(server.port(), kBase + "/static/page");
  ASSERT_EQ(get.status, 200);
  auto head = send("HEAD", kBase + "/static/page");
  ASSERT_EQ(head.status, 200) << head.error;
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.header("content-length"), std::to_string(get.body.size()));
  EXPECT_EQ(head.header("content-type"), "text/plain");
  // On the wire: the head and nothing after it.
  auto raw = raw_exchange_until_close(
      server.port(), "HEAD " + kBase + "/static/page HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(raw.bytes.substr(0, 12), "HTTP/1.1 200") << raw.bytes;
  EXPECT_EQ(raw.bytes.find("\r\n\r\n"), raw.bytes.size() - 4) << raw.bytes;
  // The handler sees the real method.
  auto echoed_head = send("HEAD", kBase + "/app/page");
  EXPECT_EQ(echoed_head.status, 200);
  EXPECT_EQ(echoed_head.header("x-function"), "app");
}

TEST_F(RoutingTest, HeadOnAPutOnlyPathIs405) {
  auto head = send("HEAD", kBase + "/api/x");
  EXPECT_EQ(head.status, 405);
}

TEST_F(RoutingTest, DotSegmentsAreRefused) {
  EXPECT_EQ(http_get(server.port(), kBase + "/app/../api/x").status, 400);
  EXPECT_EQ(http_get(server.port(), kBase + "/app/%2e%2e/api/x").status, 400);
}

TEST_F(RoutingTest, KeepAliveConnectionServesSeveralRequests) {
  std::string request = "GET " + kBase + "/app/one HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + "GET " + kBase +
                        "/app/two HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  auto reply = raw_exchange_until_close(server.port(), request);
  EXPECT_TRUE(reply.closed_by_server);
  EXPECT_TRUE(contains(reply.bytes, "/app/one")) << reply.bytes;
  EXPECT_TRUE(contains(reply.bytes, "/app/two")) << reply.bytes;
}

}  // namespace
}  // namespace agentgate::testing
