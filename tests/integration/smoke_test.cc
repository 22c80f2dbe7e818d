#include <gtest/gtest.h>

#include "tests/support/server_process.h"

namespace agentgate::testing {
namespace {

TEST(ServerSmoke, DeployAndServe) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data");
  ASSERT_TRUE(server.started()) << server.log();
  auto deployed = server.deploy({{"agent.json", manifest_json("8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21", "demo", "webapp",
                                                               "/webapp/*", {"GET"}, "webapp.js")},
                                 {"webapp.js", "export default async (ctx) => ({ body: 'hello ' + ctx.metadata.agentSlug });"}});
  ASSERT_EQ(deployed.status, 201) << deployed.body;
  auto response = http_get(server.port(), "/agents/8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21/webapp/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello demo");
}

}  // namespace
}  // namespace agentgate::testing
