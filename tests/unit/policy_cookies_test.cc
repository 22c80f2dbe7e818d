// The Set-Cookie rules of policy/cookies.h, one table row per case: what rejects a response
// (malformed, Domain, reserved names, someone else's namespace), what only earns an advisory
// (HttpOnly, Secure on https, SameSite, Path outside /agents/<id>), the name the console may show
// (never the value), and the inbound Cookie filter.
#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "policy/cookies.h"
#include "tests/unit/outcome_text.h"

namespace agentgate::testing {
namespace {

const std::string kId = "3f2a9c4e-1b7d-4e8a-9c0f-5d6e7f8a9b0c";
const std::string kIdUpper = "3F2A9C4E-1B7D-4E8A-9C0F-5D6E7F8A9B0C";
const std::string kOtherId = "7b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
const std::string kSlug = "weather-bot";
const std::string kOwn = "agt_" + kId + "_";  // this agent's namespace
const std::string kBase = "/agents/" + kId;
// Everything a careful cookie carries, so a row can add one problem at a time.
const std::string kCareful = "; HttpOnly; Secure; SameSite=Lax; Path=" + kBase + "/";

auto name_of = [](const auto& info) { return row_name(info.param.name); };

CookiePolicy policy(bool https) {
  CookiePolicy policy;
  policy.agent_prefix = cookie_prefix_for(kId);
  policy.https_origin = https;
  policy.base_path = kBase;
  return policy;
}

std::string advice_name(CookieAdvice advice) {
  switch (advice) {
    case CookieAdvice::kMissingHttpOnly: return "httponly";
    case CookieAdvice::kMissingSecure: return "secure";
    case CookieAdvice::kMissingSameSite: return "samesite";
    case CookieAdvice::kPathOutsideBase: return "path";
    case CookieAdvice::kTooLarge: return "too-large";
  }
  return "?";
}

// "rejected: <rule>", or "sent" followed by " +<advice>" for each advisory.
std::string outcome(std::string_view header, const CookiePolicy& rules) {
  CookieVerdict verdict = check_set_cookie(header, rules);
  if (verdict.violation) return "rejected: " + std::string(cookie_rule_name(*verdict.violation));
  std::string out = "sent";
  for (CookieAdvice advice : verdict.advice) out += " +" + advice_name(advice);
  return out;
}

TEST(PolicyCookiePrefix, IsAgtTheIdAndAnUnderscore) { EXPECT_EQ(cookie_prefix_for(kId), "agt_" + kId + "_"); }

// The dispatcher keeps one policy per worker and re-aims it: nothing of the previous agent remains.
TEST(PolicyCookiePrefix, AimingReplacesTheAgentWhole) {
  CookiePolicy aimed;
  aimed.aim_at(kOtherId);
  aimed.aim_at(kId);
  EXPECT_EQ(aimed.agent_prefix, cookie_prefix_for(kId));
  EXPECT_EQ(aimed.base_path, kBase);
  EXPECT_EQ(outcome(kOwn + "sid=1" + kCareful, aimed), "sent");
  EXPECT_EQ(outcome("agt_" + kOtherId + "_sid=1" + kCareful, aimed), "rejected: wrong-namespace");
}

// The reserved names are a setting: another list and prefix replace the defaults.
TEST(PolicyReservedCookies, AreASetting) {
  CookiePolicy custom = policy(true);
  custom.reserved = ReservedCookies{{"sid"}, "__platform_"};
  EXPECT_EQ(outcome("sid=1" + kCareful, custom), "rejected: reserved-name");
  EXPECT_EQ(outcome("__platform_x=1" + kCareful, custom), "rejected: reserved-name");
  // No longer reserved, still outside the agent's namespace.
  EXPECT_EQ(outcome("session=1" + kCareful, custom), "rejected: wrong-namespace");
  EXPECT_EQ(outcome("_agentgate_x=1" + kCareful, custom), "rejected: wrong-namespace");
}

struct ReservedRow {
  std::string name;
  ReservedCookies reserved;
  bool accepted;
};
class PolicyReservedCookieSetting : public ::testing::TestWithParam<ReservedRow> {};
TEST_P(PolicyReservedCookieSetting, IsCheckedWhole) {
  EXPECT_EQ(!reserved_cookies_problem(GetParam().reserved), GetParam().accepted);
}
INSTANTIATE_TEST_SUITE_P(
    Rows, PolicyReservedCookieSetting,
    ::testing::Values(ReservedRow{"the defaults", ReservedCookies{}, true},
                      ReservedRow{"no names at all", ReservedCookies{{}, "_p_"}, true},
                      ReservedRow{"an empty name", ReservedCookies{{""}, "_p_"}, false},
                      ReservedRow{"a separator in a name", ReservedCookies{{"a=b"}, "_p_"}, false},
                      ReservedRow{"a name in the agents' namespace", ReservedCookies{{"agt_x"}, "_p_"}, false},
                      ReservedRow{"an empty prefix (every name)", ReservedCookies{{"sid"}, ""}, false},
                      ReservedRow{"a prefix of agt_", ReservedCookies{{"sid"}, "ag"}, false},
                      ReservedRow{"a prefix inside agt_", ReservedCookies{{"sid"}, "agt_00"}, false},
                      ReservedRow{"a prefix merely starting with a", ReservedCookies{{"sid"}, "app_"}, true}),
    name_of);

// ---- violations and validity -----------------------------------------------------------------

struct RuleRow {
  std::string name;
  std::string header;
  std::string expected;
  bool https = false;
};
void PrintTo(const RuleRow& row, std::ostream* os) { *os << row.name; }

class PolicySetCookieRules : public ::testing::TestWithParam<RuleRow> {};

TEST_P(PolicySetCookieRules, Verdict) {
  const RuleRow& row = GetParam();
  EXPECT_EQ(outcome(row.header, policy(row.https)), row.expected) << escaped(row.header);
}

const std::string kMalformed = "rejected: malformed";
const std::string kDomain = "rejected: domain-attribute";
const std::string kReserved = "rejected: reserved-name";
const std::string kNamespace = "rejected: wrong-namespace";
const std::string kClean = "sent";

INSTANTIATE_TEST_SUITE_P(
    Domain, PolicySetCookieRules,
    ::testing::Values(
        RuleRow{"Domain with a value", kOwn + "a=1" + kCareful + "; Domain=example.com", kDomain},
        RuleRow{"Domain with an empty value", kOwn + "a=1" + kCareful + "; Domain=", kDomain},
        RuleRow{"Domain without an equals sign", kOwn + "a=1" + kCareful + "; Domain", kDomain},
        RuleRow{"Domain attribute, mixed case", kOwn + "a=1" + kCareful + "; dOmAiN=example.com", kDomain},
        RuleRow{"Domain attribute, upper case", kOwn + "a=1" + kCareful + "; DOMAIN=example.com", kDomain},
        RuleRow{"Domain with spaces around", kOwn + "a=1" + kCareful + ";   Domain  =  .example.com  ", kDomain},
        RuleRow{"Domain after a tab", kOwn + "a=1" + kCareful + ";\tDomain=example.com", kDomain},
        RuleRow{"Domain first", kOwn + "a=1; Domain=localhost" + kCareful, kDomain},
        RuleRow{"Domain of the platform host with a leading dot", kOwn + "a=1; Domain=.localhost", kDomain},
        RuleRow{"Domain twice", kOwn + "a=1; Domain=a.example; Domain=b.example", kDomain},
        RuleRow{"Domain longer than browsers read", kOwn + "a=1; Domain=" + std::string(2000, 'd'), kDomain},
        RuleRow{"Domain on a reserved name: Domain is checked first", "session=1; Domain=example.com", kDomain},
        RuleRow{"Domain inside the value is only value", kOwn + "a=Domain=example.com" + kCareful, kClean},
        RuleRow{"Domains is another attribute", kOwn + "a=1" + kCareful + "; Domains=example.com", kClean},
        RuleRow{"xDomain is another attribute", kOwn + "a=1" + kCareful + "; xDomain=example.com", kClean}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    Reserved, PolicySetCookieRules,
    ::testing::Values(RuleRow{"session", "session=abc" + kCareful, kReserved},
                      RuleRow{"logged_in", "logged_in=yes" + kCareful, kReserved},
                      RuleRow{"agentgate prefix", "_agentgate_csrf=abc" + kCareful, kReserved},
                      RuleRow{"agentgate prefix alone", "_agentgate_=abc" + kCareful, kReserved},
                      RuleRow{"session with whitespace around the name", "  session\t=abc", kReserved},
                      RuleRow{"Session capitalised is not reserved but is outside the namespace", "Session=abc",
                              kNamespace},
                      RuleRow{"agentgate prefix upper case is outside the namespace", "_AGENTGATE_x=1", kNamespace},
                      RuleRow{"sessions is outside the namespace", "sessions=1", kNamespace}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    Namespace, PolicySetCookieRules,
    ::testing::Values(
        RuleRow{"no prefix", "theme=dark" + kCareful, kNamespace},
        RuleRow{"another agent's uuid", "agt_" + kOtherId + "_sid=1" + kCareful, kNamespace},
        RuleRow{"the agent's slug", "agt_" + kSlug + "_sid=1" + kCareful, kNamespace},
        RuleRow{"upper-case uuid", "agt_" + kIdUpper + "_sid=1" + kCareful, kNamespace},
        RuleRow{"upper-case AGT", "AGT_" + kId + "_sid=1" + kCareful, kNamespace},
        RuleRow{"no trailing underscore", "agt_" + kId + "=1" + kCareful, kNamespace},
        RuleRow{"the id run into the name", "agt_" + kId + "sid=1" + kCareful, kNamespace},
        RuleRow{"hyphen instead of the trailing underscore", "agt_" + kId + "-sid=1" + kCareful, kNamespace},
        RuleRow{"uuid without hyphens", "agt_3f2a9c4e1b7d4e8a9c0f5d6e7f8a9b0c_sid=1" + kCareful, kNamespace},
        RuleRow{"a truncated uuid", "agt_3f2a9c4e_sid=1" + kCareful, kNamespace},
        RuleRow{"__Host- prefix", "__Host-" + kOwn + "sid=1; Secure; HttpOnly; SameSite=Lax; Path=/", kNamespace},
        RuleRow{"__Secure- prefix", "__Secure-" + kOwn + "sid=1" + kCareful, kNamespace},
        RuleRow{"a character before the prefix", "x" + kOwn + "sid=1" + kCareful, kNamespace},
        RuleRow{"the prefix only in the value", "sid=" + kOwn + "x" + kCareful, kNamespace},
        RuleRow{"own prefix", kOwn + "sid=1" + kCareful, kClean},
        RuleRow{"exactly the prefix", kOwn + "=1" + kCareful, kClean},
        RuleRow{"every token special in the name", kOwn + "!#$%&'*+-.^_`|~=1" + kCareful, kClean}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    Validity, PolicySetCookieRules,
    ::testing::Values(
        RuleRow{"no equals sign", kOwn + "sid", kMalformed},
        RuleRow{"no equals sign before the attributes", kOwn + "sid; Path=/agents/x=y", kMalformed},
        RuleRow{"empty string", "", kMalformed},
        RuleRow{"only whitespace", "  \t ", kMalformed},
        RuleRow{"only a semicolon", ";", kMalformed},
        RuleRow{"empty name", "=1", kMalformed},
        RuleRow{"whitespace name", " \t =1", kMalformed},
        RuleRow{"semicolon inside the name", kOwn + "a;b=1", kMalformed},
        RuleRow{"quoted name", "\"" + kOwn + "a\"=1", kMalformed},
        RuleRow{"UTF-8 in the name", kOwn + "caf\xc3\xa9=1", kMalformed},
        RuleRow{"byte 0x80 in the name", kOwn + "a\x80=1", kMalformed},
        RuleRow{"byte 0xff in the name", kOwn + "a\xff=1", kMalformed},
        RuleRow{"whitespace around name, value and attributes",
                "  " + kOwn + "sid  =  v  ;  HttpOnly  ;\tSameSite = Lax ;  Path =  " + kBase + "  ; ", kClean},
        RuleRow{"tab inside the value", kOwn + "sid=a\tb" + kCareful, kClean},
        RuleRow{"equals sign inside the value", kOwn + "sid=a=b==" + kCareful, kClean},
        RuleRow{"empty value", kOwn + "sid=" + kCareful, kClean},
        RuleRow{"quoted value", kOwn + "sid=\"quoted value\"" + kCareful, kClean},
        RuleRow{"quoted value with a semicolon ends at the semicolon", kOwn + "sid=\"a;b\"" + kCareful, kClean},
        RuleRow{"UTF-8 in the value", kOwn + "sid=caf\xc3\xa9-\xe2\x9c\x93" + kCareful, kClean},
        RuleRow{"bytes 0x80-0xff in the value", kOwn + "sid=\x80\xfe\xff" + kCareful, kClean},
        RuleRow{"empty attributes", kOwn + "sid=1;;; ;" + kCareful + ";;", kClean},
        RuleRow{"unknown attributes", kOwn + "sid=1" + kCareful + "; Partitioned; Priority=High; Max-Age=60", kClean},
        RuleRow{"16 KiB value", kOwn + "sid=" + std::string(16 * 1024, 'v') + kCareful, "sent +too-large"},
        RuleRow{"4 KiB name", kOwn + std::string(4096, 'n') + "=1" + kCareful, "sent +too-large"},
        RuleRow{"name and value of exactly 4096 bytes", kOwn + "x=" + std::string(4096 - kOwn.size() - 1, 'v') + kCareful, kClean},
        RuleRow{"SameSite with an unknown value", kOwn + "sid=1; Path=/agents/" + std::string(kId) + "/; HttpOnly; Secure; SameSite=Maybe",
                "sent +samesite"},
        RuleRow{"SameSite with no value", kOwn + "sid=1; Path=/agents/" + std::string(kId) + "/; HttpOnly; Secure; SameSite",
                "sent +samesite"},
        RuleRow{"SameSite=none in lower case", kOwn + "sid=1; Path=/agents/" + std::string(kId) + "/; HttpOnly; Secure; SameSite=none",
                kClean},
        RuleRow{"ten thousand attributes", kOwn + "sid=1" + kCareful + [] {
                  std::string many;
                  for (int i = 0; i < 10000; ++i) many += "; Max-Age=" + std::to_string(i);
                  return many;
                }(), kClean}),
    name_of);

// "0x2f": unique in a test name, whatever the byte.
std::string byte_label(char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto byte = static_cast<unsigned char>(c);
  return std::string("0x") + kHex[byte >> 4] + kHex[byte & 0xf];
}

// Every byte that is a separator in RFC 9110 (not a token character), inside a name.
std::vector<RuleRow> separator_rows() {
  std::vector<RuleRow> rows;
  for (char separator : std::string_view("()<>@,:\\\"/[]?{} \t")) {
    rows.push_back(RuleRow{"separator " + byte_label(separator) + " in the name",
                           kOwn + "a" + separator + "b=1" + kCareful, kMalformed});
  }
  return rows;
}
INSTANTIATE_TEST_SUITE_P(Separators, PolicySetCookieRules, ::testing::ValuesIn(separator_rows()), name_of);

// Every control byte but tab, in the name, the value, an attribute, and at either end.
std::vector<RuleRow> control_byte_rows() {
  std::vector<RuleRow> rows;
  std::vector<char> controls;
  for (int c = 0; c < 0x20; ++c) {
    if (c != '\t') controls.push_back(static_cast<char>(c));
  }
  controls.push_back('\x7f');
  for (char c : controls) {
    std::string byte(1, c);
    std::string label = byte_label(c);
    rows.push_back(RuleRow{label + " in the name", kOwn + "a" + byte + "b=1" + kCareful, kMalformed});
    rows.push_back(RuleRow{label + " in the value", kOwn + "a=x" + byte + "y" + kCareful, kMalformed});
    rows.push_back(RuleRow{label + " in an attribute", kOwn + "a=1" + kCareful + "; Max-Age=6" + byte + "0", kMalformed});
    rows.push_back(RuleRow{label + " at the start", byte + kOwn + "a=1" + kCareful, kMalformed});
    rows.push_back(RuleRow{label + " at the end", kOwn + "a=1" + kCareful + byte, kMalformed});
  }
  return rows;
}
INSTANTIATE_TEST_SUITE_P(ControlBytes, PolicySetCookieRules, ::testing::ValuesIn(control_byte_rows()), name_of);

// ---- advisories ------------------------------------------------------------------------------

INSTANTIATE_TEST_SUITE_P(
    Advice, PolicySetCookieRules,
    ::testing::Values(
        RuleRow{"careful cookie on http", kOwn + "sid=1" + kCareful, kClean},
        RuleRow{"careful cookie on https", kOwn + "sid=1" + kCareful, kClean, true},
        RuleRow{"bare cookie on http", kOwn + "sid=1", "sent +httponly +samesite"},
        RuleRow{"bare cookie on https", kOwn + "sid=1", "sent +httponly +secure +samesite", true},
        RuleRow{"no Secure on http is not advised", kOwn + "sid=1; HttpOnly; SameSite=Lax", kClean},
        RuleRow{"no Secure on https", kOwn + "sid=1; HttpOnly; SameSite=Lax", "sent +secure", true},
        RuleRow{"no HttpOnly", kOwn + "sid=1; Secure; SameSite=Lax", "sent +httponly", true},
        RuleRow{"no SameSite", kOwn + "sid=1; Secure; HttpOnly", "sent +samesite", true},
        RuleRow{"attribute names in any case", kOwn + "sid=1; httponly; SECURE; sAmEsItE=None", kClean, true},
        RuleRow{"attribute names with whitespace", kOwn + "sid=1;  HttpOnly\t;  Secure ;SameSite =Strict", kClean, true},
        RuleRow{"HttpOnly and Secure with values still count", kOwn + "sid=1; HttpOnly=no; Secure=0; SameSite=Lax",
                kClean, true},
        RuleRow{"flags in the value do not count", kOwn + "sid=HttpOnly", "sent +httponly +samesite"},
        RuleRow{"HttpOnlyX is not HttpOnly", kOwn + "sid=1; HttpOnlyX; SameSite=Lax", "sent +httponly"},
        RuleRow{"over-long HttpOnly is ignored as browsers do",
                kOwn + "sid=1; HttpOnly=" + std::string(1025, 'x') + "; SameSite=Lax", "sent +httponly"},
        RuleRow{"HttpOnly value of exactly 1024 bytes counts",
                kOwn + "sid=1; HttpOnly=" + std::string(1024, 'x') + "; SameSite=Lax", kClean},
        RuleRow{"over-long Secure is ignored as browsers do",
                kOwn + "sid=1; HttpOnly; Secure=" + std::string(1025, 'x') + "; SameSite=Lax", "sent +secure", true}),
    name_of);

// Path: the last valid one wins (RFC 6265bis 5.7); one not starting with '/' means the default
// path, which is under the request's path.
std::string with_path(const std::string& paths) { return kOwn + "sid=1; HttpOnly; SameSite=Lax" + paths; }

INSTANTIATE_TEST_SUITE_P(
    Path, PolicySetCookieRules,
    ::testing::Values(
        RuleRow{"no Path", with_path(""), kClean},
        RuleRow{"Path equal to the base path", with_path("; Path=" + kBase), kClean},
        RuleRow{"Path the base path with a slash", with_path("; Path=" + kBase + "/"), kClean},
        RuleRow{"Path inside the base path", with_path("; Path=" + kBase + "/app/settings"), kClean},
        RuleRow{"Path attribute name in any case", with_path("; pAtH=" + kBase + "/app"), kClean},
        RuleRow{"Path with whitespace around the value", with_path("; Path =\t" + kBase + "/app  "), kClean},
        RuleRow{"Path root", with_path("; Path=/"), "sent +path"},
        RuleRow{"Path agents", with_path("; Path=/agents"), "sent +path"},
        RuleRow{"Path agents with a slash", with_path("; Path=/agents/"), "sent +path"},
        RuleRow{"Path the base path and more characters", with_path("; Path=" + kBase + "x"), "sent +path"},
        RuleRow{"Path the base path and an encoded slash", with_path("; Path=" + kBase + "%2Fapp"), "sent +path"},
        RuleRow{"Path a prefix of the base path", with_path("; Path=" + kBase.substr(0, kBase.size() - 1)), "sent +path"},
        RuleRow{"Path with the upper-case id", with_path("; Path=/agents/" + kIdUpper), "sent +path"},
        RuleRow{"Path of another agent", with_path("; Path=/agents/" + kOtherId + "/"), "sent +path"},
        RuleRow{"Path of the slug", with_path("; Path=/agents/" + kSlug), "sent +path"},
        RuleRow{"Path elsewhere", with_path("; Path=/_admin"), "sent +path"},
        RuleRow{"Path not starting with a slash means the default path", with_path("; Path=agents/x"), kClean},
        RuleRow{"Path empty means the default path", with_path("; Path="), kClean},
        RuleRow{"Path without equals means the default path", with_path("; Path"), kClean},
        RuleRow{"the last Path wins, outside", with_path("; Path=" + kBase + "; Path=/"), "sent +path"},
        RuleRow{"the last Path wins, inside", with_path("; Path=/; Path=" + kBase + "/app"), kClean},
        RuleRow{"the last Path is relative: default path", with_path("; Path=/; Path=relative"), kClean},
        RuleRow{"a Path over 1024 bytes is ignored: the one before wins",
                with_path("; Path=/; Path=" + kBase + "/" + std::string(1100, 'p')), "sent +path"},
        RuleRow{"a Path of 1024 bytes counts",
                with_path("; Path=/; Path=" + kBase + "/" + std::string(1024 - kBase.size() - 1, 'p')), kClean},
        RuleRow{"all four advisories", kOwn + "sid=1; Path=/", "sent +httponly +secure +samesite +path", true}),
    name_of);

TEST(PolicySetCookieAdvice, OnItsOwnDomainNoPathIsOutside) {
  CookiePolicy own_domain = policy(false);
  own_domain.base_path = "";
  EXPECT_EQ(outcome(kOwn + "sid=1; HttpOnly; SameSite=Lax; Path=/", own_domain), kClean);
}

TEST(PolicySetCookieAdvice, EveryRuleAndAdviceHasANameAndAMessage) {
  for (CookieRule rule : {CookieRule::kMalformed, CookieRule::kDomainAttribute, CookieRule::kReservedName,
                          CookieRule::kWrongNamespace}) {
    EXPECT_NE(cookie_rule_name(rule), "?");
    EXPECT_FALSE(cookie_rule_message(rule).empty()) << cookie_rule_name(rule);
  }
  for (CookieAdvice advice : {CookieAdvice::kMissingHttpOnly, CookieAdvice::kMissingSecure,
                              CookieAdvice::kMissingSameSite, CookieAdvice::kPathOutsideBase}) {
    EXPECT_FALSE(cookie_advice_message(advice).empty()) << advice_name(advice);
  }
}

// ---- the parsed cookie ---------------------------------------------------------------------------

TEST(PolicyParseSetCookie, SplitsNameValueAndAttributesTrimmed) {
  auto cookie = parse_set_cookie("  sid = a b ;  Path = /x ; HttpOnly ;  Max-Age=  ");
  ASSERT_TRUE(cookie.has_value());
  EXPECT_EQ(cookie->name, "sid");
  EXPECT_EQ(cookie->value, "a b");
  ASSERT_EQ(cookie->attributes.size(), 3u);
  EXPECT_EQ(cookie->attributes[0].name, "Path");
  EXPECT_EQ(cookie->attributes[0].value, "/x");
  EXPECT_TRUE(cookie->attributes[0].has_value);
  EXPECT_EQ(cookie->attributes[1].name, "HttpOnly");
  EXPECT_FALSE(cookie->attributes[1].has_value);
  EXPECT_EQ(cookie->attributes[2].name, "Max-Age");
  EXPECT_EQ(cookie->attributes[2].value, "");
  EXPECT_TRUE(cookie->attributes[2].has_value);
}

TEST(PolicyParseSetCookie, KeepsQuotesInTheValue) {
  auto cookie = parse_set_cookie("sid=\"quoted\"");
  ASSERT_TRUE(cookie.has_value());
  EXPECT_EQ(cookie->value, "\"quoted\"");
}

TEST(PolicyParseSetCookie, AValueEndsAtTheFirstSemicolonEvenInQuotes) {
  auto cookie = parse_set_cookie("sid=\"a;b\"");
  ASSERT_TRUE(cookie.has_value());
  EXPECT_EQ(cookie->value, "\"a");
  ASSERT_EQ(cookie->attributes.size(), 1u);
  EXPECT_EQ(cookie->attributes[0].name, "b\"");
}

// ---- what the console may show ---------------------------------------------------------------

const std::string kSecret = "s3cr3t-VALUE";

struct LoggableRow {
  std::string name;
  std::string header;
  std::string expected;  // the loggable name
};
void PrintTo(const LoggableRow& row, std::ostream* os) { *os << row.name; }

class PolicyCookieLoggableName : public ::testing::TestWithParam<LoggableRow> {};

TEST_P(PolicyCookieLoggableName, IsTheNameOnlyAndPrintable) {
  const LoggableRow& row = GetParam();
  CookieVerdict verdict = check_set_cookie(row.header, policy(true));
  EXPECT_EQ(verdict.loggable_name, row.expected);
  EXPECT_EQ(verdict.loggable_name.find(kSecret), std::string::npos);
  for (char c : verdict.loggable_name) {
    EXPECT_TRUE(c >= 0x21 && c <= 0x7e) << "byte " << static_cast<int>(static_cast<unsigned char>(c));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Names, PolicyCookieLoggableName,
    ::testing::Values(
        LoggableRow{"good cookie", kOwn + "sid=" + kSecret + kCareful, kOwn + "sid"},
        LoggableRow{"wrong namespace", "theme=" + kSecret, "theme"},
        LoggableRow{"reserved", "session=" + kSecret, "session"},
        LoggableRow{"Domain", kOwn + "sid=" + kSecret + "; Domain=example.com", kOwn + "sid"},
        LoggableRow{"whitespace around the name", "  theme \t=" + kSecret, "theme"},
        LoggableRow{"control byte in the value", "theme=" + kSecret + "\r\nx: y", "theme"},
        LoggableRow{"space in the name", "the me=" + kSecret, "the\\x20me"},
        LoggableRow{"control byte in the name", "th\x01me=" + kSecret, "th\\x01me"},
        LoggableRow{"newline in the name", "th\nme=" + kSecret, "th\\x0ame"},
        LoggableRow{"backslash in the name", "th\\me=" + kSecret, "th\\x5cme"},
        LoggableRow{"UTF-8 in the name", "caf\xc3\xa9=" + kSecret, "caf\\xc3\\xa9"},
        LoggableRow{"no equals sign: all value, no name", kSecret, ""},
        LoggableRow{"no equals sign before the attributes", kSecret + "; Path=/x=y", ""},
        LoggableRow{"no equals sign and a control byte", kSecret + "\x01", ""},
        LoggableRow{"a name of 64 bytes is whole", std::string(64, 'n') + "=" + kSecret, std::string(64, 'n')},
        LoggableRow{"a longer name is cut to 64 bytes", std::string(65, 'n') + "=" + kSecret,
                    std::string(64, 'n') + "..."},
        LoggableRow{"a long bad name is cut before escaping", std::string(100, ' ') + "x" + std::string(100, ' ') +
                                                                  "y=" + kSecret,
                    [] {
                      std::string out;
                      for (int i = 0; i < 63; ++i) out += "\\x20";
                      return "x" + out + "...";
                    }()}),
    name_of);

// ---- the inbound Cookie header ---------------------------------------------------------------

struct FilterRow {
  std::string name;
  std::string header;
  std::optional<std::string> expected;
};
void PrintTo(const FilterRow& row, std::ostream* os) { *os << row.name; }

class PolicyCookieFilter : public ::testing::TestWithParam<FilterRow> {};

TEST_P(PolicyCookieFilter, KeepsOnlyThisAgentsCookies) {
  const FilterRow& row = GetParam();
  EXPECT_EQ(filter_cookie_header(row.header, cookie_prefix_for(kId)), row.expected) << escaped(row.header);
}

const std::string kOther = "agt_" + kOtherId + "_";

INSTANTIATE_TEST_SUITE_P(
    Headers, PolicyCookieFilter,
    ::testing::Values(
        FilterRow{"own cookies in their order", kOwn + "b=2; " + kOwn + "a=1", kOwn + "b=2; " + kOwn + "a=1"},
        FilterRow{"others' cookies dropped, order kept",
                  kOther + "x=1; " + kOwn + "b=2; session=s; " + kOwn + "a=1; _agentgate_csrf=t; logged_in=yes",
                  kOwn + "b=2; " + kOwn + "a=1"},
        FilterRow{"only others' cookies", kOther + "x=1; session=s; theme=dark", std::nullopt},
        FilterRow{"empty header", "", std::nullopt},
        FilterRow{"only separators and whitespace", " ; ;;\t; ", std::nullopt},
        FilterRow{"empty pieces around own cookies", ";; " + kOwn + "a=1 ;;; " + kOwn + "b=2;", kOwn + "a=1; " + kOwn + "b=2"},
        FilterRow{"whitespace and tabs trimmed", "\t " + kOwn + "a=1 \t;" + kOwn + "b=2   ", kOwn + "a=1; " + kOwn + "b=2"},
        FilterRow{"space before the equals sign kept", kOwn + "a =1", kOwn + "a =1"},
        FilterRow{"nameless cookie dropped", "justavalue; " + kOwn + "a=1", kOwn + "a=1"},
        FilterRow{"nameless cookie that looks like an own name dropped", kOwn + "a", std::nullopt},
        FilterRow{"empty name dropped", "=1; " + kOwn + "a=1", kOwn + "a=1"},
        FilterRow{"no trailing underscore dropped", "agt_" + kId + "=1", std::nullopt},
        FilterRow{"exactly the prefix kept", kOwn + "=1", kOwn + "=1"},
        FilterRow{"upper-case id dropped", "agt_" + kIdUpper + "_a=1", std::nullopt},
        FilterRow{"slug dropped", "agt_" + kSlug + "_a=1", std::nullopt},
        FilterRow{"upper-case AGT dropped", "AGT_" + kId + "_a=1", std::nullopt},
        FilterRow{"__Host- own name dropped", "__Host-" + kOwn + "a=1", std::nullopt},
        FilterRow{"own prefix in another cookie's value dropped", "theme=" + kOwn + "a=1", std::nullopt},
        FilterRow{"another agent's value holding own prefix dropped", kOther + "x=" + kOwn + "a=1", std::nullopt},
        FilterRow{"value with equals signs kept", kOwn + "a=b=c", kOwn + "a=b=c"},
        FilterRow{"empty value kept", kOwn + "a=", kOwn + "a="},
        FilterRow{"quoted value kept", kOwn + "a=\"x y\"", kOwn + "a=\"x y\""},
        FilterRow{"duplicates kept", kOwn + "a=1; " + kOwn + "a=2", kOwn + "a=1; " + kOwn + "a=2"},
        FilterRow{"UTF-8 value kept", kOwn + "a=caf\xc3\xa9", kOwn + "a=caf\xc3\xa9"}),
    name_of);

}  // namespace
}  // namespace agentgate::testing
