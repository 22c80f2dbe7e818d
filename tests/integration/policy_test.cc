// The cookie and header policy through the real server: a handler's bad Set-Cookie or bad header
// turns its response into a generic 502 and one owner-console entry (and server log line) naming
// the cookie and rule, never the value; good cookies pass with advisories; each handler sees only
// its own agent's cookies; the security headers are added (HSTS only on an https origin); framing
// headers are dropped.
#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "policy/headers.h"
#include "tests/support/agent_fixtures.h"

namespace agentgate::testing {
namespace {

template <class Case>
  requires requires(const Case& row) { row.name; }
void PrintTo(const Case& row, std::ostream* out) {
  *out << row.name;
}

// A gtest-safe test name from a row's name.
auto test_name = [](const auto& info) {
  std::string name;
  for (char c : info.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
};

const std::string kA = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const std::string kB = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
const std::string kC = "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f";
const std::string kD = "4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f8a";  // sends no cookies of its own
const std::string kOwnA = "agt_" + kA + "_";
const std::string kSecret = "s3cr3t-9d41";        // cookie values: never in a log line
const std::string kHandlerBody = "HANDLER-BODY-5e0c";  // never in a refused response
const std::string kHandlerHeader = "HANDLER-HEADER-77af";
const std::string kRefusedBody = "502 Bad Gateway: the agent's response was refused by the platform's policy\n";

// POST /respond: answers with the response its JSON body describes, plus a marker header and body.
// GET /echo: answers with the cookie header it saw (null when there was none).
constexpr const char* kRespond = R"JS(
export default async (ctx) => {
  const spec = JSON.parse(ctx.request.body);
  const headers = Object.assign({ 'x-handler': 'HANDLER-HEADER-77af' }, spec.headers ?? {});
  return { status: spec.status, headers, body: spec.body ?? 'HANDLER-BODY-5e0c' };
};
)JS";
constexpr const char* kEcho = R"JS(
export default async (ctx) => ({ body: { cookie: ctx.request.headers['cookie'] ?? null } });
)JS";

Files bundle(const std::string& id, const std::string& slug) {
  auto function = [](const char* name, const char* method, const char* path, const char* module) {
    return boost::json::object{{"name", name},
                               {"endpoint", {{"methods", boost::json::array{method}}, {"path", path}}},
                               {"module", module},
                               {"auth", "none"}};
  };
  boost::json::object manifest{{"id", id},
                               {"slug", slug},
                               {"functions", boost::json::array{function("respond", "POST", "/respond/*", "respond.js"),
                                                                function("echo", "GET", "/echo/*", "echo.js")}}};
  return {{"agent.json", boost::json::serialize(manifest)}, {"respond.js", kRespond}, {"echo.js", kEcho}};
}

// The server log lines of one request that carry `code` ("... req=<id> CODE: message").
std::vector<std::string> log_lines(const std::string& log, const std::string& request_id, const std::string& code) {
  std::vector<std::string> out;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (contains(line, "req=" + request_id + " ") && contains(line, " " + code + ":")) out.push_back(line);
  }
  return out;
}

