// The Request class (Fetch standard, without streams): each case runs in Node.js and in the
// sandbox and must give the same result.
#include <gtest/gtest.h>

#include "tests/support/sandbox_harness.h"
#include "tests/unit/node_compare.h"

namespace agentgate::testing {
namespace {

constexpr const char* kPrologue =
    "const show = (r) => JSON.stringify([r.url, r.method, [...r.headers], r.redirect, r.bodyUsed, r.signal.aborted]);";

using RequestCase = NodeCase;

class RequestMatchesNode : public ::testing::TestWithParam<RequestCase> {};

TEST_P(RequestMatchesNode, SameResult) {
  expect_same_as_node(kPrologue, GetParam().expression);
}

INSTANTIATE_TEST_SUITE_P(
    Fetch, RequestMatchesNode,
    ::testing::Values(
        RequestCase{"defaults", "show(new Request('https://example.com/a?b=c'))"},
        RequestCase{"url_is_normalised", "new Request('HTTPS://Example.COM/a/../b c').url"},
        RequestCase{"method_normalised", "[new Request('https://e.com', { method: 'post' }).method, new Request('https://e.com', { method: 'patch' }).method].join()"},
        RequestCase{"forbidden_method", "new Request('https://e.com', { method: 'TRACE' })"},
        RequestCase{"invalid_method", "new Request('https://e.com', { method: 'BAD METHOD' })"},
        RequestCase{"relative_url", "new Request('/relative')"},
        RequestCase{"credentials_in_url", "new Request('https://user:pass@e.com/')"},
        RequestCase{"get_with_body", "new Request('https://e.com', { body: 'x' })"},
        RequestCase{"post_text_body",
                    "(async () => { const r = new Request('https://e.com', { method: 'POST', body: 'héllo' }); return show(r) + await r.text(); })()"},
        RequestCase{"post_form_body",
                    "(async () => { const r = new Request('https://e.com/token', { method: 'POST', body: new URLSearchParams({ code: 'a b', grant_type: 'authorization_code' }) });"
                    " return show(r) + await r.text(); })()"},
        RequestCase{"post_json_headers",
                    "show(new Request('https://e.com', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } }))"},
        RequestCase{"redirect_modes", "[new Request('https://e.com', { redirect: 'manual' }).redirect, new Request('https://e.com', { redirect: 'error' }).redirect].join()"},
        RequestCase{"bad_redirect_mode", "new Request('https://e.com', { redirect: 'sometimes' })"},
        RequestCase{"from_a_request",
                    "(async () => { const a = new Request('https://e.com/x', { method: 'PUT', body: 'b', headers: { 'x-a': '1' } });"
                    " const b = new Request(a, { headers: { 'x-b': '2' } }); return show(b) + await b.text(); })()"},
        RequestCase{"clone_then_read_both",
                    "(async () => { const a = new Request('https://e.com', { method: 'POST', body: 'x' }); const b = a.clone(); return (await a.text()) + (await b.text()); })()"},
        RequestCase{"clone_after_read", "(async () => { const a = new Request('https://e.com', { method: 'POST', body: 'x' }); await a.text(); return a.clone(); })()"},
        RequestCase{"signal_from_init",
                    "(() => { const c = new AbortController(); const r = new Request('https://e.com', { signal: c.signal }); c.abort(); return r.signal.aborted; })()"},
        RequestCase{"to_string_tag", "Object.prototype.toString.call(new Request('https://e.com'))"}),
    node_case_name);

}  // namespace
}  // namespace agentgate::testing
