// The response header rules of policy/headers.h (valid names and values, hop-by-hop headers, the
// security headers and which a handler may override) and the advisory rate limit of
// policy/advisory_budget.h.
#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "policy/advisory_budget.h"
#include "policy/headers.h"
#include "tests/unit/outcome_text.h"

namespace agentgate::testing {
namespace {

auto name_of = [](const auto& info) { return row_name(info.param.name); };

// ---- names and values --------------------------------------------------------------------------

struct ValidityRow {
  std::string name;
  std::string text;
  bool valid;
};
void PrintTo(const ValidityRow& row, std::ostream* os) { *os << row.name; }

class PolicyHeaderName : public ::testing::TestWithParam<ValidityRow> {};
TEST_P(PolicyHeaderName, Validity) {
  EXPECT_EQ(is_valid_header_name(GetParam().text), GetParam().valid) << escaped(GetParam().text);
}
INSTANTIATE_TEST_SUITE_P(
    Names, PolicyHeaderName,
    ::testing::Values(ValidityRow{"lower case", "x-custom", true}, ValidityRow{"digits", "x-2fa", true},
                      ValidityRow{"every token special", "!#$%&'*+-.^_`|~", true},
                      ValidityRow{"empty", "", false}, ValidityRow{"upper case", "X-Custom", false},
                      ValidityRow{"space", "x custom", false}, ValidityRow{"colon", "x:y", false},
                      ValidityRow{"CRLF", "x\r\ny", false}, ValidityRow{"LF", "x\ny", false},
                      ValidityRow{"NUL", std::string("x\0y", 3), false}, ValidityRow{"tab", "x\ty", false},
                      ValidityRow{"UTF-8", "x-caf\xc3\xa9", false}, ValidityRow{"slash", "x/y", false},
                      ValidityRow{"quote", "x\"y", false}, ValidityRow{"DEL", "x\x7fy", false}),
    name_of);

class PolicyHeaderValue : public ::testing::TestWithParam<ValidityRow> {};
TEST_P(PolicyHeaderValue, Validity) {
  EXPECT_EQ(is_valid_header_value(GetParam().text), GetParam().valid) << escaped(GetParam().text);
}

std::vector<ValidityRow> value_rows() {
  std::vector<ValidityRow> rows = {
      {"empty", "", true},
      {"text", "text/html; charset=utf-8", true},
      {"tab", "a\tb", true},
      {"UTF-8", "caf\xc3\xa9 \xe2\x9c\x93", true},
      {"bytes 0x80 to 0xff", "\x80\xa0\xff", true},
      {"CRLF injection", "ok\r\nset-cookie: session=evil", false},
  };
  for (int c = 0; c < 0x20; ++c) {
    if (c == '\t') continue;
    rows.push_back({"control byte " + std::to_string(c), "a" + std::string(1, static_cast<char>(c)) + "b", false});
  }
  rows.push_back({"DEL", "a\x7f" "b", false});
  return rows;
}
INSTANTIATE_TEST_SUITE_P(Values, PolicyHeaderValue, ::testing::ValuesIn(value_rows()), name_of);

class PolicyHopByHop : public ::testing::TestWithParam<ValidityRow> {};
TEST_P(PolicyHopByHop, IsDropped) { EXPECT_EQ(is_hop_by_hop(GetParam().text), GetParam().valid); }
INSTANTIATE_TEST_SUITE_P(
    Names, PolicyHopByHop,
    ::testing::Values(ValidityRow{"connection", "connection", true}, ValidityRow{"content-length", "content-length", true},
                      ValidityRow{"keep-alive", "keep-alive", true},
                      ValidityRow{"proxy-connection", "proxy-connection", true}, ValidityRow{"te", "te", true},
                      ValidityRow{"trailer", "trailer", true},
                      ValidityRow{"transfer-encoding", "transfer-encoding", true},
                      ValidityRow{"upgrade", "upgrade", true}, ValidityRow{"content-type", "content-type", false},
                      ValidityRow{"set-cookie", "set-cookie", false}, ValidityRow{"x-connection", "x-connection", false},
                      ValidityRow{"content-length-x", "content-length-x", false},
                      ValidityRow{"tes", "tes", false}),
    name_of);

// ---- security headers --------------------------------------------------------------------------

// The headers as "name: value" lines in order, for one readable comparison.
std::vector<std::string> lines(const HeaderPairs& headers) {
  std::vector<std::string> out;
  for (const auto& [name, value] : headers) out.push_back(name + ": " + value);
  return out;
}

struct SecurityRow {
  std::string name;
  HeaderPairs handler;  // what the handler set
  bool https;
  std::vector<std::string> expected;
};
void PrintTo(const SecurityRow& row, std::ostream* os) { *os << row.name; }

class PolicySecurityHeaders : public ::testing::TestWithParam<SecurityRow> {};
TEST_P(PolicySecurityHeaders, AddedOrKept) {
  HeaderPairs headers = GetParam().handler;
  add_security_headers(headers, GetParam().https);
  EXPECT_EQ(lines(headers), GetParam().expected);
}

const std::string kNosniff = "x-content-type-options: nosniff";
const std::string kHsts = "strict-transport-security: max-age=31536000";
const std::string kReferrer = "referrer-policy: strict-origin-when-cross-origin";
const std::string kFrames = "content-security-policy: frame-ancestors 'self'";
const std::string kCoop = "cross-origin-opener-policy: same-origin";

INSTANTIATE_TEST_SUITE_P(
    Rows, PolicySecurityHeaders,
    ::testing::Values(
        SecurityRow{"nothing set, http", {}, false, {kNosniff, kReferrer, kFrames, kCoop}},
        SecurityRow{"nothing set, https", {}, true, {kNosniff, kHsts, kReferrer, kFrames, kCoop}},
        SecurityRow{"the handler's other headers come first, in order",
                    {{"content-type", "text/html"}, {"set-cookie", "a=1"}, {"set-cookie", "b=2"}},
                    false,
                    {"content-type: text/html", "set-cookie: a=1", "set-cookie: b=2", kNosniff, kReferrer, kFrames,
                     kCoop}},
        SecurityRow{"nosniff replaces the handler's value",
                    {{"x-content-type-options", "sniff-away"}}, false, {kNosniff, kReferrer, kFrames, kCoop}},
        SecurityRow{"nosniff replaces every handler value",
                    {{"x-content-type-options", "a"}, {"x-content-type-options", "b"}}, false,
                    {kNosniff, kReferrer, kFrames, kCoop}},
        SecurityRow{"HSTS replaces the handler's on https",
                    {{"strict-transport-security", "max-age=63072000; includeSubDomains; preload"}}, true,
                    {kNosniff, kHsts, kReferrer, kFrames, kCoop}},
        SecurityRow{"a handler's HSTS is dropped on http", {{"strict-transport-security", "max-age=0"}}, false,
                    {kNosniff, kReferrer, kFrames, kCoop}},
        SecurityRow{"the handler's Referrer-Policy is kept", {{"referrer-policy", "no-referrer"}}, false,
                    {"referrer-policy: no-referrer", kNosniff, kFrames, kCoop}},
        SecurityRow{"the handler's CSP replaces frame-ancestors whole",
                    {{"content-security-policy", "default-src 'self'"}}, true,
                    {"content-security-policy: default-src 'self'", kNosniff, kHsts, kReferrer, kCoop}},
        SecurityRow{"a report-only CSP does not replace frame-ancestors",
                    {{"content-security-policy-report-only", "default-src 'none'"}}, false,
                    {"content-security-policy-report-only: default-src 'none'", kNosniff, kReferrer, kFrames, kCoop}},
        SecurityRow{"the handler's COOP is kept", {{"cross-origin-opener-policy", "same-origin-allow-popups"}}, false,
                    {"cross-origin-opener-policy: same-origin-allow-popups", kNosniff, kReferrer, kFrames}},
        SecurityRow{"all overridable ones set by the handler",
                    {{"referrer-policy", "origin"},
                     {"content-security-policy", "frame-ancestors 'none'"},
                     {"cross-origin-opener-policy", "unsafe-none"}},
                    true,
                    {"referrer-policy: origin", "content-security-policy: frame-ancestors 'none'",
                     "cross-origin-opener-policy: unsafe-none", kNosniff, kHsts}}),
    name_of);

// The server sends the chosen headers from its own pre-serialized copies: what claim returns and
// what stays in the handler's list must add up to exactly the rows above.
TEST(PolicySecurityHeaderSet, ClaimLeavesTheHandlersOwnAndChoosesTheRest) {
  HeaderPairs headers = {{"content-type", "text/html"},
                         {"x-content-type-options", "off"},
                         {"strict-transport-security", "max-age=0"},
                         {"referrer-policy", "no-referrer"}};
  SecurityHeaderSet https = claim_security_headers(headers, true);
  EXPECT_EQ(lines(headers), (std::vector<std::string>{"content-type: text/html", "referrer-policy: no-referrer"}));
  EXPECT_EQ(https.to_string(), "11011");  // bit 0 (nosniff) is the rightmost; no referrer-policy (bit 2)
  EXPECT_EQ(claim_security_headers(headers, false).to_string(), "11001");  // no HSTS on http
  HeaderPairs none;
  EXPECT_TRUE(claim_security_headers(none, true).all());
}

// ---- advisory budget ---------------------------------------------------------------------------

using namespace std::chrono_literals;
const auto kStart = AdvisoryBudget::Clock::time_point{} + 24h;

TEST(PolicyAdvisoryBudget, AllowsTheLimitThenRefusesForTheRestOfTheMinute) {
  AdvisoryBudget budget(3);
  size_t suppressed = 99;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(budget.allow("a", kStart + std::chrono::seconds(i), suppressed)) << i;
    EXPECT_EQ(suppressed, 0u);
  }
  EXPECT_FALSE(budget.allow("a", kStart + 10s, suppressed));
  EXPECT_FALSE(budget.allow("a", kStart + 59s, suppressed));
}

TEST(PolicyAdvisoryBudget, NextWindowSaysHowManyWereSuppressedOnce) {
  AdvisoryBudget budget(2);
  size_t suppressed = 0;
  budget.allow("a", kStart, suppressed);
  budget.allow("a", kStart, suppressed);
  for (int i = 0; i < 5; ++i) budget.allow("a", kStart + 30s, suppressed);
  ASSERT_TRUE(budget.allow("a", kStart + 60s, suppressed));
  EXPECT_EQ(suppressed, 5u);
  ASSERT_TRUE(budget.allow("a", kStart + 61s, suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_FALSE(budget.allow("a", kStart + 62s, suppressed));
}

TEST(PolicyAdvisoryBudget, AgentsHaveTheirOwnBudgets) {
  AdvisoryBudget budget(1);
  size_t suppressed = 0;
  EXPECT_TRUE(budget.allow("a", kStart, suppressed));
  EXPECT_FALSE(budget.allow("a", kStart, suppressed));
  EXPECT_TRUE(budget.allow("b", kStart, suppressed));
}

TEST(PolicyAdvisoryBudget, DefaultIsTwentyPerMinute) {
  AdvisoryBudget budget;
  size_t suppressed = 0;
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(budget.allow("a", kStart, suppressed)) << i;
  EXPECT_FALSE(budget.allow("a", kStart, suppressed));
}

TEST(PolicyAdvisoryBudget, FirstCallAtAnyClockValueIsAllowed) {
  AdvisoryBudget budget(1);
  size_t suppressed = 0;
  EXPECT_TRUE(budget.allow("a", AdvisoryBudget::Clock::time_point{}, suppressed));
  AdvisoryBudget later(1);
  EXPECT_TRUE(later.allow("a", kStart, suppressed));
}

}  // namespace
}  // namespace agentgate::testing