// What log::escaped makes of console text: its backslashes become \x5c.
std::string log_escaped(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '\\' ? std::string("\\x5c") : std::string(1, c);
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

// One owner-console entry, as GET /_admin/v1/agents/<id>/console shows it.
struct ConsoleRow {
  std::string level, code, function, message;
};

// One server for a suite: agents A, B, C and D deployed once.
class PolicyServer {
 public:
  explicit PolicyServer(std::vector<std::string> extra_args = {}) : server(dir.path() + "/data", std::move(extra_args)) {
    if (!server.started()) return;
    const std::vector<std::pair<std::string, std::string>> agents = {
        {kA, "alpha"}, {kB, "bravo"}, {kC, "charlie"}, {kD, "delta"}};
    for (const auto& [id, slug] : agents) {
      auto deployed = server.deploy(bundle(id, slug));
      if (deployed.status != 201) deploy_error += deployed.body;
    }
  }

  // The handler of agent A answers with `spec` (JSON: status, headers, body).
  HttpResult respond(const std::string& spec, const std::string& agent = kA) {
    HttpRequestSpec request;
    request.method = "POST";
    request.target = "/agents/" + agent + "/respond/";
    request.body = spec;
    request.headers = {{"content-type", "application/json"}};
    return http_request(server.port(), request);
  }

  // The console entries with `code` of the request `response` answered (waits a little for
  // `at_least` of them).
  std::vector<ConsoleRow> entries(const HttpResult& response, const std::string& code, size_t at_least = 1,
                                    const std::string& agent = kA) {
    std::string request_id = response.header("x-request-id");
    std::vector<ConsoleRow> found;
    wait_until(
        [&] {
          found.clear();
          auto reply = server.admin("GET", "/_admin/v1/agents/" + agent + "/console?limit=1000");
          auto body = parse_json(reply.body);
          if (reply.status != 200 || !body.is_object() || !body.as_object().contains("entries")) return false;
          for (const auto& entry : body.at("entries").as_array()) {
            if (json_string(entry, "requestId") != request_id || json_string(entry, "code") != code) continue;
            found.push_back({json_string(entry, "level"), json_string(entry, "code"), json_string(entry, "function"),
                             json_string(entry, "message")});
          }
          return found.size() >= at_least;
        },
        std::chrono::seconds(2));
    return found;
  }

  // The server log lines with `code` of the request `response` answered.
  std::vector<std::string> logged(const HttpResult& response, const std::string& code, size_t at_least = 1) {
    std::string request_id = response.header("x-request-id");
    wait_until([&] { return log_lines(server.log(), request_id, code).size() >= at_least; }, std::chrono::seconds(2));
    return log_lines(server.log(), request_id, code);
  }

  TempDir dir;
  ServerProcess server;
  std::string deploy_error;
};

// A response with one header `name` whose value is the JSON value `value_json`.
std::string with_header(const std::string& name, const std::string& value_json) {
  return R"({"headers":{")" + name + R"(":)" + value_json + "}}";
}
std::string json(const std::string& text) { return boost::json::serialize(boost::json::value(text)); }
std::string set_cookie(const std::string& cookie) { return with_header("set-cookie", json(cookie)); }
std::string set_cookies(const std::vector<std::string>& cookies) {
  boost::json::array values;
  for (const auto& cookie : cookies) values.emplace_back(cookie);
  return with_header("set-cookie", boost::json::serialize(values));
}

// The response a refused handler gets: 502, the generic body, nothing of the handler's.
void expect_refused(const HttpResult& response) {
  EXPECT_EQ(response.status, 502) << response.body;
  EXPECT_EQ(response.body, kRefusedBody);
  EXPECT_TRUE(response.headers_named("set-cookie").empty());
  for (const auto& [name, value] : response.headers) {
    EXPECT_FALSE(contains(value, kHandlerHeader)) << name;
    EXPECT_FALSE(contains(value, kSecret)) << name;
  }
  EXPECT_FALSE(response.header("x-request-id").empty());
}

// ---- one server with agents A-D for most tests ---------------------------------------------------

class PolicySharedServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shared = std::make_unique<PolicyServer>(); }
  static void TearDownTestSuite() { shared.reset(); }
  void SetUp() override {
    ASSERT_TRUE(shared->server.started()) << shared->server.log();
    ASSERT_TRUE(shared->deploy_error.empty()) << shared->deploy_error;
  }
  static std::unique_ptr<PolicyServer> shared;
};
std::unique_ptr<PolicyServer> PolicySharedServer::shared;

// ---- refused cookies ------------------------------------------------------------------------------

struct RefusedRow {
  std::string name;
  std::string spec;           // what the handler returns
  std::string cookie_name;    // as the console shows it
  std::string rule;
};

class PolicyRefusedCookie : public PolicySharedServer, public ::testing::WithParamInterface<RefusedRow> {};

TEST_P(PolicyRefusedCookie, Answers502WithOneEntryNamingTheCookieAndRule) {
  const RefusedRow& row = GetParam();
  auto response = shared->respond(row.spec);
  expect_refused(response);
  std::string expected = "cookie '" + row.cookie_name + "' broke rule " + row.rule;
  auto entries = shared->entries(response, "INVALID_SET_COOKIE");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(contains(entries[0].message, expected)) << entries[0].message;
  EXPECT_FALSE(contains(entries[0].message, kSecret)) << entries[0].message;
  EXPECT_EQ(entries[0].level, "error");
  EXPECT_EQ(entries[0].function, "respond");
  EXPECT_TRUE(shared->entries(response, "COOKIE_ADVISORY", 0).empty());
  EXPECT_TRUE(response.header("x-injected").empty());
  // The server log has the same line, with the request id and the function.
  auto lines = shared->logged(response, "INVALID_SET_COOKIE");
  ASSERT_EQ(lines.size(), 1u) << shared->server.log();
  EXPECT_TRUE(contains(lines[0], log_escaped(expected))) << lines[0];
  EXPECT_TRUE(contains(lines[0], "fn=respond")) << lines[0];
  EXPECT_FALSE(contains(lines[0], kSecret)) << lines[0];
}

