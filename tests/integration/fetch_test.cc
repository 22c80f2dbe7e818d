// fetch() through the real server against real providers on loopback: a plain HTTP one and HTTPS
// ones with certificates made by OpenSSL during the test. Destinations that are not loopback are
// in egress_namespace_test.cc, which runs them inside a network namespace with only loopback.
#include <gtest/gtest.h>

#include <future>
#include <memory>

#include "tests/support/agent_fixtures.h"
#include "tests/support/fetch_agent.h"
#include "tests/support/provider_server.h"
#include "tests/support/test_pki.h"

namespace agentgate::testing {
namespace {

using boost::json::value;

class FetchTest : public ::testing::Test {
 protected:
  // One set of providers and one server for the suite: each test only reads through them.
  static void SetUpTestSuite() {
    pki = new TestPki();
    ASSERT_TRUE(pki->ok()) << pki->error();
    plain = new ProviderServer();
    unlisted = new ProviderServer();
    v6 = new ProviderServer(std::nullopt, "::1");
    https = new ProviderServer(TlsIdentity{pki->server_cert(), pki->server_key()});
    untrusted = new ProviderServer(TlsIdentity{pki->untrusted_cert(), pki->untrusted_key()});
    wrong_host = new ProviderServer(TlsIdentity{pki->wrong_host_cert(), pki->wrong_host_key()});
    dir = new TempDir();
    server = new ServerProcess(dir->path() + "/data",
                               {"--workers", "1", "--egress-allow", "127.0.0.1:" + port(*plain),
                                "--egress-allow", "localhost:" + port(*https), "--egress-allow", "127.0.0.1:" + port(*https),
                                "--egress-allow", "localhost:" + port(*untrusted), "--egress-allow",
                                "localhost:" + port(*wrong_host), "--extra-ca-file", pki->ca_cert(),
                                "--fetch-timeout-ms", "2000", "--fetch-max-response-bytes", "200000"});
    ASSERT_TRUE(server->started()) << server->log();
    ASSERT_EQ(deploy_fetch_agent(*server), 201);
  }
  static void TearDownTestSuite() {
    delete server;
    delete dir;
    delete wrong_host;
    delete untrusted;
    delete https;
    delete v6;
    delete unlisted;
    delete plain;
    delete pki;
  }
  void SetUp() override {
    if (!server || !server->started()) GTEST_SKIP() << "the suite's server did not start";
  }

  static std::string port(const ProviderServer& provider) { return std::to_string(provider.port()); }
  static std::string plain_url(const std::string& path) { return "http://127.0.0.1:" + port(*plain) + path; }
  static value fetch(const std::string& mode, const std::string& url, const std::string& extra = "") {
    return fetch_through_agent(*server, mode, url, extra);
  }
  // The provider's echo of the request, from a fetch's body.
  static value echoed(const value& result) { return parse_json(json_string(result, "body")); }
  static std::string header(const value& echo, const std::string& name) {
    return echo.is_object() && echo.as_object().contains("headers") ? json_string(echo.at("headers"), name) : "";
  }

