// fetch's JS surface, where it fails before any connection: each case runs in Node.js (the
// reference) and in the sandbox, neither of which reaches a network (arguments are refused first;
// the sandbox harness has no fetcher at all). The network side is tests/integration/fetch_test.cc.
#include <gtest/gtest.h>

#include "tests/support/sandbox_harness.h"
#include "tests/unit/node_compare.h"

namespace agentgate::testing {
namespace {

using FetchCase = NodeCase;

class FetchMatchesNode : public ::testing::TestWithParam<FetchCase> {};

TEST_P(FetchMatchesNode, SameResult) {
  expect_same_as_node("", GetParam().expression);
}

INSTANTIATE_TEST_SUITE_P(
    Fetch, FetchMatchesNode,
    ::testing::Values(
        FetchCase{"is_a_function", "[typeof fetch, fetch.name, fetch.length].join()"},
        FetchCase{"returns_a_promise_even_when_it_fails", "(() => { const p = fetch('/relative'); p.catch(() => {}); return p instanceof Promise; })()"},
        FetchCase{"relative_url", "fetch('/relative')"},
        FetchCase{"not_a_url", "fetch('http://')"},
        FetchCase{"credentials_in_the_url", "fetch('https://user:pw@example.com/')"},
        FetchCase{"invalid_method", "fetch('https://example.com/', { method: 'BAD METHOD' })"},
        FetchCase{"forbidden_method", "fetch('https://example.com/', { method: 'CONNECT' })"},
        FetchCase{"get_with_a_body", "fetch('https://example.com/', { method: 'GET', body: 'x' })"},
        FetchCase{"bad_redirect_mode", "fetch('https://example.com/', { redirect: 'sometimes' })"},
        FetchCase{"header_with_a_newline", "fetch('https://example.com/', { headers: { 'x-a': 'b\\nc' } })"},
        FetchCase{"bad_header_name", "fetch('https://example.com/', { headers: { 'a b': 'c' } })"},
        FetchCase{"signal_not_an_AbortSignal", "fetch('https://example.com/', { signal: {} })"},
        FetchCase{"already_aborted", "fetch('https://example.com/', { signal: AbortSignal.abort() })"},
        FetchCase{"already_aborted_with_a_reason",
                  "fetch('https://example.com/', { signal: AbortSignal.abort(new RangeError('why')) })"},
        FetchCase{"aborted_reason_is_the_signals",
                  "(() => { const reason = new Error('mine'); return fetch('https://example.com/', { signal: AbortSignal.abort(reason) })"
                  ".catch((e) => e === reason); })()"},
        FetchCase{"used_request_body", "(async () => { const r = new Request('https://example.com/', { method: 'POST', body: 'x' });"
                                       " await r.text(); return fetch(r); })()"}),
    node_case_name);

TEST(FetchInSandbox, WithoutAFetcherItRejectsWithATypeErrorThatSaysSo) {
  SandboxHarness harness;
  EXPECT_EQ(harness.eval("fetch('https://example.com/').catch((e) => [e.name, e.code, e.message].join('|'))"),
            "TypeError|FETCH_UNAVAILABLE|fetch is not available on this server");
}

}  // namespace
}  // namespace agentgate::testing