const std::string kCareful = "; HttpOnly; SameSite=Lax; Path=/agents/" + kA + "/";
const std::string kGood = kOwnA + "ok=" + kSecret + kCareful;

INSTANTIATE_TEST_SUITE_P(
    Rows, PolicyRefusedCookie,
    ::testing::Values(
        RefusedRow{"no prefix", set_cookie("theme=" + kSecret), "theme", "wrong-namespace"},
        RefusedRow{"another agent's prefix", set_cookie("agt_" + kB + "_sid=" + kSecret), "agt_" + kB + "_sid",
                   "wrong-namespace"},
        RefusedRow{"the slug as prefix", set_cookie("agt_alpha_sid=" + kSecret), "agt_alpha_sid", "wrong-namespace"},
        RefusedRow{"upper-case uuid", set_cookie("agt_1A2B3C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D_sid=" + kSecret),
                   "agt_1A2B3C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D_sid", "wrong-namespace"},
        RefusedRow{"__Host- prefix", set_cookie("__Host-" + kOwnA + "sid=" + kSecret + "; Secure; Path=/"),
                   "__Host-" + kOwnA + "sid", "wrong-namespace"},
        RefusedRow{"Domain with a value", set_cookie(kOwnA + "sid=" + kSecret + kCareful + "; Domain=127.0.0.1"),
                   kOwnA + "sid", "domain-attribute"},
        RefusedRow{"Domain empty", set_cookie(kOwnA + "sid=" + kSecret + "; Domain="), kOwnA + "sid",
                   "domain-attribute"},
        RefusedRow{"Domain without equals, mixed case", set_cookie(kOwnA + "sid=" + kSecret + "; dOmAiN"),
                   kOwnA + "sid", "domain-attribute"},
        RefusedRow{"session", set_cookie("session=" + kSecret), "session", "reserved-name"},
        RefusedRow{"logged_in", set_cookie("logged_in=" + kSecret), "logged_in", "reserved-name"},
        RefusedRow{"agentgate prefix", set_cookie("_agentgate_csrf=" + kSecret), "_agentgate_csrf", "reserved-name"},
        RefusedRow{"no equals sign", set_cookie(kSecret), "", "malformed"},
        RefusedRow{"space in the name", set_cookie(kOwnA + "a b=" + kSecret), kOwnA + "a\\x20b", "malformed"},
        RefusedRow{"UTF-8 in the name", set_cookie(kOwnA + "caf\xc3\xa9=" + kSecret),
                   kOwnA + "caf\\xc3\\xa9", "malformed"},
        // Control characters in a Set-Cookie make it no cookie at all: INVALID_SET_COOKIE, as the issue
        // asks; the response is replaced whole, so no byte of it (nor an injected header) is sent.
        RefusedRow{"CRLF in a Set-Cookie", set_cookie(kOwnA + "sid=1\r\nx-injected: " + kSecret), kOwnA + "sid",
                   "malformed"},
        RefusedRow{"NUL in a Set-Cookie", set_cookie(kOwnA + "sid=" + kSecret + std::string(1, '\0')), kOwnA + "sid",
                   "malformed"},
        RefusedRow{"DEL in a Set-Cookie", set_cookie(kOwnA + "sid=" + kSecret + "\x7f"), kOwnA + "sid", "malformed"},
        RefusedRow{"control byte in a Set-Cookie's name", set_cookie("agt_\x01=" + kSecret), "agt_\\x01", "malformed"},
        RefusedRow{"one bad among good ones", set_cookies({kGood, "session=" + kSecret, kGood}), "session",
                   "reserved-name"}),
    test_name);

// Control characters in any other header, a bad header name or a bad status: the header check.
struct HeaderRow {
  std::string name;
  std::string spec;
};
class PolicyRefusedHeader : public PolicySharedServer, public ::testing::WithParamInterface<HeaderRow> {};

