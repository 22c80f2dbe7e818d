#include <gtest/gtest.h>

#include "tests/support/sandbox_harness.h"

namespace agentgate::testing {
namespace {

TEST(SandboxSmoke, HandlerReturnsResponse) {
  SandboxHarness harness;
  auto outcome = harness.run_source("export default async function (ctx) { return { status: 201, body: 'hi ' + ctx.request.method }; }");
  ASSERT_EQ(outcome.status, InvokeStatus::kOk) << outcome.detail;
  EXPECT_EQ(outcome.response.status, 201);
  EXPECT_EQ(outcome.response.body, "hi GET");
}

TEST(SandboxSmoke, UrlParsesQuery) {
  SandboxHarness harness;
  EXPECT_EQ(harness.eval("new URL('https://a.example/cb?code=4%2F0A&state=xyz').searchParams.get('code')"), "4/0A");
}

}  // namespace
}  // namespace agentgate::testing
