// Self-check of the support code for outbound-fetch tests: TestPki's certificates (checked with
// `openssl verify`) and ProviderServer's routes, spoken to by the Beast test client over plain HTTP
// and by curl over TLS.
#include "tests/support/provider_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "tests/support/agent_fixtures.h"
#include "tests/support/command_runner.h"
#include "tests/support/http_client.h"
#include "tests/support/test_pki.h"

namespace agentgate::testing {
namespace {

using namespace std::chrono_literals;

// One PKI for the whole binary: openssl takes ~100 ms to make it.
const TestPki& pki() {
  static const TestPki shared;
  return shared;
}

TlsIdentity localhost_identity() { return {pki().server_cert(), pki().server_key()}; }

// curl with a short overall limit; `args` follow "-sS --max-time 5".
CommandResult curl(std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/curl", "-sS", "--max-time", "5"});
  return run_command(args, {}, 10s);
}

// curl arguments that reach https://localhost:<port><target> on 127.0.0.1, trusting `ca_file`.
std::vector<std::string> https_localhost(uint16_t port, const std::string& target, const std::string& ca_file) {
  std::string authority = "localhost:" + std::to_string(port);
  return {"--cacert", ca_file, "--resolve", authority + ":127.0.0.1", "https://" + authority + target};
}

TEST(ProviderServer, PkiLeavesVerifyOnlyAgainstTheirCaAndNames) {
  ASSERT_TRUE(pki().ok()) << pki().error();
  struct Case {
    const char* name;
    std::string ca;
    std::string leaf;
    std::vector<std::string> checks;
    bool verifies;
  };
  const Case cases[] = {
      {"server leaf, test CA", pki().ca_cert(), pki().server_cert(), {}, true},
      {"server leaf as localhost", pki().ca_cert(), pki().server_cert(), {"-verify_hostname", "localhost"}, true},
      {"server leaf as 127.0.0.1", pki().ca_cert(), pki().server_cert(), {"-verify_ip", "127.0.0.1"}, true},
      {"server leaf as ::1", pki().ca_cert(), pki().server_cert(), {"-verify_ip", "::1"}, true},
      {"server leaf, other CA", pki().other_ca_cert(), pki().server_cert(), {}, false},
      {"wrong-host leaf, test CA", pki().ca_cert(), pki().wrong_host_cert(), {}, true},
      {"wrong-host leaf as localhost", pki().ca_cert(), pki().wrong_host_cert(), {"-verify_hostname", "localhost"}, false},
      {"untrusted leaf, test CA", pki().ca_cert(), pki().untrusted_cert(), {}, false},
      {"untrusted leaf, other CA", pki().other_ca_cert(), pki().untrusted_cert(), {"-verify_hostname", "localhost"}, true},
  };
  for (const auto& row : cases) {
    SCOPED_TRACE(row.name);
    std::vector<std::string> args = {"/usr/bin/openssl", "verify", "-purpose", "sslserver", "-CAfile", row.ca};
    args.insert(args.end(), row.checks.begin(), row.checks.end());
    args.push_back(row.leaf);
    auto result = run_command(args);
    EXPECT_EQ(result.exit_code == 0, row.verifies) << result.out << result.err;
  }
}

TEST(ProviderServer, EchoReturnsMethodTargetHeadersAndBody) {
  ProviderServer server;
  auto reply = http_request(server.port(), {.method = "POST",
                                            .target = "/echo/deep?x=1",
                                            .headers = {{"X-Twice", "a"}, {"x-twice", "b"}},
                                            .body = "hello"});
  ASSERT_EQ(reply.status, 200) << reply.error;
  EXPECT_EQ(reply.header("content-type"), "application/json");
  auto echo = parse_json(reply.body);
  ASSERT_TRUE(echo.is_object()) << reply.body;
  EXPECT_EQ(json_string(echo, "method"), "POST");
  EXPECT_EQ(json_string(echo, "target"), "/echo/deep?x=1");
  EXPECT_EQ(json_string(echo, "body"), "hello");
  EXPECT_EQ(json_string(echo.as_object()["headers"], "x-twice"), "a, b") << reply.body;
}

TEST(ProviderServer, RoutesAnswerAsSpecified) {
  struct Case {
    const char* name;
    std::string target;
    int status;
    std::string body;
    std::string header = "";  // checked when named
    std::string value = "";
  };
  const Case cases[] = {
      {"json", "/json", 200, "{\"ok\":true,\"n\":42,\"text\":\"h\xC3\xA9llo\"}", "content-type", "application/json"},
      {"status with body", "/status/418", 418, "status 418"},
      {"204 has no body", "/status/204", 204, ""},
      {"status not a number", "/status/abc", 400, "bad status"},
      {"relative redirect, default 302", "/redirect?to=%2Fjson", 302, "", "location", "/json"},
      {"absolute redirect, 307", "/redirect?to=https%3A%2F%2Fexample.com%2Fa%3Fb%3Dc&status=307", 307, "", "location",
       "https://example.com/a?b=c"},
      {"chain step", "/chain/3", 302, "", "location", "/chain/2"},
      {"chain end", "/chain/0", 200, "end of chain"},
      {"slow", "/slow?ms=20", 200, "slow"},
      {"cookies", "/cookies", 200, "cookies", "x-custom", "yes"},
      {"unknown path", "/nowhere", 404, "not found"},
  };
  ProviderServer server;
  for (const auto& row : cases) {
    SCOPED_TRACE(row.name);
    auto reply = http_get(server.port(), row.target);
    EXPECT_EQ(reply.status, row.status) << reply.error;
    EXPECT_EQ(reply.body, row.body);
    if (!row.header.empty()) {
      EXPECT_EQ(reply.header(row.header), row.value);
    }
  }
  auto cookies = http_get(server.port(), "/cookies");
  EXPECT_EQ(cookies.headers_named("set-cookie"), (std::vector<std::string>{"a=1; Path=/", "b=2"}));
}

TEST(ProviderServer, BytesAndChunkedBodiesHaveTheRequestedLength) {
  ProviderServer server;
  auto bytes = http_get(server.port(), "/bytes?n=100000");
  ASSERT_EQ(bytes.status, 200) << bytes.error;
  EXPECT_EQ(bytes.header("content-length"), "100000");
  EXPECT_EQ(bytes.body, std::string(100000, 'x'));
  auto chunked = http_get(server.port(), "/chunked?n=100000");
  ASSERT_EQ(chunked.status, 200) << chunked.error;
  EXPECT_EQ(chunked.header("transfer-encoding"), "chunked");
  EXPECT_EQ(chunked.body, std::string(100000, 'x'));
}

TEST(ProviderServer, KeepAliveConnectionCarriesSeveralRequests) {
  ProviderServer server;
  HttpConnection connection(server.port());
  ASSERT_TRUE(connection.connected());
  HttpRequestSpec first, second;
  first.target = "/json";
  second.target = "/status/201";
  EXPECT_EQ(connection.request(first).status, 200);
  EXPECT_EQ(connection.request(second).status, 201);
  EXPECT_EQ(server.connections_seen(), 1u);
  EXPECT_EQ(server.requests_seen(), 2u);
}

TEST(ProviderServer, TlsServesClientsThatTrustTheTestCa) {
  ASSERT_TRUE(pki().ok()) << pki().error();
  ProviderServer server(localhost_identity());
  auto args = https_localhost(server.port(), "/echo", pki().ca_cert());
  args.insert(args.end(), {"-X", "PUT", "--data-binary", "over tls"});
  auto echo = curl(args);
  ASSERT_EQ(echo.exit_code, 0) << echo.err;
  EXPECT_EQ(json_string(parse_json(echo.out), "method"), "PUT");
  EXPECT_EQ(json_string(parse_json(echo.out), "body"), "over tls");

  auto redirect = curl({"--cacert", pki().ca_cert(), "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                        "https://127.0.0.1:" + std::to_string(server.port()) + "/redirect?to=%2Fjson&status=301"});
  ASSERT_EQ(redirect.exit_code, 0) << redirect.err;
  EXPECT_EQ(redirect.out, "301 https://127.0.0.1:" + std::to_string(server.port()) + "/json");
}

TEST(ProviderServer, TlsOnIpv6Loopback) {
  ASSERT_TRUE(pki().ok()) << pki().error();
  std::unique_ptr<ProviderServer> server;
  try {
    server = std::make_unique<ProviderServer>(localhost_identity(), "::1");
  } catch (const std::exception& e) {
    GTEST_SKIP() << "no IPv6 loopback: " << e.what();
  }
  auto reply = curl({"--cacert", pki().ca_cert(), "-g", "https://[::1]:" + std::to_string(server->port()) + "/chunked?n=40000"});
  ASSERT_EQ(reply.exit_code, 0) << reply.err;
  EXPECT_EQ(reply.out, std::string(40000, 'x'));
}

TEST(ProviderServer, FailedTlsHandshakesLeaveTheServerServing) {
  ASSERT_TRUE(pki().ok()) << pki().error();
  struct Case {
    const char* name;
    TlsIdentity identity;
    std::string trusted_ca;  // a client trusting this (with the right name) succeeds afterwards
    std::string good_host;
  };
  const Case cases[] = {
      {"leaf signed by the other CA", {pki().untrusted_cert(), pki().untrusted_key()}, pki().other_ca_cert(),
       "localhost"},
      {"leaf for wrong.example", {pki().wrong_host_cert(), pki().wrong_host_key()}, pki().ca_cert(), "wrong.example"},
  };
  for (const auto& row : cases) {
    SCOPED_TRACE(row.name);
    ProviderServer server(row.identity);
    auto refused = curl(https_localhost(server.port(), "/json", pki().ca_cert()));
    EXPECT_EQ(refused.exit_code, 60) << refused.err;  // CURLE_PEER_FAILED_VERIFICATION
    std::string authority = row.good_host + ":" + std::to_string(server.port());
    auto served = curl({"--cacert", row.trusted_ca, "--resolve", authority + ":127.0.0.1",
                        "https://" + authority + "/status/202"});
    EXPECT_EQ(served.exit_code, 0) << served.err;
    EXPECT_EQ(served.out, "status 202");
    EXPECT_EQ(server.connections_seen(), 2u);
    EXPECT_EQ(server.requests_seen(), 1u);
  }
}

TEST(ProviderServer, ClientThatLeavesMidRequestDoesNotDisturbOthers) {
  ProviderServer server;
  auto partial = raw_exchange_until_close(
      server.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part", 100ms);
  EXPECT_EQ(partial.bytes, "");
  EXPECT_EQ(http_get(server.port(), "/json").status, 200);
  EXPECT_EQ(server.requests_seen(), 1u);
}

// The destructor must not wait for clients parked in /hang or /slow, nor for a TLS client that
// connected and never sent its handshake.
TEST(ProviderServer, DestructionIsPromptWhileClientsWait) {
  ASSERT_TRUE(pki().ok()) << pki().error();
  auto plain = std::make_unique<ProviderServer>();
  auto tls = std::make_unique<ProviderServer>(localhost_identity());
  uint16_t plain_port = plain->port();  // the clients must not touch the servers being destroyed
  uint16_t tls_port = tls->port();
  RawReply hung, slow, silent;
  CommandResult tls_hung;
  std::thread clients[] = {
      std::thread([&] { hung = raw_exchange_until_close(plain_port, "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n", 10s); }),
      std::thread([&] {
        slow = raw_exchange_until_close(plain_port, "GET /slow?ms=10000 HTTP/1.1\r\nHost: x\r\n\r\n", 10s);
      }),
      std::thread([&] { silent = raw_exchange_until_close(tls_port, "", 10s); }),
      std::thread([&] { tls_hung = curl(https_localhost(tls_port, "/hang", pki().ca_cert())); }),
  };
  EXPECT_TRUE(wait_until([&] { return plain->requests_seen() == 2 && tls->requests_seen() == 1; }, 3s));
  EXPECT_EQ(tls->connections_seen(), 2u);

  auto started = std::chrono::steady_clock::now();
  plain.reset();
  tls.reset();
  auto took = std::chrono::steady_clock::now() - started;
  for (auto& client : clients) client.join();
  EXPECT_LT(took, 1s);
  EXPECT_TRUE(hung.closed_by_server);
  EXPECT_EQ(hung.bytes, "");
  EXPECT_TRUE(slow.closed_by_server);
  EXPECT_EQ(slow.bytes, "");
  EXPECT_TRUE(silent.closed_by_server);
  EXPECT_NE(tls_hung.exit_code, 0);  // the connection ended without a response
  EXPECT_NE(tls_hung.exit_code, 28) << "curl timed out instead";
}

}  // namespace
}  // namespace agentgate::testing