TEST_P(PolicyRefusedHeader, Answers502WithOneInvalidResponseHeaderEntry) {
  auto response = shared->respond(GetParam().spec);
  expect_refused(response);
  EXPECT_TRUE(response.header("x-injected").empty());
  auto entries = shared->entries(response, "INVALID_RESPONSE_HEADER");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_FALSE(contains(entries[0].message, kSecret)) << entries[0].message;
  EXPECT_EQ(entries[0].function, "respond");
  EXPECT_TRUE(shared->entries(response, "INVALID_SET_COOKIE", 0).empty());
  std::string request_id = response.header("x-request-id");
  std::string log = shared->server.log();
  EXPECT_TRUE(contains(log, "req=" + request_id + " ")) << log;
  EXPECT_FALSE(contains(log, kSecret)) << log;
}

INSTANTIATE_TEST_SUITE_P(
    Rows, PolicyRefusedHeader,
    ::testing::Values(HeaderRow{"CRLF in a value", with_header("x-a", json("ok\r\nx-injected: " + kSecret))},
                      HeaderRow{"LF in a value", with_header("x-a", json("ok\nx-injected: " + kSecret))},
                      HeaderRow{"NUL in a value", with_header("x-a", R"("ok\u0000)" + kSecret + "\"")},
                      HeaderRow{"CR in a header name", with_header("x-a\\r\\nx-injected", json(kSecret))},
                      HeaderRow{"space in a header name", with_header("x a", json(kSecret))},
                      HeaderRow{"status 99", R"({"status":99})"}, HeaderRow{"status 600", R"({"status":600})"},
                      HeaderRow{"status 1xx", R"({"status":101})"}, HeaderRow{"status 200.5", R"({"status":200.5})"},
                      HeaderRow{"status a string", R"({"status":"200"})"}),
    test_name);

// ---- cookies that pass ----------------------------------------------------------------------------

TEST_F(PolicySharedServer, GoodCookiesPassUntouched) {
  std::string first = kOwnA + "sid=" + kSecret + kCareful;
  std::string second = kOwnA + "theme=dark" + kCareful + "; Max-Age=60";
  auto response = shared->respond(set_cookies({first, second}));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, kHandlerBody);
  EXPECT_EQ(response.headers_named("set-cookie"), (std::vector<std::string>{first, second}));
  EXPECT_TRUE(shared->entries(response, "COOKIE_ADVISORY", 0).empty());
}

TEST(PolicyCookieAdvisory, SloppyCookiePassesWithOneLinePerProblem) {
  PolicyServer server;  // its own, so no other test spends the advisory budget
  ASSERT_TRUE(server.server.started()) << server.server.log();
  std::string sloppy = kOwnA + "sid=" + kSecret + "; Path=/";
  auto response = server.respond(set_cookie(sloppy));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.headers_named("set-cookie"), std::vector<std::string>{sloppy});
  auto entries = server.entries(response, "COOKIE_ADVISORY", 3);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].message, "cookie '" + kOwnA + "sid': no HttpOnly: page scripts can read it");
  EXPECT_EQ(entries[1].message, "cookie '" + kOwnA + "sid': no SameSite=Strict, Lax or None");
  EXPECT_EQ(entries[2].message, "cookie '" + kOwnA + "sid': Path is outside the agent's base path /agents/<id>");
  for (const auto& entry : entries) EXPECT_EQ(entry.level, "warn");
  auto lines = server.logged(response, "COOKIE_ADVISORY", 3);
  ASSERT_EQ(lines.size(), 3u) << joined(lines);
  for (const auto& line : lines) EXPECT_FALSE(contains(line, kSecret)) << line;
  EXPECT_TRUE(server.entries(response, "INVALID_SET_COOKIE", 0).empty());
}

