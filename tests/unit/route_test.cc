// Routing on the shared domain (dispatcher/route.h): /agents/<uuid>/<path> runs the function with the
// longest matching prefix that allows the method; slugs and non-canonical UUIDs get a 308.
#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "dispatcher/route.h"

namespace agentgate {
namespace {

constexpr std::string_view kDemoId = "8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21";
constexpr std::string_view kDemoIdUpper = "8A1F0F5E-2D5B-4F43-9A57-0C6A4C8E9B21";
constexpr std::string_view kSiteId = "0b7e6f5a-1c2d-4e3f-8a9b-0c1d2e3f4a5b";
constexpr std::string_view kHeadId = "33333333-4444-4555-8666-777777777777";
constexpr std::string_view kUnknownId = "99999999-9999-4999-8999-999999999999";

FunctionSpec function(std::string name, uint32_t methods, std::string prefix) {
  FunctionSpec spec;
  spec.name = std::move(name);
  spec.methods = methods;
  spec.prefix = std::move(prefix);
  spec.path = spec.prefix + "/*";
  spec.module = "main.js";
  return spec;
}

AgentSpecPtr agent(std::string_view id, std::string slug, std::vector<FunctionSpec> functions) {
  auto spec = std::make_shared<AgentSpec>();
  spec->id = id;
  spec->slug = std::move(slug);
  spec->version = 1;
  spec->functions = std::move(functions);
  return spec;
}

const AgentSnapshot& agents() {
  static const AgentSnapshot snapshot = [] {
    AgentSnapshot s;
    auto add = [&](AgentSpecPtr spec) {
      s.id_by_slug[spec->slug] = spec->id;
      s.by_id[spec->id] = std::move(spec);
    };
    // No function on "/": paths outside its prefixes have no function.
    add(agent(kDemoId, "demo",
              {function("webapp", kGet | kPost, "/webapp"), function("api", kPut | kDelete, "/webapp/api"),
               function("hooks", kPost, "/hooks")}));
    // A catch-all GET function and a narrower POST one.
    add(agent(kSiteId, "site", {function("root", kGet, ""), function("upload", kPost, "/upload")}));
    // Explicit HEAD next to a GET (which implies HEAD) on the same prefix; the manifest accepts this.
    add(agent(kHeadId, "probe", {function("page", kGet, "/x"), function("probe", kHead, "/x")}));
    return s;
  }();
  return snapshot;
}

// One line that says what the visitor gets.
std::string describe(const RouteDecision& decision) {
  using Kind = RouteDecision::Kind;
  switch (decision.kind) {
    case Kind::kNotAgentPath: return "not an agent path";
    case Kind::kBadPath: return "400 bad path";
    case Kind::kAgentNotFound: return "404 no agent";
    case Kind::kNoFunction: return "404 no function";
    case Kind::kMethodNotAllowed: return "405 Allow: " + decision.allow;
    case Kind::kRedirect: return "308 " + decision.location;
    case Kind::kFunction:
      return "run " + decision.agent->slug + "." + decision.agent->functions[decision.function_index].name + " " +
             decision.agent_path;
  }
  return "?";
}

struct RouteRow {
  std::string name;
  std::string method;
  std::string target;
  std::string expected;
};
void PrintTo(const RouteRow& row, std::ostream* os) { *os << row.name; }

class Routing : public ::testing::TestWithParam<RouteRow> {};

TEST_P(Routing, Decides) {
  const RouteRow& row = GetParam();
  EXPECT_EQ(describe(route_request(row.method, row.target, agents())), row.expected)
      << row.method << " " << row.target;
}

std::string demo(std::string_view rest) { return "/agents/" + std::string(kDemoId) + std::string(rest); }
std::string site(std::string_view rest) { return "/agents/" + std::string(kSiteId) + std::string(rest); }

std::vector<RouteRow> rows() {
  const std::string id(kDemoId);
  return {
      // Canonical URLs run a function.
      {"prefix with trailing slash", "GET", demo("/webapp/"), "run demo.webapp /webapp/"},
      {"prefix exactly", "GET", demo("/webapp"), "run demo.webapp /webapp"},
      {"path below the prefix, query dropped from the path", "GET", demo("/webapp/a/b?c=1"), "run demo.webapp /webapp/a/b"},
      {"longest prefix that allows the method", "PUT", demo("/webapp/api/items"), "run demo.api /webapp/api/items"},
      {"longest prefix not allowing the method falls back to a shorter one", "GET", demo("/webapp/api/items"),
       "run demo.webapp /webapp/api/items"},
      {"POST on the outer prefix", "POST", demo("/webapp/api"), "run demo.webapp /webapp/api"},
      {"catch-all function", "GET", site("/anything/at/all"), "run site.root /anything/at/all"},
      {"catch-all function at the agent root", "GET", site("/"), "run site.root /"},
      {"narrow POST function", "POST", site("/upload/file"), "run site.upload /upload/file"},
      {"GET falls back to the catch-all below a POST-only prefix", "GET", site("/upload/file"), "run site.root /upload/file"},
      {"three dots is an ordinary segment", "GET", demo("/webapp/..."), "run demo.webapp /webapp/..."},
      {"dot-dot in the query is not a path segment", "GET", demo("/webapp/x?next=../admin"), "run demo.webapp /webapp/x"},

      // HEAD where GET is.
      {"HEAD where GET is declared", "HEAD", demo("/webapp/x"), "run demo.webapp /webapp/x"},
      {"HEAD on the catch-all", "HEAD", site("/"), "run site.root /"},
      {"HEAD where only POST is declared", "HEAD", demo("/hooks/x"), "405 Allow: POST"},

      // 405 with the union of methods on the path.
      {"method not declared on the prefix", "DELETE", demo("/webapp/x"), "405 Allow: GET, HEAD, POST"},
      {"Allow is the union of every matching prefix", "PATCH", demo("/webapp/api/x"),
       "405 Allow: GET, HEAD, POST, PUT, DELETE"},
      {"POST outside the POST prefix", "POST", site("/other"), "405 Allow: GET, HEAD"},
      {"method functions cannot declare", "TRACE", demo("/webapp/x"), "405 Allow: GET, HEAD, POST"},
      {"lower-case method is not GET", "get", demo("/webapp/x"), "405 Allow: GET, HEAD, POST"},

      // 404.
      {"prefix must end at a segment boundary", "GET", demo("/webapps"), "404 no function"},
      {"prefix is not a string prefix", "GET", demo("/webappx/y"), "404 no function"},
      {"agent root without a root function", "GET", demo("/"), "404 no function"},
      {"path outside every prefix", "POST", demo("/other"), "404 no function"},
      {"unknown UUID", "GET", "/agents/" + std::string(kUnknownId) + "/webapp/", "404 no agent"},
      {"unknown upper-case UUID", "GET", "/agents/99999999-9999-4999-8999-99999999999A/webapp/", "404 no agent"},
      {"unknown slug", "GET", "/agents/nobody/webapp/", "404 no agent"},
      {"empty agent reference", "GET", "/agents/", "404 no agent"},

      // 308 to the canonical URL, path and query kept.
      {"slug", "GET", "/agents/demo/webapp/x?y=1&z=%2F", "308 /agents/" + id + "/webapp/x?y=1&z=%2F"},
      {"slug with POST", "POST", "/agents/demo/hooks/in", "308 /agents/" + id + "/hooks/in"},
      {"slug without trailing slash", "GET", "/agents/demo", "308 /agents/" + id + "/"},
      {"slug without trailing slash, with query", "GET", "/agents/demo?x=1", "308 /agents/" + id + "/?x=1"},
      {"upper-case UUID", "GET", "/agents/" + std::string(kDemoIdUpper) + "/webapp/x?q=A%20b",
       "308 /agents/" + id + "/webapp/x?q=A%20b"},
      {"canonical UUID without trailing slash", "GET", "/agents/" + id, "308 /agents/" + id + "/"},
      {"canonical UUID without trailing slash, with query", "GET", "/agents/" + id + "?a=b", "308 /agents/" + id + "/?a=b"},

      // Dot segments, plain or percent-encoded, are refused.
      {"dot-dot segment", "GET", demo("/webapp/../hooks/x"), "400 bad path"},
      {"dot segment", "GET", demo("/./webapp/x"), "400 bad path"},
      {"trailing dot segment", "GET", demo("/webapp/."), "400 bad path"},
      {"encoded dot-dot", "GET", demo("/webapp/%2e%2e/hooks"), "400 bad path"},
      {"encoded dot-dot, upper-case escapes", "GET", demo("/webapp/%2E%2E/hooks"), "400 bad path"},
      {"half-encoded dot-dot", "GET", demo("/webapp/.%2e/hooks"), "400 bad path"},
      {"half-encoded dot-dot, other half", "GET", demo("/webapp/%2E./hooks"), "400 bad path"},
      {"encoded dot", "GET", demo("/webapp/%2e/x"), "400 bad path"},
      {"dot-dot after a slug is refused, not redirected", "GET", "/agents/demo/webapp/../x", "400 bad path"},

      // Not ours.
      {"site root", "GET", "/", "not an agent path"},
      {"admin API", "GET", "/_admin/v1/agents", "not an agent path"},
      {"agents without slash", "GET", "/agents", "not an agent path"},
      {"similar prefix", "GET", "/agentsx/demo/", "not an agent path"},
  };
}

INSTANTIATE_TEST_SUITE_P(Table, Routing, ::testing::ValuesIn(rows()), [](const auto& info) {
  std::string name;
  for (char c : info.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
});

TEST(Routing, ExplicitHeadFunctionIsReachable) {
  // "probe" declares HEAD on /x; "page" declares GET there, which implies HEAD. The manifest accepts
  // both, so the function that asked for HEAD must be the one HEAD reaches, or it would never run.
  EXPECT_EQ(describe(route_request("HEAD", "/agents/" + std::string(kHeadId) + "/x/y", agents())), "run probe.probe /x/y");
}

TEST(Routing, MatchFunctionReturnsTheAgent) {
  auto demo_agent = agents().find_by_id(std::string(kDemoId));
  EXPECT_EQ(match_function(demo_agent, "GET", "/webapp/x").agent, demo_agent);
}

}  // namespace
}  // namespace agentgate
