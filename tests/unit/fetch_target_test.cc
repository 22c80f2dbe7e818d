// The pure half of fetch: where a URL connects (dispatcher/fetch_target.h), which operator
// exceptions admit a destination (policy/egress.h), and what request a redirect leads to.
#include "dispatcher/fetch_target.h"

#include <gtest/gtest.h>

#include <string>

namespace agentgate {
namespace {

std::string describe(const Result<FetchTarget>& target) {
  if (!target) return target.error().code;
  return std::string(target->tls ? "tls " : "plain ") + target->host + " " + std::to_string(target->port) + " host=" +
         target->host_header + " target=" + target->target + (target->literal ? " literal" : " name");
}

struct TargetRow {
  const char* name;
  const char* url;
  const char* expected;
};

class FetchTargetTable : public ::testing::TestWithParam<TargetRow> {};

TEST_P(FetchTargetTable, Parses) { EXPECT_EQ(describe(parse_fetch_target(GetParam().url)), GetParam().expected); }

INSTANTIATE_TEST_SUITE_P(
    Urls, FetchTargetTable,
    ::testing::Values(
        TargetRow{"https default port", "https://oauth2.googleapis.com/token", "tls oauth2.googleapis.com 443 host=oauth2.googleapis.com target=/token name"},
        TargetRow{"http default port", "http://example.com", "plain example.com 80 host=example.com target=/ name"},
        TargetRow{"explicit port and query", "http://127.0.0.1:8080/a/b?x=1&y=%20", "plain 127.0.0.1 8080 host=127.0.0.1:8080 target=/a/b?x=1&y=%20 literal"},
        TargetRow{"explicit default port is left out of Host", "https://a.test:443/", "tls a.test 443 host=a.test target=/ name"},
        TargetRow{"IPv6 literal", "http://[::1]:9000/x", "plain ::1 9000 host=[::1]:9000 target=/x literal"},
        TargetRow{"IPv4-mapped IPv6 literal", "http://[::ffff:7f00:1]/", "plain ::ffff:7f00:1 80 host=[::ffff:7f00:1] target=/ literal"},
        TargetRow{"upper-case host", "https://API.Example.COM/", "tls api.example.com 443 host=api.example.com target=/ name"},
        TargetRow{"fragment is not sent", "https://a.test/p#frag", "tls a.test 443 host=a.test target=/p name"},
        TargetRow{"empty query kept", "https://a.test/p?", "tls a.test 443 host=a.test target=/p? name"},
        TargetRow{"brackets and braces in the query, as WHATWG URL leaves them", "https://api.test/x?filter[name]={v}|w",
                  "tls api.test 443 host=api.test target=/x?filter%5Bname%5D=%7Bv%7D%7Cw name"},
        TargetRow{"a stray percent", "http://a.test/100%zz?q=%41", "plain a.test 80 host=a.test target=/100%25zz?q=%41 name"},
        TargetRow{"ftp refused", "ftp://a.test/", "INVALID_URL"},
        TargetRow{"file refused", "file:///etc/passwd", "INVALID_URL"},
        TargetRow{"credentials refused", "https://user:pw@a.test/", "INVALID_URL"},
        TargetRow{"relative refused", "/just/a/path", "INVALID_URL"},
        TargetRow{"port 0 refused", "http://a.test:0/", "INVALID_URL"},
        TargetRow{"port out of range refused", "http://a.test:70000/", "INVALID_URL"},
        TargetRow{"no host refused", "http:///path", "INVALID_URL"},
        TargetRow{"not a URL", "not a url", "INVALID_URL"}),
    [](const auto& info) {
      std::string name;
      for (const char* c = info.param.name; *c; ++c) name += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
      return name;
    });

TEST(FetchTargetError, NeverEchoesTheUrl) {
  auto target = parse_fetch_target("https://a.test:99999/?key=SECRET-123");
  ASSERT_FALSE(target);
  EXPECT_EQ(target.error().message.find("SECRET-123"), std::string::npos) << target.error().message;
}

TEST(EgressException, ParsesHostAndPort) {
  auto v4 = parse_egress_exception("127.0.0.1:8443");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host + " " + std::to_string(v4->port), "127.0.0.1 8443");
  auto v6 = parse_egress_exception("[::1]:80");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host + " " + std::to_string(v6->port), "::1 80");
  for (const char* bad : {"", ":80", "host", "host:", "host:0", "host:65536", "host:8o", "::1:80", "[::1]", "[nope]:80",
                          "a b:80", "user@host:80", "[::1]x:80"}) {
    EXPECT_FALSE(parse_egress_exception(bad)) << bad;
  }
}