TEST(PolicyCookieAdvisory, AdvisoriesAreRateLimitedPerAgent) {
  PolicyServer server;
  ASSERT_TRUE(server.server.started()) << server.server.log();
  // 30 responses with 2 advisories each; at most 20 per agent per minute and worker (2 workers).
  for (int i = 0; i < 30; ++i) ASSERT_EQ(server.respond(set_cookie(kOwnA + "sid=1")).status, 200);
  size_t lines = 0;
  std::istringstream log(server.server.log());
  for (std::string line; std::getline(log, line);) lines += contains(line, " COOKIE_ADVISORY:") ? 1 : 0;
  EXPECT_GE(lines, 20u);
  EXPECT_LE(lines, 40u);
  auto reply = server.server.admin("GET", "/_admin/v1/agents/" + kA + "/console?limit=1000");
  auto console = parse_json(reply.body);
  ASSERT_TRUE(console.is_object() && console.as_object().contains("entries")) << reply.body;
  size_t entries = 0;
  for (const auto& entry : console.at("entries").as_array()) {
    entries += json_string(entry, "code") == "COOKIE_ADVISORY" ? 1 : 0;
  }
  EXPECT_EQ(entries, lines);
  // Another agent has a budget of its own.
  auto other = server.respond(set_cookie("agt_" + kB + "_sid=1"), kB);
  ASSERT_EQ(other.status, 200);
  EXPECT_EQ(server.entries(other, "COOKIE_ADVISORY", 2, kB).size(), 2u);
}

// ---- inbound cookies ------------------------------------------------------------------------------

TEST_F(PolicySharedServer, EachHandlerSeesOnlyItsOwnAgentsCookies) {
  const std::string cookies = "agt_" + kA + "_x=1; session=" + kSecret + "; agt_" + kB + "_y=2; _agentgate_t=" +
                              kSecret + "; agt_" + kC + "_z=3; logged_in=yes; agt_" + kA + "_w=4; theme=dark; agt_" +
                              kA + "=nounderscore; agt_alpha_s=slug";
  auto seen = [&](const std::string& agent, std::vector<std::pair<std::string, std::string>> headers) {
    HttpRequestSpec request;
    request.target = "/agents/" + agent + "/echo/";
    request.headers = std::move(headers);
    auto response = http_request(shared->server.port(), request);
    EXPECT_EQ(response.status, 200) << response.body;
    auto body = parse_json(response.body);
    const auto* cookie = body.is_object() ? body.as_object().if_contains("cookie") : nullptr;
    return !cookie ? std::string("<no body>") : cookie->is_null() ? std::string("<none>") : json_string(body, "cookie");
  };
  EXPECT_EQ(seen(kA, {{"cookie", cookies}}), "agt_" + kA + "_x=1; agt_" + kA + "_w=4");
  EXPECT_EQ(seen(kB, {{"cookie", cookies}}), "agt_" + kB + "_y=2");
  EXPECT_EQ(seen(kC, {{"cookie", cookies}}), "agt_" + kC + "_z=3");
  EXPECT_EQ(seen(kD, {{"cookie", cookies}}), "<none>");
  EXPECT_EQ(seen(kA, {}), "<none>");
  // Several cookie headers, any case: each is filtered.
  EXPECT_EQ(seen(kA, {{"Cookie", "session=" + kSecret + "; agt_" + kA + "_x=1"}, {"COOKIE", "agt_" + kA + "_y=2; t=3"}}),
            "agt_" + kA + "_x=1; agt_" + kA + "_y=2");
  EXPECT_EQ(seen(kA, {{"cookie", "session=" + kSecret}, {"cookie", "agt_" + kA + "_y=2"}}), "agt_" + kA + "_y=2");
}

// ---- headers ----------------------------------------------------------------------------------

TEST_F(PolicySharedServer, SecurityHeadersAreAddedWithoutHstsOnHttp) {
  auto response = shared->respond("{}");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.headers_named("x-content-type-options"), std::vector<std::string>{"nosniff"});
  EXPECT_EQ(response.headers_named("referrer-policy"), std::vector<std::string>{"strict-origin-when-cross-origin"});
  EXPECT_EQ(response.headers_named("content-security-policy"), std::vector<std::string>{"frame-ancestors 'self'"});
  EXPECT_EQ(response.headers_named("cross-origin-opener-policy"), std::vector<std::string>{"same-origin"});
  EXPECT_TRUE(response.headers_named("strict-transport-security").empty());
}

// The security headers travel pre-serialized beside the body; a body of any size arrives whole
// after them, and each header is in the head exactly once.
TEST_F(PolicySharedServer, SecurityHeadersGoWithLargeBodies) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{70 * 1024}, size_t{900 * 1024}}) {
    std::string body(size, 'b');
    if (size > 0) body.front() = '<', body.back() = '>';
    auto response = shared->respond(boost::json::serialize(boost::json::object{{"body", body}}));
    ASSERT_EQ(response.status, 200) << size;
    EXPECT_EQ(response.body, body) << size;
    EXPECT_EQ(response.header("content-length"), std::to_string(size));
    for (const auto& header : kSecurityHeaders) {
      if (header.name == "strict-transport-security") continue;
      EXPECT_EQ(response.headers_named(std::string(header.name)), std::vector<std::string>{std::string(header.value)})
          << header.name << " with a body of " << size;
    }
  }
}

