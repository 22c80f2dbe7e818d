// apply_response_policy (policy/response_policy.h) over a whole response: one bad Set-Cookie among
// good ones rejects it, advisories are one per cookie and problem, dropped framing headers are
// reported, and no event ever holds a cookie's value.
#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "policy/response_policy.h"
#include "tests/unit/outcome_text.h"

namespace agentgate::testing {
namespace {

const std::string kId = "3f2a9c4e-1b7d-4e8a-9c0f-5d6e7f8a9b0c";
const std::string kOwn = "agt_" + kId + "_";
const std::string kBase = "/agents/" + kId;
const std::string kSecret = "s3cr3t-VALUE";
const std::string kCareful = "; HttpOnly; Secure; SameSite=Lax; Path=" + kBase + "/";

auto name_of = [](const auto& info) { return row_name(info.param.name); };

CookiePolicy policy(bool https) {
  CookiePolicy policy;
  policy.agent_prefix = cookie_prefix_for(kId);
  policy.https_origin = https;
  policy.base_path = kBase;
  return policy;
}

HeaderPairs with_cookies(const std::vector<std::string>& cookies) {
  HeaderPairs headers = {{"content-type", "text/html"}};
  for (const auto& cookie : cookies) headers.emplace_back("set-cookie", cookie);
  headers.emplace_back("x-custom", "1");
  return headers;
}

bool holds_secret(const PolicyEvent& event) { return event.message.find(kSecret) != std::string::npos; }

struct RejectRow {
  std::string name;
  std::vector<std::string> cookies;
  std::string expected_name;  // in the rejection message
  std::string expected_rule;
};
void PrintTo(const RejectRow& row, std::ostream* os) { *os << row.name; }

class PolicyResponseRejects : public ::testing::TestWithParam<RejectRow> {};

TEST_P(PolicyResponseRejects, OneBadCookieRejectsTheResponse) {
  const RejectRow& row = GetParam();
  HeaderPairs headers = with_cookies(row.cookies);
  ResponseVerdict verdict = apply_response_policy(headers, {"content-length"}, policy(true));
  ASSERT_TRUE(verdict.rejection.has_value());
  EXPECT_EQ(verdict.rejection->code, "INVALID_SET_COOKIE");
  EXPECT_NE(verdict.rejection->message.find("cookie '" + row.expected_name + "' broke rule " + row.expected_rule),
            std::string::npos)
      << verdict.rejection->message;
  EXPECT_FALSE(holds_secret(*verdict.rejection)) << verdict.rejection->message;
  for (const auto& advisory : verdict.advisories) EXPECT_FALSE(holds_secret(advisory)) << advisory.message;
}

const std::string kGoodA = kOwn + "a=" + kSecret + kCareful;
const std::string kGoodB = kOwn + "b=" + kSecret + kCareful;
const std::string kSloppy = kOwn + "c=" + kSecret;

INSTANTIATE_TEST_SUITE_P(
    Rows, PolicyResponseRejects,
    ::testing::Values(
        RejectRow{"bad first", {"theme=" + kSecret, kGoodA, kGoodB}, "theme", "wrong-namespace"},
        RejectRow{"bad in the middle", {kGoodA, kOwn + "x=" + kSecret + "; domain=example.com", kGoodB}, kOwn + "x",
                  "domain-attribute"},
        RejectRow{"bad last", {kGoodA, kSloppy, "_agentgate_sid=" + kSecret}, "_agentgate_sid", "reserved-name"},
        RejectRow{"only one, malformed", {kOwn + "x " + kSecret}, "", "malformed"},
        RejectRow{"malformed among good", {kGoodA, kOwn + "bad name=" + kSecret, kGoodB},
                  kOwn + "bad\\x20name", "malformed"},
        RejectRow{"two bad: the first is reported", {kGoodA, "session=" + kSecret, "theme=" + kSecret}, "session",
                  "reserved-name"}),
    name_of);

TEST(PolicyResponse, GoodCookiesPassWithAdvisoriesAndSecurityHeaders) {
  HeaderPairs headers = with_cookies({kGoodA, kSloppy, kGoodB});
  ResponseVerdict verdict = apply_response_policy(headers, {}, policy(true));
  EXPECT_FALSE(verdict.rejection.has_value());
  std::vector<std::string> events;
  for (const auto& advisory : verdict.advisories) {
    EXPECT_FALSE(holds_secret(advisory)) << advisory.message;
    events.push_back(advisory.code + " " + advisory.message);
  }
  EXPECT_EQ(events, (std::vector<std::string>{
                        "COOKIE_ADVISORY cookie '" + kOwn + "c': no HttpOnly: page scripts can read it",
                        "COOKIE_ADVISORY cookie '" + kOwn + "c': no Secure on an https origin",
                        "COOKIE_ADVISORY cookie '" + kOwn + "c': no SameSite=Strict, Lax or None",
                    }));
  // The cookies go out untouched, in order; every security header goes with them (https origin).
  std::vector<std::string> cookies;
  for (const auto& [name, value] : headers) {
    if (name == "set-cookie") cookies.push_back(value);
  }
  EXPECT_EQ(cookies, (std::vector<std::string>{kGoodA, kSloppy, kGoodB}));
  EXPECT_TRUE(verdict.security_headers.all()) << verdict.security_headers;
}

TEST(PolicyResponse, SecurityHeadersLeaveOutHstsOnHttpAndWhatTheHandlerSet) {
  HeaderPairs headers = {{"content-type", "text/plain"}, {"content-security-policy", "default-src 'self'"}};
  ResponseVerdict verdict = apply_response_policy(headers, {}, policy(false));
  std::string chosen;
  for (size_t i = 0; i < kSecurityHeaders.size(); ++i) {
    if (verdict.security_headers[i]) chosen += std::string(kSecurityHeaders[i].name) + " ";
  }
  EXPECT_EQ(chosen, "x-content-type-options referrer-policy cross-origin-opener-policy ");
  EXPECT_EQ(headers.size(), 2u);  // the handler's own CSP stays; nothing is appended
}

TEST(PolicyResponse, NoCookiesNoEvents) {
  HeaderPairs headers = {{"content-type", "text/plain"}};
  ResponseVerdict verdict = apply_response_policy(headers, {}, policy(false));
  EXPECT_FALSE(verdict.rejection.has_value());
  EXPECT_TRUE(verdict.advisories.empty());
}

TEST(PolicyResponse, EachDroppedHeaderIsAnAdvisory) {
  HeaderPairs headers = {{"content-type", "text/plain"}};
  ResponseVerdict verdict = apply_response_policy(headers, {"content-length", "transfer-encoding"}, policy(false));
  ASSERT_EQ(verdict.advisories.size(), 2u);
  EXPECT_EQ(verdict.advisories[0].code, "DROPPED_HEADER");
  EXPECT_NE(verdict.advisories[0].message.find("'content-length'"), std::string::npos);
  EXPECT_EQ(verdict.advisories[1].code, "DROPPED_HEADER");
  EXPECT_NE(verdict.advisories[1].message.find("'transfer-encoding'"), std::string::npos);
}

TEST(PolicyResponse, OriginWideHeadersAreDroppedWithAnAdvisory) {
  HeaderPairs headers = {{"content-type", "text/plain"},
                         {"clear-site-data", "\"cookies\""},
                         {"service-worker-allowed", "/"}};
  ResponseVerdict verdict = apply_response_policy(headers, {}, policy(false));
  EXPECT_FALSE(verdict.rejection.has_value());
  for (const auto& [name, value] : headers) {
    EXPECT_NE(name, "clear-site-data");
    EXPECT_NE(name, "service-worker-allowed");
  }
  ASSERT_EQ(verdict.advisories.size(), 2u);
  EXPECT_EQ(verdict.advisories[0].code, "DROPPED_HEADER");
  EXPECT_NE(verdict.advisories[0].message.find("'clear-site-data'"), std::string::npos);
  EXPECT_NE(verdict.advisories[1].message.find("'service-worker-allowed'"), std::string::npos);
}

TEST(PolicyResponse, OnlyLowerCaseSetCookieIsACookie) {
  // Names reach the policy lower-cased (sandbox/response_convert.cc refuses others); a header
  // that merely resembles set-cookie is not checked as one.
  HeaderPairs headers = {{"set-cookie2", "session=1"}, {"x-set-cookie", "session=1"}};
  EXPECT_FALSE(apply_response_policy(headers, {}, policy(false)).rejection.has_value());
}

}  // namespace
}  // namespace agentgate::testing
