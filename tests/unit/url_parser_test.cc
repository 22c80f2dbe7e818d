// The isolate's URL parses with ada (sandbox/url_binding.cc) and builds the WHATWG reference
// implementation's URL record from it; form-encoded queries are parsed and serialized with the
// engine's URI functions (both in third_party/js/url-entry.js). The oracle is that reference
// implementation itself (whatwg-url, run in Node from third_party/js/node_modules): every getter of
// every case, URLs changed through the reference setters afterwards, and URLSearchParams parsing
// and serializing must come out the same.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/node_compare.h"

namespace agentgate::testing {
namespace {

// [input] or [input, base]. Chosen to reach every kind of record ada has to be turned into:
// hosts (domain, IPv4 in its many spellings, IPv6 compressed or not, opaque, empty, absent),
// paths (segments, opaque, empty, "/." for a path that looks like a host), credentials, ports,
// queries and fragments present-but-empty, percent-encoding, IDNA, and relative resolution.
constexpr const char* kCases = R"JS([
  ["https://example.com"], ["https://example.com/"], ["HTTPS://EXAMPLE.COM/A/B"], ["https://example.com:443/x"],
  ["https://example.com:8443/x?y#z"], ["http://example.com:80/"], ["http://example.com:0/"], ["ws://a.test:80/"],
  ["wss://a.test:443/chat"], ["ftp://a.test:21/f"], ["https://user:pass@example.com/"], ["https://user@example.com/"],
  ["https://:pass@example.com/"], ["https://us%20er:p@ss@example.com/"], ["https://a b@example.com/"],
  ["https://example.com/?"], ["https://example.com/#"], ["https://example.com/?#"], ["https://example.com/?a=1&b=2#frag"],
  ["https://example.com/a b?c d#e f"], ["https://example.com/%zz"], ["https://example.com/\u00e9?\u00e9#\u00e9"],
  ["https://example.com/a/./b/../c"], ["https://example.com/a/%2e%2E/b"], ["https://example.com/.."], ["https://example.com\\a\\b"],
  ["  https://example.com/  "], ["https://exa\tmple.com/\n"], ["https://b\u00fccher.example/"], ["https://xn--bcher-kva.example/"],
  ["https://EXAMPLE.com./"], ["https://ex%41mple.com/"], ["http://127.0.0.1/"], ["http://0x7f.1/"], ["http://2130706433/"],
  ["http://0177.0.0.1/"], ["http://127.1/"], ["http://192.168.0.257/"], ["http://1.2.3.4.5/"], ["http://[::1]/"],
  ["http://[::1]:8080/x"], ["http://[2001:db8:0:0:1:0:0:1]/"], ["http://[2001:DB8::]/"], ["http://[::ffff:127.0.0.1]/"],
  ["http://[0:0:0:0:0:0:0:0]/"], ["http://[1:2:3:4:5:6:7:8]/"], ["http://[1::8]/"], ["http://[::1/"], ["http://[1:2]/"],
  ["file:///etc/passwd"], ["file://localhost/etc"], ["file://host.example/share/x"], ["file:/c:/windows"], ["file:c|/x"],
  ["file:///C:/a/../.."], ["mailto:someone@example.com"], ["mailto:"], ["data:text/plain,hello world"],
  ["javascript:alert(1)"], ["blob:https://a.example/uuid-1"], ["blob:nonsense"], ["urn:isbn:0451450523"],
  ["foo://host/path"], ["foo://host"], ["foo://"], ["foo:"], ["foo:/"], ["foo:/.//not-a-host/"], ["foo:////x"],
  ["foo://user:pw@h%20st:99/p?q#f"], ["foo://[::1]:5/"], ["foo:bar baz?q r#s t"], ["web+demo:/.//x"],
  ["sc://\u00f1.test/"], ["sc://%/"], ["https://a.example:65535/"], ["https://a.example:65536/"], ["https://a.example:1x/"],
  ["https://exa mple.com/"], ["https://a.example/ünïcode/?q=ü#ü"], ["http://a.example/\uD83D\uDE00"], ["not a url"],
  ["https://"], ["https:"], ["https:example.com"], ["https:/example.com"], ["//example.com"], [""],
  ["../b?x=1#f", "https://a.example/p/q/r"], ["/cb", "https://a.example/agents/x/y"], ["//other.example/x", "https://a.example/"],
  ["?q=1", "https://a.example/p?old#h"], ["#only", "https://a.example/p?q"], ["", "https://a.example/p?q#h"],
  ["x", "https://a.example/dir/"], ["x", "mailto:a@b"], ["#f", "mailto:a@b"], ["x", "file:///a/b"], ["../../..", "file:///a/b/c"],
  ["c:/x", "file:///d:/y"], ["http:x", "http://a.example/dir/"], ["https:x", "http://a.example/"], ["\\\\evil.example\\x", "https://a.example/"],
  ["x", "foo://h/p/q"], ["x", "foo:opaque"], ["/x", "http://[::1]:81/y"], ["y", "not a base"], ["http://u:p@h/?q", "https://ignored/"],
  ["sc:a ?x"], ["javascript:alert(1) #x"], ["sc:a b"], ["http://\u1E9E.de/"], ["http://xn--zca.de/"], ["http://XN--ZCA.de/"],
  ["http://ex%C3%A9mple.com/"], ["http://\u00DF.de/"], ["https://faß.example/"], ["http://xn--a.example/"], ["http://a.xn--/"],
  ["https://a.example/a^b?c^d#e^f"], ["foo://host/^"], ["foo:^"], ["x^y", "https://a.example/p/"]
])JS";