TEST_F(PolicySharedServer, HandlerOverridesWhatItMayAndNotTheRest) {
  auto response = shared->respond(
      R"({"headers":{"referrer-policy":"no-referrer","content-security-policy":"default-src 'none'",)"
      R"("cross-origin-opener-policy":"same-origin-allow-popups","x-content-type-options":"off",)"
      R"("strict-transport-security":"max-age=0"}})");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.headers_named("referrer-policy"), std::vector<std::string>{"no-referrer"});
  EXPECT_EQ(response.headers_named("content-security-policy"), std::vector<std::string>{"default-src 'none'"});
  EXPECT_EQ(response.headers_named("cross-origin-opener-policy"), std::vector<std::string>{"same-origin-allow-popups"});
  EXPECT_EQ(response.headers_named("x-content-type-options"), std::vector<std::string>{"nosniff"});
  EXPECT_TRUE(response.headers_named("strict-transport-security").empty());
}

TEST_F(PolicySharedServer, FramingHeadersAreDroppedWithALineEach) {
  auto response = shared->respond(
      R"({"body":"twelve bytes","headers":{"content-length":"3","transfer-encoding":"chunked","connection":"close"}})");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, "twelve bytes");
  EXPECT_EQ(response.header("content-length"), "12");
  EXPECT_TRUE(response.header("transfer-encoding").empty());
  auto entries = shared->entries(response, "DROPPED_HEADER", 3);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_TRUE(contains(entries[0].message, "'content-length'")) << entries[0].message;
  EXPECT_TRUE(contains(entries[1].message, "'transfer-encoding'")) << entries[1].message;
  EXPECT_TRUE(contains(entries[2].message, "'connection'")) << entries[2].message;
  EXPECT_EQ(shared->logged(response, "DROPPED_HEADER", 3).size(), 3u);
}

// The reserved names are the operator's setting: the console names the rule they break.
TEST(PolicyReservedCookies, ComeFromTheSettings) {
  PolicyServer custom({"--reserved-cookie-names", "sid,pref", "--reserved-cookie-prefix", "__platform_"});
  ASSERT_TRUE(custom.server.started()) << custom.server.log();
  ASSERT_TRUE(custom.deploy_error.empty()) << custom.deploy_error;
  auto rule_for = [&](const std::string& cookie) {
    auto response = custom.respond(set_cookie(cookie + "=" + kSecret));
    EXPECT_EQ(response.status, 502) << cookie;
    auto entries = custom.entries(response, "INVALID_SET_COOKIE");
    return entries.size() == 1 ? entries[0].message : "entries: " + std::to_string(entries.size());
  };
  EXPECT_TRUE(contains(rule_for("sid"), "broke rule reserved-name"));
  EXPECT_TRUE(contains(rule_for("__platform_x"), "broke rule reserved-name"));
  EXPECT_TRUE(contains(rule_for("session"), "broke rule wrong-namespace"));  // no longer reserved; still not A's
}

TEST(PolicyHttpsOrigin, HstsAndSecureAdviceOnlyWithAnHttpsPublicOrigin) {
  PolicyServer https({"--public-origin", "https://agents.example.test"});
  ASSERT_TRUE(https.server.started()) << https.server.log();
  ASSERT_TRUE(https.deploy_error.empty()) << https.deploy_error;
  boost::json::object headers{{"set-cookie", kOwnA + "sid=" + kSecret + "; HttpOnly; SameSite=Lax"},
                              {"strict-transport-security", "max-age=0"}};
  auto response = https.respond(boost::json::serialize(boost::json::object{{"headers", headers}}));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.headers_named("strict-transport-security"), std::vector<std::string>{"max-age=31536000"});
  EXPECT_EQ(response.headers_named("set-cookie").size(), 1u);
  auto entries = https.entries(response, "COOKIE_ADVISORY", 1);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].message, "cookie '" + kOwnA + "sid': no Secure on an https origin");
}

}  // namespace
}  // namespace agentgate::testing