  static inline TestPki* pki = nullptr;
  static inline ProviderServer* plain = nullptr;      // admitted as 127.0.0.1:<port>
  static inline ProviderServer* unlisted = nullptr;   // on 127.0.0.1, not admitted
  static inline ProviderServer* v6 = nullptr;         // on ::1, not admitted
  static inline ProviderServer* https = nullptr;      // certificate by the test CA, admitted by name and address
  static inline ProviderServer* untrusted = nullptr;  // certificate by a CA the server does not trust
  static inline ProviderServer* wrong_host = nullptr; // certificate by the test CA for wrong.example
  static inline TempDir* dir = nullptr;
  static inline ServerProcess* server = nullptr;
};

TEST_F(FetchTest, AGetReachesTheProviderWithItsOwnHostAndDefaultHeaders) {
  value result = fetch("get", plain_url("/echo?x=1"));
  ASSERT_EQ(json_int(result, "status"), 200) << result;
  EXPECT_EQ(json_string(result, "statusText"), "OK");
  EXPECT_TRUE(result.at("ok").as_bool());
  EXPECT_TRUE(result.at("isResponse").as_bool());
  EXPECT_EQ(json_string(result, "url"), plain_url("/echo?x=1"));
  EXPECT_FALSE(result.at("redirected").as_bool());
  EXPECT_EQ(json_string(result.at("headers"), "content-type"), "application/json");
  value echo = echoed(result);
  EXPECT_EQ(json_string(echo, "method"), "GET");
  EXPECT_EQ(json_string(echo, "target"), "/echo?x=1");
  EXPECT_EQ(header(echo, "host"), "127.0.0.1:" + port(*plain));
  EXPECT_EQ(header(echo, "user-agent"), "agentgate");
  EXPECT_EQ(header(echo, "accept"), "*/*");
  EXPECT_EQ(header(echo, "content-length"), "");
}

TEST_F(FetchTest, AFormBodyIsSentUrlEncodedAsTokenEndpointsRequire) {
  value echo = echoed(fetch("form", plain_url("/echo/token")));
  EXPECT_EQ(json_string(echo, "method"), "POST");
  EXPECT_EQ(header(echo, "content-type"), "application/x-www-form-urlencoded;charset=UTF-8");
  EXPECT_EQ(json_string(echo, "body"), "grant_type=authorization_code&code=a+b%26c");
  EXPECT_EQ(header(echo, "content-length"), "42");
}

TEST_F(FetchTest, AJsonBodyAndTheHandlersHeadersGoAsGivenButHostIsTheServers) {
  value echo = echoed(fetch("json-body", plain_url("/echo")));
  EXPECT_EQ(json_string(echo, "method"), "PUT");
  EXPECT_EQ(header(echo, "content-type"), "application/json");
  EXPECT_EQ(header(echo, "authorization"), "Bearer tok");
  EXPECT_EQ(header(echo, "host"), "127.0.0.1:" + port(*plain));
  EXPECT_EQ(json_string(echo, "body"), R"({"a":1})");
}

TEST_F(FetchTest, ABytesBodyArrivesIntact) {
  value echo = echoed(fetch("bytes", plain_url("/echo")));
  EXPECT_EQ(json_string(echo, "method"), "POST");
  EXPECT_EQ(json_string(echo, "body"), "hi!");
  EXPECT_EQ(header(echo, "content-length"), "3");
}

TEST_F(FetchTest, JsonAndArrayBufferReadTheResponseBody) {
  value json = fetch("json", plain_url("/json")).at("json");
  EXPECT_EQ(json_int(json, "n"), 42);
  EXPECT_EQ(json_string(json, "text"), "h\xc3\xa9llo");
  EXPECT_EQ(json_int(fetch("buffer", plain_url("/bytes?n=100000")), "length"), 100000);
  EXPECT_EQ(json_int(fetch("buffer", plain_url("/chunked?n=70000")), "length"), 70000);
}

TEST_F(FetchTest, ResponseHeadersKeepEverySetCookie) {
  value result = fetch("get", plain_url("/cookies"));
  EXPECT_EQ(boost::json::serialize(result.at("setCookies")), R"(["a=1; Path=/","b=2"])");
  EXPECT_EQ(json_string(result.at("headers"), "x-custom"), "yes");
}

TEST_F(FetchTest, StatusesAndHeadArePassedThrough) {
  value missing = fetch("get", plain_url("/status/404"));
  EXPECT_EQ(json_int(missing, "status"), 404);
  EXPECT_FALSE(missing.at("ok").as_bool());
  EXPECT_EQ(json_string(missing, "statusText"), "Not Found");
  EXPECT_EQ(json_string(missing, "body"), "status 404");
  value empty = fetch("get", plain_url("/status/204"));
  EXPECT_EQ(json_int(empty, "status"), 204);
  EXPECT_EQ(json_string(empty, "body"), "");
  value head = fetch("head", plain_url("/bytes?n=5000"));
  EXPECT_EQ(json_int(head, "status"), 200);
  EXPECT_EQ(json_string(head.at("headers"), "content-length"), "5000");
  EXPECT_EQ(json_string(head, "body"), "");
}

TEST_F(FetchTest, RedirectsAreFollowedUpToTheLimitOfFive) {
  value five = fetch("get", plain_url("/chain/5"));
  EXPECT_EQ(json_int(five, "status"), 200) << five;
  EXPECT_EQ(json_string(five, "body"), "end of chain");
  EXPECT_TRUE(five.at("redirected").as_bool());
  EXPECT_EQ(json_string(five, "url"), plain_url("/chain/0"));
  value six = fetch("get", plain_url("/chain/6"));
  EXPECT_EQ(fetch_error_code(six), "REDIRECT_FAILED") << six;
  EXPECT_EQ(json_string(six.at("error"), "name"), "TypeError");
}

TEST_F(FetchTest, SeeOtherAfterAPostTurnsIntoAGetWhileTemporaryRedirectKeepsThePost) {
  value after_303 = echoed(fetch("form", plain_url("/redirect?to=%2Fecho%2Fdone&status=303")));
  EXPECT_EQ(json_string(after_303, "method"), "GET");
  EXPECT_EQ(json_string(after_303, "target"), "/echo/done");
  EXPECT_EQ(json_string(after_303, "body"), "");
  value after_307 = echoed(fetch("form", plain_url("/redirect?to=%2Fecho%2Fdone&status=307")));
  EXPECT_EQ(json_string(after_307, "method"), "POST");
  EXPECT_EQ(json_string(after_307, "body"), "grant_type=authorization_code&code=a+b%26c");
}

TEST_F(FetchTest, ManualRedirectModeReturnsTheRedirectItself) {
  value result = fetch("manual", plain_url("/redirect?to=%2Fjson"));
  EXPECT_EQ(json_int(result, "status"), 302) << result;
  EXPECT_EQ(json_string(result.at("headers"), "location"), "/json");
  EXPECT_FALSE(result.at("redirected").as_bool());
}

TEST_F(FetchTest, ErrorRedirectModeRejects) {
  value result = fetch("error", plain_url("/redirect?to=%2Fjson"));
  EXPECT_EQ(fetch_error_code(result), "REDIRECT_FAILED") << result;
  EXPECT_EQ(json_int(fetch("error", plain_url("/json")), "status"), 200);  // not a redirect: no error
}

TEST_F(FetchTest, ASlowProviderTimesOut) {
  value result = fetch("get", plain_url("/slow?ms=6000"));
  EXPECT_EQ(fetch_error_code(result), "FETCH_TIMEOUT") << result;
  EXPECT_EQ(json_string(result.at("error"), "name"), "TypeError");
  EXPECT_NE(json_string(result.at("error"), "message").find("2000 ms"), std::string::npos) << result;
}

TEST_F(FetchTest, AResponseOverTheSizeLimitIsRefused) {
  EXPECT_EQ(json_int(fetch("buffer", plain_url("/bytes?n=200000")), "length"), 200000);
  EXPECT_EQ(fetch_error_code(fetch("get", plain_url("/bytes?n=200001"))), "RESPONSE_TOO_LARGE");
  EXPECT_EQ(fetch_error_code(fetch("get", plain_url("/chunked?n=300000"))), "RESPONSE_TOO_LARGE");
}

TEST_F(FetchTest, AnAbortRejectsWithTheSignalsReasonAndClosesTheConnection) {
  value aborted = fetch("abort", plain_url("/hang"));
  EXPECT_EQ(json_string(aborted.at("error"), "name"), "AbortError") << aborted;
  value timed_out = fetch("timeout-signal", plain_url("/hang"));
  EXPECT_EQ(json_string(timed_out.at("error"), "name"), "TimeoutError") << timed_out;
  // /hang holds a connection until its client closes it (or 60 s pass).
  EXPECT_TRUE(wait_until([] { return plain->open_connections() == 0; }, std::chrono::seconds(5)))
      << plain->open_connections() << " connections still open";
}

TEST_F(FetchTest, AFetchStillRunningWhenTheRequestEndsIsCancelled) {
  size_t before = plain->requests_seen();
  value result = fetch("forget", plain_url("/hang"));
  EXPECT_TRUE(result.at("returned").as_bool()) << result;
  ASSERT_TRUE(wait_until([&] { return plain->requests_seen() > before; }));
  EXPECT_TRUE(wait_until([] { return plain->open_connections() == 0; }, std::chrono::seconds(5)))
      << "the handler returned; its fetch should have been cancelled";
}

TEST_F(FetchTest, AnAwaitedFetchHoldsNoThread) {
  // One worker: while its only thread waits for a slow provider, it still serves other requests.
  size_t before = plain->requests_seen();
  auto slow = std::async(std::launch::async, [] { return fetch("get", plain_url("/slow?ms=1500")); });
  ASSERT_TRUE(wait_until([&] { return plain->requests_seen() > before; }));
  auto ping = http_get(server->port(), std::string("/agents/") + kFetchAgentId + "/app/?mode=ping");
  EXPECT_EQ(ping.status, 200);
  EXPECT_EQ(slow.wait_for(std::chrono::seconds(0)), std::future_status::timeout) << "the slow fetch ended before the ping";
  EXPECT_EQ(json_string(slow.get(), "body"), "slow");
}

TEST_F(FetchTest, AtMostFiftyFetchesPerRequest) {
  value result = fetch("count", plain_url("/json"), "&n=51");
  EXPECT_EQ(json_int(result, "ok"), 50) << result;
  EXPECT_EQ(json_string(result.at("last"), "code"), "LIMIT_EXCEEDED");
}

TEST_F(FetchTest, HttpsVerifiesTheCertificateAgainstTheExtraCaByNameAndByAddress) {
  value by_name = fetch("json", "https://localhost:" + port(*https) + "/json");
  EXPECT_EQ(json_int(by_name.at("json"), "n"), 42) << by_name;
  value by_address = fetch("json", "https://127.0.0.1:" + port(*https) + "/json");
  EXPECT_EQ(json_int(by_address.at("json"), "n"), 42) << by_address;
}

TEST_F(FetchTest, ACertificateFromAnUnknownCaIsRefused) {
  value result = fetch("get", "https://localhost:" + port(*untrusted) + "/json");
  EXPECT_EQ(fetch_error_code(result), "TLS_ERROR") << result;
  EXPECT_NE(json_string(result.at("error"), "message").find("certificate"), std::string::npos) << result;
  EXPECT_EQ(untrusted->requests_seen(), 0u);
}

TEST_F(FetchTest, ACertificateForAnotherHostIsRefused) {
  value result = fetch("get", "https://localhost:" + port(*wrong_host) + "/json");
  EXPECT_EQ(fetch_error_code(result), "TLS_ERROR") << result;
  EXPECT_NE(json_string(result.at("error"), "message").find("mismatch"), std::string::npos) << result;
  EXPECT_EQ(wrong_host->requests_seen(), 0u);
}

TEST_F(FetchTest, TheGuardRefusesLoopbackUnlessTheExactHostAndPortAreAdmitted) {
  std::string unlisted_url = "http://127.0.0.1:" + port(*unlisted) + "/echo";
  std::string v6_url = "http://[::1]:" + port(*v6) + "/echo";
  const std::vector<std::string> refused = {
      unlisted_url,
      v6_url,
      "http://[::ffff:127.0.0.1]:" + port(*plain) + "/echo",  // the admitted address, in another form
      "http://localhost:" + port(*plain) + "/echo",           // the admitted address, by name
      "http://127.0.0.2:" + port(*plain) + "/echo",
      "http://[::ffff:7f00:1]:" + port(*plain) + "/echo",
      plain_url("/redirect?to=" + percent_encode(unlisted_url)),  // a redirect is checked like the first hop
      plain_url("/redirect?to=" + percent_encode(v6_url)),
  };
  for (const std::string& url : refused) {
    value result = fetch("get", url);
    EXPECT_EQ(fetch_error_code(result), "EGRESS_DENIED") << url << ": " << result;
    EXPECT_EQ(json_string(result.at("error"), "name"), "TypeError") << url;
    EXPECT_NE(json_string(result.at("error"), "message").find("not allowed"), std::string::npos) << url;
  }
  EXPECT_EQ(unlisted->connections_seen(), 0u);
  EXPECT_EQ(v6->connections_seen(), 0u);
  EXPECT_EQ(json_int(fetch("get", plain_url("/json")), "status"), 200);  // while the admitted one works
}

TEST_F(FetchTest, ARefusalIsInTheOwnerConsole) {
  std::string url = "http://127.0.0.1:" + port(*unlisted) + "/secret-path?token=abc123";
  ASSERT_EQ(fetch_error_code(fetch("get", url)), "EGRESS_DENIED");
  auto reply = server->admin("GET", std::string("/_admin/v1/agents/") + kFetchAgentId + "/console?limit=1000");
  ASSERT_EQ(reply.status, 200) << reply.body;
  size_t found = 0;
  value console = parse_json(reply.body);
  for (const auto& entry : console.at("entries").as_array()) {
    if (entry.at("code").as_string() != "EGRESS_DENIED") continue;  // (other tests' refusals are here too)
    EXPECT_EQ(entry.at("level").as_string(), "warn");
    EXPECT_EQ(entry.at("function").as_string(), "app");
    std::string message(entry.at("message").as_string());
    if (message.find("127.0.0.1 is a loopback") != std::string::npos) ++found;
    EXPECT_EQ(message.find("abc123"), std::string::npos) << "the URL's query is not logged: " << message;
  }
  EXPECT_GE(found, 1u) << reply.body;
}

TEST_F(FetchTest, PortsTheFetchStandardBlocksAreRefused) {
  for (const char* url : {"http://127.0.0.1:25/", "https://127.0.0.1:22/", "http://localhost:6667/"}) {
    value result = fetch("get", url);
    EXPECT_EQ(fetch_error_code(result), "EGRESS_DENIED") << url << ": " << result;
    EXPECT_NE(json_string(result.at("error"), "message").find("port"), std::string::npos) << result;
  }
}

TEST_F(FetchTest, ARefusedNameDoesNotRevealTheAddressItResolvesTo) {
  value result = fetch("get", "http://localhost:" + port(*unlisted) + "/");
  std::string message = json_string(result.at("error"), "message");
  EXPECT_NE(message.find("localhost resolves to a loopback"), std::string::npos) << message;
  EXPECT_EQ(message.find("127.0.0.1"), std::string::npos) << message;
  EXPECT_EQ(message.find("::1"), std::string::npos) << message;
}

TEST_F(FetchTest, AQueryWithBracketsAndBracesIsSentEncodedAsBrowsersDo) {
  value echo = echoed(fetch("get", plain_url("/echo?filter[name]={v}&q=%41")));
  EXPECT_EQ(json_string(echo, "target"), "/echo?filter%5Bname%5D=%7Bv%7D&q=%41");
}

// A server of its own, with room for two fetches in flight on its one worker.
TEST(FetchInFlightLimit, AFetchBeyondTheWorkersLimitIsRefusedAndTheOthersComplete) {
  ProviderServer provider;
  TempDir dir;
  ServerProcess server(dir.path() + "/data", {"--workers", "1", "--fetch-max-in-flight", "2", "--egress-allow",
                                              "127.0.0.1:" + std::to_string(provider.port())});
  ASSERT_TRUE(server.started()) << server.log();
  ASSERT_EQ(deploy_fetch_agent(server), 201);
  std::string url = "http://127.0.0.1:" + std::to_string(provider.port()) + "/slow?ms=300";
  value result = fetch_through_agent(server, "parallel", url, "&n=3");
  EXPECT_EQ(boost::json::serialize(result.at("outcomes")), R"([200,200,"LIMIT_EXCEEDED"])") << result;
  // Once they are done, there is room again.
  EXPECT_EQ(boost::json::serialize(fetch_through_agent(server, "parallel", url, "&n=2").at("outcomes")), "[200,200]");
}

TEST_F(FetchTest, UrlsOutsideHttpAreRefusedWithAClearError) {
  value result = fetch("get", "ftp://127.0.0.1:" + port(*plain) + "/x");
  EXPECT_EQ(fetch_error_code(result), "INVALID_URL") << result;
  EXPECT_NE(json_string(result.at("error"), "message").find("http: and https:"), std::string::npos);
}

}  // namespace
}  // namespace agentgate::testing