TEST(EgressException, AdmitsExactlyTheNamedHostAndPort) {
  std::vector<EgressException> allowed = {parse_egress_exception("127.0.0.1:8443").value(),
                                          parse_egress_exception("localhost:9000").value(),
                                          parse_egress_exception("[::1]:7000").value()};
  struct Row {
    const char* host;
    uint16_t port;
    bool admitted;
  } rows[] = {
      {"127.0.0.1", 8443, true},
      {"127.0.0.1", 8444, false},                // another port
      {"127.0.0.2", 8443, false},                // another address
      {"localhost", 8443, false},                // the name of the address is not the address
      {"::ffff:7f00:1", 8443, false},            // the mapped form of an admitted IPv4 address
      {"[::ffff:127.0.0.1]", 8443, false},
      {"localhost", 9000, true},
      {"LOCALHOST", 9000, true},
      {"127.0.0.1", 9000, false},                // the address a name resolves to is not the name
      {"::1", 7000, true},
      {"[::1]", 7000, true},
      {"0:0::1", 7000, true},                    // the same IPv6 address, written differently
      {"::1", 7001, false},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(egress_excepted(allowed, row.host, row.port), row.admitted) << row.host << ":" << row.port;
  }
  EXPECT_FALSE(egress_excepted({}, "127.0.0.1", 8443));
}

TEST(IpLiteral, ParsesBothFamiliesAndNothingElse) {
  EXPECT_TRUE(parse_ip_literal("10.0.0.1"));
  EXPECT_TRUE(parse_ip_literal("::1"));
  EXPECT_TRUE(parse_ip_literal("[::ffff:127.0.0.1]"));
  EXPECT_EQ(parse_ip_literal("[::ffff:127.0.0.1]")->bytes, parse_ip_literal("127.0.0.1")->bytes);
  for (const char* text : {"", "localhost", "10.0.0", "10.0.0.256", "0x7f.1", "[::1", "::g", "1.2.3.4.5"}) {
    EXPECT_FALSE(parse_ip_literal(text)) << text;
  }
}

OutboundRequest post(const std::string& url) {
  return OutboundRequest{"POST", url,
                         {{"content-type", "application/x-www-form-urlencoded"},
                          {"authorization", "Bearer t"},
                          {"cookie", "a=1"},
                          {"x-trace", "1"}},
                         "code=abc",
                         RedirectMode::kFollow};
}

std::string names(const HeaderList& headers) {
  std::string out;
  for (const auto& [name, value] : headers) out += (out.empty() ? "" : ",") + name;
  return out;
}

TEST(Redirect, SeeOtherTurnsIntoABodilessGet) {
  auto next = redirect_request(post("https://a.test/token"), 303, "/done?x=1");
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(next->method, "GET");
  EXPECT_EQ(next->url, "https://a.test/done?x=1");
  EXPECT_EQ(next->body, "");
  EXPECT_EQ(names(next->headers), "authorization,cookie,x-trace");  // same origin: credentials stay
}

TEST(Redirect, FoundAfterPostTurnsIntoGetButTemporaryKeepsMethodAndBody) {
  for (int status : {301, 302}) {
    auto next = redirect_request(post("https://a.test/token"), status, "https://a.test/other");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->method + " " + next->body, "GET ") << status;
  }
  for (int status : {307, 308}) {
    auto next = redirect_request(post("https://a.test/token"), status, "https://a.test/other");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->method + " " + next->body, "POST code=abc") << status;
    EXPECT_EQ(names(next->headers), "content-type,authorization,cookie,x-trace") << status;
  }
  OutboundRequest put = post("https://a.test/");
  put.method = "PUT";
  EXPECT_EQ(redirect_request(put, 302, "/x")->method, "PUT");  // only POST turns into GET on 301/302
}

TEST(Redirect, AnotherOriginLosesCredentials) {
  for (const char* location : {"https://b.test/x", "http://a.test/x", "https://a.test:8443/x"}) {
    auto next = redirect_request(post("https://a.test/token"), 307, location);
    ASSERT_TRUE(next) << location;
    EXPECT_EQ(names(next->headers), "content-type,x-trace") << location;
  }
  auto same = redirect_request(post("https://a.test/token"), 307, "https://A.TEST:443/y");
  ASSERT_TRUE(same);
  EXPECT_EQ(names(same->headers), "content-type,authorization,cookie,x-trace");
}

TEST(Redirect, ResolvesRelativeLocationsAndEncodesStrayBytes) {
  EXPECT_EQ(redirect_request(post("https://a.test/a/b"), 307, "c")->url, "https://a.test/a/c");
  EXPECT_EQ(redirect_request(post("https://a.test/a/b"), 307, "../c?q")->url, "https://a.test/c?q");
  EXPECT_EQ(redirect_request(post("https://a.test/a/b"), 307, "//b.test/x")->url, "https://b.test/x");
  EXPECT_EQ(redirect_request(post("https://a.test/a/b"), 307, "/p q/\xc3\xa9")->url, "https://a.test/p%20q/%C3%A9");
}

TEST(Redirect, RefusesLocationsOutsideHttp) {
  for (const char* location : {"ftp://a.test/", "file:///etc/passwd", "javascript:alert(1)", "data:text/plain,hi"}) {
    auto next = redirect_request(post("https://a.test/"), 302, location);
    EXPECT_EQ(next ? "followed" : next.error().code, "REDIRECT_FAILED") << location;
  }
  EXPECT_TRUE(is_redirect_status(301) && is_redirect_status(308) && !is_redirect_status(300) && !is_redirect_status(304));
}

}  // namespace
}  // namespace agentgate
