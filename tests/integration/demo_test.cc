// The demo agent that `scripts/demo.sh` serves (examples/demo) deploys and works as the README says.
#include <gtest/gtest.h>

#include "tests/support/server_process.h"

namespace agentgate::testing {
namespace {

constexpr const char* kDemoPage = "/agents/8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21/webapp/";

class DemoAgentTest : public ::testing::Test {
 protected:
  TempDir dir;
  ServerProcess server{dir.path() + "/data", {"--agents-dir", std::string(AGENTGATE_SOURCE_DIR) + "/examples"}};
  void SetUp() override { ASSERT_TRUE(server.started()) << server.log(); }
};

TEST_F(DemoAgentTest, PageRenders) {
  auto page = http_get(server.port(), kDemoPage);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<h1>agentgate demo agent</h1>"), std::string::npos) << page.body;
}

TEST_F(DemoAgentTest, FormPostIsGreetedWithEscapedName) {
  HttpRequestSpec spec;
  spec.method = "POST";
  spec.target = kDemoPage;
  spec.headers = {{"content-type", "application/x-www-form-urlencoded"}};
  spec.body = "name=%3Cb%3EAda%3C%2Fb%3E";
  auto page = http_request(server.port(), spec);
  EXPECT_NE(page.body.find("Hello, &lt;b&gt;Ada&lt;/b&gt;!"), std::string::npos) << page.body;
}

TEST_F(DemoAgentTest, JsonEndpointAnswersAfterItsTimer) {
  auto reply = http_get(server.port(), std::string(kDemoPage) + "api/time");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("content-type"), "application/json");
  EXPECT_NE(reply.body.find("\"requestId\":"), std::string::npos) << reply.body;
}

TEST_F(DemoAgentTest, SlugUrlRedirectsToTheCanonicalOne) {
  auto reply = http_get(server.port(), "/agents/demo/webapp/?x=1");
  EXPECT_EQ(reply.status, 308);
  EXPECT_EQ(reply.header("location"), std::string(kDemoPage) + "?x=1");
}

}  // namespace
}  // namespace agentgate::testing
