// The Headers class (Fetch standard): each case runs in Node.js and in the sandbox, and the results
// must be the same. Also: a handler may return a Headers as its response headers.
#include <gtest/gtest.h>

#include "tests/support/sandbox_harness.h"
#include "tests/unit/node_compare.h"

namespace agentgate::testing {
namespace {

constexpr const char* kPrologue = "const show = (h) => JSON.stringify([...h]);";

using HeadersCase = NodeCase;

class HeadersMatchNode : public ::testing::TestWithParam<HeadersCase> {};

TEST_P(HeadersMatchNode, SameResult) {
  expect_same_as_node(kPrologue, GetParam().expression);
}

INSTANTIATE_TEST_SUITE_P(
    Fetch, HeadersMatchNode,
    ::testing::Values(
        HeadersCase{"from_an_object", "show(new Headers({ 'Content-Type': 'text/html', 'X-B': '1' }))"},
        HeadersCase{"from_pairs", "show(new Headers([['b', '2'], ['a', '1'], ['b', '3']]))"},
        HeadersCase{"from_headers", "show(new Headers(new Headers({ a: '1' })))"},
        HeadersCase{"get_is_case_insensitive", "new Headers({ 'Content-Type': 'text/html' }).get('content-TYPE')"},
        HeadersCase{"get_missing_is_null", "String(new Headers().get('x'))"},
        HeadersCase{"append_combines", "(() => { const h = new Headers(); h.append('a', '1'); h.append('A', '2'); return h.get('a'); })()"},
        HeadersCase{"set_replaces_all", "(() => { const h = new Headers([['a', '1'], ['a', '2'], ['b', '3']]); h.set('a', 'x'); return show(h); })()"},
        HeadersCase{"delete", "(() => { const h = new Headers({ a: '1', b: '2' }); h.delete('A'); return show(h) + h.has('a') + h.has('b'); })()"},
        HeadersCase{"values_are_trimmed", "new Headers({ a: ' \\t v \\n' }).get('a')"},
        HeadersCase{"set_cookie_is_not_combined",
                    "(() => { const h = new Headers(); h.append('Set-Cookie', 'a=1'); h.append('set-cookie', 'b=2'); h.append('x', 'y');"
                    " return show(h) + JSON.stringify(h.getSetCookie()) + h.get('set-cookie'); })()"},
        HeadersCase{"sorted_iteration", "show(new Headers([['z', '1'], ['a', '2'], ['m', '3']]))"},
        HeadersCase{"keys_and_values", "(() => { const h = new Headers({ b: '2', a: '1' }); return JSON.stringify([[...h.keys()], [...h.values()]]); })()"},
        HeadersCase{"for_each", "(() => { const out = []; new Headers({ b: '2', a: '1' }).forEach((v, k) => out.push(k + '=' + v)); return out.join(); })()"},
        HeadersCase{"bad_name", "new Headers({ 'bad name': '1' })"},
        HeadersCase{"bad_value", "new Headers({ a: 'x\\r\\ny' })"},
        HeadersCase{"bad_pair", "new Headers([['a', '1', '2']])"},
        HeadersCase{"to_string_tag", "Object.prototype.toString.call(new Headers())"}),
    node_case_name);

TEST(HeadersInResponses, AHandlerMayReturnAHeadersObject) {
  SandboxHarness harness;
  auto outcome = harness.run_source(
      "export default () => { const h = new Headers({ 'Content-Type': 'text/plain' });"
      " h.append('Set-Cookie', 'a=1'); h.append('Set-Cookie', 'b=2'); return { headers: h, body: 'ok' }; };");
  ASSERT_EQ(static_cast<int>(outcome.status), 0) << outcome.detail;
  HeaderList expected = {{"content-type", "text/plain"}, {"set-cookie", "a=1"}, {"set-cookie", "b=2"}};
  EXPECT_EQ(outcome.response.headers, expected);
}

}  // namespace
}  // namespace agentgate::testing
