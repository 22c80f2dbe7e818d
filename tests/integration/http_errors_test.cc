// What a visitor sees when an agent's handler fails: a generic 500 whose body leaks nothing, with
// the details in the server log under the request id. Also the handler's own statuses and bodies.
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

constexpr const char* kId = "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d";
const std::string kUrl = std::string("/agents/") + kId + "/app/";

struct FailureCase {
  const char* name;
  std::string source;
  std::string secret;  // appears in the failure's details; never in the response
};

class HandlerFailureTest : public ::testing::TestWithParam<FailureCase> {};

TEST_P(HandlerFailureTest, Answers500WithAGenericBodyAndLogsTheDetails) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data");
  ASSERT_TRUE(server.started()) << server.log();
  auto deployed = server.deploy(one_function_bundle(kId, "failing", GetParam().source));
  ASSERT_EQ(deployed.status, 201) << deployed.body;

  auto response = http_get(server.port(), kUrl);
  EXPECT_EQ(response.status, 500) << response.body;
  EXPECT_FALSE(response.body.empty());
  EXPECT_FALSE(contains(response.body, GetParam().secret)) << response.body;
  for (const auto& [name, value] : response.headers) EXPECT_FALSE(contains(value, GetParam().secret)) << name;

  std::string request_id = response.header("x-request-id");
  ASSERT_FALSE(request_id.empty());
  // The log line names the request id and carries the details.
  bool logged = wait_until([&] {
    std::string log = server.log();
    size_t at = log.find(request_id);
    return at != std::string::npos && log.find(GetParam().secret, at) != std::string::npos;
  });
  EXPECT_TRUE(logged) << "request id " << request_id << "\nlog:\n" << server.log();
}

INSTANTIATE_TEST_SUITE_P(
    Failures, HandlerFailureTest,
    ::testing::Values(
        FailureCase{"Throws", "export default async () => { throw new Error('kaboom-7f3a secret detail'); };",
                    "kaboom-7f3a"},
        FailureCase{"ThrowsSynchronously", "export default function () { throw new TypeError('sync-9b1c broke'); }",
                    "sync-9b1c"},
        FailureCase{"RejectsAfterAwait",
                    "export default async () => { await new Promise(r => setTimeout(r, 5));"
                    " return Promise.reject(new Error('late-4d2e rejection')); };",
                    "late-4d2e"},
        FailureCase{"ThrowsANonError", "export default async () => { throw 'plain-string-8c7a'; };",
                    "plain-string-8c7a"},
        FailureCase{"ReferenceError", "export default async () => undefinedVariable_5e6f.x;", "undefinedVariable_5e6f"}),
    [](const ::testing::TestParamInfo<FailureCase>& info) { return std::string(info.param.name); });

struct MalformedCase {
  const char* name;
  std::string returned;  // JS expression the handler returns
  int status = 500;      // 502: a status or header the platform refuses to send (policy)
};

class MalformedReturnTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedReturnTest, AnswersAGenericError) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data");
  ASSERT_TRUE(server.started()) << server.log();
  auto deployed = server.deploy(
      one_function_bundle(kId, "malformed", "export default async () => (" + GetParam().returned + ");"));
  ASSERT_EQ(deployed.status, 201) << deployed.body;

  auto response = http_get(server.port(), kUrl);
  EXPECT_EQ(response.status, GetParam().status) << response.body;
  EXPECT_FALSE(contains(response.body, "x-a")) << response.body;
  std::string request_id = response.header("x-request-id");
  EXPECT_TRUE(wait_until([&] { return contains(server.log(), request_id); })) << server.log();
}

