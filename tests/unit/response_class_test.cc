// The Response class (Fetch standard, without streams): each case runs in Node.js and in the
// sandbox and must give the same result. And a handler may return a Response.
#include <gtest/gtest.h>

#include "tests/support/sandbox_harness.h"
#include "tests/unit/node_compare.h"

namespace agentgate::testing {
namespace {

constexpr const char* kPrologue = "const show = (r) => JSON.stringify([r.status, r.ok, r.statusText, [...r.headers]]);";

using ResponseCase = NodeCase;

class ResponseMatchesNode : public ::testing::TestWithParam<ResponseCase> {};

TEST_P(ResponseMatchesNode, SameResult) {
  expect_same_as_node(kPrologue, GetParam().expression);
}

INSTANTIATE_TEST_SUITE_P(
    Fetch, ResponseMatchesNode,
    ::testing::Values(
        ResponseCase{"defaults", "show(new Response())"},
        ResponseCase{"text_body", "(async () => { const r = new Response('héllo'); return show(r) + await r.text(); })()"},
        ResponseCase{"status_and_headers", "show(new Response('x', { status: 404, statusText: 'Nope', headers: { 'X-A': '1' } }))"},
        ResponseCase{"bytes_body", "new Response(new Uint8Array([104, 105])).text()"},
        ResponseCase{"array_buffer", "new Response('abc').arrayBuffer().then((b) => b.byteLength)"},
        ResponseCase{"json_body", "new Response('{\"a\":[1,2]}').json().then(JSON.stringify)"},
        ResponseCase{"form_body", "(async () => { const r = new Response(new URLSearchParams({ a: '1 2', b: 'é' })); return show(r) + await r.text(); })()"},
        ResponseCase{"static_json", "(async () => { const r = Response.json({ a: 1 }, { status: 201 }); return show(r) + await r.text(); })()"},
        ResponseCase{"redirect", "show(Response.redirect('https://example.com/a b', 303))"},
        ResponseCase{"redirect_bad_status", "Response.redirect('https://example.com/', 200)"},
        ResponseCase{"status_out_of_range", "new Response('x', { status: 600 })"},
        ResponseCase{"body_read_twice", "(async () => { const r = new Response('x'); await r.text(); return r.text(); })()"},
        ResponseCase{"body_used", "(async () => { const r = new Response('x'); const before = r.bodyUsed; await r.text(); return [before, r.bodyUsed].join(); })()"},
        ResponseCase{"null_body_status_with_body", "new Response('x', { status: 204 })"},
        ResponseCase{"clone", "(async () => { const r = new Response('x'); const c = r.clone(); return (await r.text()) + (await c.text()); })()"},
        ResponseCase{"to_string_tag", "Object.prototype.toString.call(new Response())"}),
    node_case_name);

TEST(ResponseFromHandlers, AHandlerMayReturnAResponse) {
  SandboxHarness harness;
  auto outcome = harness.run_source(
      "export default () => new Response('made with Response', { status: 201, headers: { 'X-Kind': 'r' } });");
  ASSERT_EQ(static_cast<int>(outcome.status), 0) << outcome.detail;
  EXPECT_EQ(outcome.response.status, 201);
  EXPECT_EQ(outcome.response.body, "made with Response");
  HeaderList expected = {{"content-type", "text/plain;charset=UTF-8"}, {"x-kind", "r"}};
  EXPECT_EQ(outcome.response.headers, expected);
}

TEST(ResponseFromHandlers, AResponseJsonIsSentAsJson) {
  SandboxHarness harness;
  auto outcome = harness.run_source("export default async () => Response.json({ ok: true });");
  ASSERT_EQ(static_cast<int>(outcome.status), 0) << outcome.detail;
  EXPECT_EQ(outcome.response.body, "{\"ok\":true}");
}

}  // namespace
}  // namespace agentgate::testing