// [input, setter, value]: the reference setters working on a record built from ada's parse.
constexpr const char* kSetters = R"JS([
  ["https://a.example/p?q#h", "pathname", "/x y/%41"], ["https://a.example/p?q#h", "search", "a=1&b= 2"],
  ["https://a.example/p?q#h", "search", ""], ["https://a.example/p?q#h", "hash", ""], ["https://a.example/p", "hash", "f g"],
  ["https://a.example/p", "host", "b.example:81"], ["https://a.example/p", "hostname", "[::1]"], ["https://a.example:81/p", "port", ""],
  ["https://a.example/p", "port", "8080"], ["https://a.example/p", "protocol", "http"], ["https://a.example/p", "protocol", "foo"],
  ["https://a.example/p", "username", "u s"], ["https://a.example/p", "password", "p@ss"], ["https://a.example/p", "href", "http://b.example/"],
  ["http://127.0.0.1/", "pathname", "//x"], ["http://[::1]/", "port", "99"], ["foo://h/p", "pathname", "q"], ["foo:opaque", "search", "x"],
  ["file:///a", "host", "srv"], ["mailto:a@b", "hash", "x"]
])JS";

// [query] for URLSearchParams: parsing ("+", escapes good and broken, UTF-8 good and invalid, empty
// parts, several "=") and, through toString, serializing; and [name, value] pairs to serialize.
constexpr const char* kQueries = R"JS([
  ["a=1&b=2"], ["?a=1"], ["a=1+2"], ["a=%201%202"], ["a=1%2B2"], ["n=Jos%C3%A9"], ["a=%zz"], ["a=%"], ["a=%4"],
  ["a=%FF"], ["a=%C3"], ["a=%C0%80"], ["a=%ED%A0%80"], ["a=%EF%BB%BFx"], ["a=%EF%BF%BF"], ["q=\u00e9\u20ac"],
  ["q=\uD83D\uDE00"], ["q=\uD83D"], ["&&a=1&&"], ["="], ["=x"], ["x="], ["a==b=c"], ["a"], ["a&b&c=1"],
  ["%61=%62"], ["a%3Db=c%26d"], ["+=+"], ["k=*-._~!'()"], ["k=a%2Fb%3F%23"], [""]
])JS";

constexpr const char* kPairs = R"JS([
  ["a", "1 2"], ["b", "&=?/#+"], ["q", "\u00e9\u20ac"], ["k", "*-._~!'()"], ["e", "\uD83D\uDE00"], ["lone", "\uD83D"],
  ["", ""], ["sp ace", "tab\tnl\n"], ["pct", "100%"], ["ascii", "ABCxyz0189"]
])JS";

constexpr const char* kDescribe = R"JS(
const urlParts = (u) => [u.href, u.origin, u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname,
                         u.search, u.hash, u.searchParams.toString()].join(' | ');
const describeParse = ([input, base]) => {
  try { return urlParts(base === undefined ? new URL(input) : new URL(input, base)); } catch (e) { return 'threw ' + e.name; }
};
const describeQuery = ([query]) => {
  const params = new URLSearchParams(query);
  return JSON.stringify([...params]) + ' | ' + params.toString() + ' | ' + new URL('https://a.example/?' + query).searchParams.toString();
};
const describePair = ([name, value]) => {
  const params = new URLSearchParams();
  params.append(name, value);
  const u = new URL('https://a.example/p');
  u.searchParams.set(name, value);
  return params.toString() + ' | ' + u.href + ' | ' + JSON.stringify([...new URLSearchParams(params.toString())]);
};
const describeSetter = ([input, setter, value]) => {
  try { const u = new URL(input); u[setter] = value; return urlParts(u); } catch (e) { return 'threw ' + e.name; }
};
)JS";

// One line per case: the case as JSON, then what `describe` makes of it.
std::string expression(const char* cases, const char* describe) {
  return std::string(cases) + ".map((c) => JSON.stringify(c) + ' => ' + " + describe + "(c)).join('\\n')";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void expect_same_as_reference(const char* cases, const char* describe) {
  std::string reference =
      "const { URL, URLSearchParams } = require('" AGENTGATE_SOURCE_DIR "/third_party/js/node_modules/whatwg-url');\n";
  auto expected = lines_of(in_node(reference + kDescribe, expression(cases, describe)));
  SandboxHarness harness;
  auto actual = lines_of(in_agentgate(harness, kDescribe, expression(cases, describe)));
  ASSERT_GT(expected.size(), 1u) << (expected.empty() ? "" : expected[0]);
  ASSERT_EQ(actual.size(), expected.size()) << (actual.empty() ? "" : actual[0]);
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(actual[i], expected[i]);
}

TEST(UrlParser, EveryGetterMatchesTheReferenceImplementation) { expect_same_as_reference(kCases, "describeParse"); }

TEST(UrlParser, ReferenceSettersWorkOnTheRecordsAdaBuilds) { expect_same_as_reference(kSetters, "describeSetter"); }

TEST(UrlParser, QueriesParseAsTheReferenceParsesThem) { expect_same_as_reference(kQueries, "describeQuery"); }

TEST(UrlParser, ParamsSerializeAsTheReferenceSerializesThem) { expect_same_as_reference(kPairs, "describePair"); }

// A URL too long for the native parser goes to the reference one, inside the isolate's limits: the
// request fails (CPU limit or RangeError), the isolate and the process carry on.
TEST(UrlParser, AnOverlongUrlFailsItsRequestNotTheServer) {
  SandboxHarness harness;
  std::string result = harness.eval("new URL('http://a.example/' + '\\u00ff'.repeat(3 << 20)).pathname.length");
  EXPECT_TRUE(result.rfind("outcome", 0) == 0 || result.rfind("threw", 0) == 0) << result;
  EXPECT_EQ(harness.eval("new URL('https://a.example/ok').href"), "https://a.example/ok");
}

}  // namespace
}  // namespace agentgate::testing