INSTANTIATE_TEST_SUITE_P(
    Returns, MalformedReturnTest,
    ::testing::Values(MalformedCase{"Number", "42"}, MalformedCase{"String", "'just text'"},
                      MalformedCase{"Undefined", "undefined"}, MalformedCase{"Null", "null"},
                      MalformedCase{"StatusTooLow", "{ status: 99, body: 'x' }", 502},
                      MalformedCase{"StatusTooHigh", "{ status: 600, body: 'x' }", 502},
                      MalformedCase{"StatusNotANumber", "{ status: 'ok', body: 'x' }", 502},
                      MalformedCase{"HeadersNotAnObject", "{ status: 200, headers: 'x: y', body: 'x' }"},
                      MalformedCase{"HeaderValueNotAString", "{ status: 200, headers: { 'x-a': { b: 1 } }, body: 'x' }"},
                      MalformedCase{"HeaderValueWithNewline",
                                    "{ status: 200, headers: { 'x-a': 'ok\\r\\nset-cookie: evil=1' }, body: 'x' }", 502},
                      MalformedCase{"BodyIsAFunction", "{ status: 200, body: () => 1 }"}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return std::string(info.param.name); });

class HandlerResponseTest : public ::testing::Test {
 protected:
  TempDir dir;
  ServerProcess server{dir.path() + "/data"};

  void SetUp() override { ASSERT_TRUE(server.started()) << server.log(); }

  HttpResult serve(const std::string& source) {
    auto deployed = server.deploy(one_function_bundle(kId, "responder", source));
    EXPECT_TRUE(deployed.status == 201 || deployed.status == 200) << deployed.body;
    return http_get(server.port(), kUrl);
  }
};

TEST_F(HandlerResponseTest, StatusHeadersAndBodyAreSentAsReturned) {
  auto response = serve(
      "export default async () => ({ status: 418, headers: { 'content-type': 'text/x-tea', 'x-custom': 'yes' },"
      " body: 'short and stout' });");
  EXPECT_EQ(response.status, 418);
  EXPECT_EQ(response.header("content-type"), "text/x-tea");
  EXPECT_EQ(response.header("x-custom"), "yes");
  EXPECT_EQ(response.body, "short and stout");
}

TEST_F(HandlerResponseTest, StatusDefaultsTo200) {
  auto response = serve("export default async () => ({ body: 'fine' });");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "fine");
}

TEST_F(HandlerResponseTest, PlainObjectBodyIsSentAsJson) {
  auto response = serve("export default async () => ({ body: { answer: 42, list: [1, 'two'] } });");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-type"), "application/json");
  auto body = parse_json(response.body);
  EXPECT_EQ(json_int(body, "answer"), 42);
}

TEST_F(HandlerResponseTest, ArrayOfSetCookieValuesBecomesSeveralHeaders) {
  std::string a = std::string("agt_") + kId + "_a=1; Path=/agents/" + kId + "/; HttpOnly; SameSite=Lax";
  std::string b = std::string("agt_") + kId + "_b=2; Path=/agents/" + kId + "/; HttpOnly; SameSite=Lax";
  auto response = serve("export default async () => ({ headers: { 'set-cookie': ['" + a + "', '" + b + "'] }, body: 'ok' });");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers_named("set-cookie"), (std::vector<std::string>{a, b}));
}

TEST_F(HandlerResponseTest, Uint8ArrayBodyIsSentAsBytes) {
  auto response = serve("export default async () => ({ body: new Uint8Array([104, 105, 0, 255]) });");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, std::string("hi\0\xff", 4));
}

TEST_F(HandlerResponseTest, FailureOfOneRequestDoesNotBreakTheNext) {
  auto failing = serve(
      "export default async (ctx) => {"
      "  if (new URL(ctx.request.url).searchParams.has('fail')) throw new Error('asked to');"
      "  return { body: 'recovered' };"
      "};");
  EXPECT_EQ(failing.status, 200);
  EXPECT_EQ(http_get(server.port(), kUrl + "?fail=1").status, 500);
  auto next = http_get(server.port(), kUrl);
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, "recovered");
}

TEST_F(HandlerResponseTest, ModuleThatThrowsAtTopLevelIsRejectedAtDeploy) {
  // Deploy loads the module exactly as it will be served, so a throwing top level is caught there.
  auto deployed = server.deploy(one_function_bundle(kId, "startup", "throw new Error('top-level-3c9d');\n"
                                                                    "export default async () => ({ body: 'x' });"));
  EXPECT_EQ(deployed.status, 400) << deployed.body;
  EXPECT_TRUE(contains(error_message(deployed.body), "app.js")) << deployed.body;
}

}  // namespace
}  // namespace agentgate::testing
