// The agentgate command line, run as a child process: help and usage errors, and the client
// commands (deploy, agents list, agents delete) against a real server.
#include <gtest/gtest.h>

#include "tests/support/agent_fixtures.h"
#include "tests/support/command_runner.h"

namespace agentgate::testing {
namespace {

// Table rows print as their name in gtest's messages.
template <class Case>
  requires requires(const Case& row) { row.name; }
void PrintTo(const Case& row, std::ostream* out) {
  *out << row.name;
}

constexpr const char* kId = "8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e";

CommandResult agentgate(std::vector<std::string> args, const std::map<std::string, std::string>& env = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  args.insert(args.begin(), AGENTGATE_BINARY);
  return run_command(args, env, timeout);
}

struct HelpCase {
  const char* name;
  std::vector<std::string> args;
  std::vector<std::string> mentions;
};

class HelpTest : public ::testing::TestWithParam<HelpCase> {};

TEST_P(HelpTest, PrintsUsageAndExitsZero) {
  auto result = agentgate(GetParam().args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  for (const auto& word : GetParam().mentions) EXPECT_TRUE(contains(result.out, word)) << result.out;
}

INSTANTIATE_TEST_SUITE_P(
    Help, HelpTest,
    ::testing::Values(HelpCase{"TopLevel", {"--help"}, {"serve", "deploy", "agents list", "agents delete"}},
                      HelpCase{"TopLevelShort", {"-h"}, {"serve"}},
                      HelpCase{"Serve",
                               {"serve", "--help"},
                               {"--listen", "--data-dir", "--public-origin", "--agents-dir", "--admin-token-file",
                                "--workers", "--cpu-limit-ms", "--max-body-bytes"}},
                      HelpCase{"ServeHelpAfterOtherFlags", {"serve", "--workers", "1", "--help"}, {"--listen"}}),
    [](const ::testing::TestParamInfo<HelpCase>& info) { return std::string(info.param.name); });

struct UsageErrorCase {
  const char* name;
  std::vector<std::string> args;
  std::string mentions;  // stderr names the offending argument
};

class UsageErrorTest : public ::testing::TestWithParam<UsageErrorCase> {};

TEST_P(UsageErrorTest, ExitsTwoNamingTheProblem) {
  // A well-formed token in the environment, so only the arguments can be wrong.
  auto result = agentgate(GetParam().args, {{"AGENTGATE_TOKEN", "0123456789abcdef0123456789abcdef"}});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_TRUE(contains(result.err, GetParam().mentions)) << result.err;
}

INSTANTIATE_TEST_SUITE_P(
    Usage, UsageErrorTest,
    ::testing::Values(UsageErrorCase{"UnknownServeFlag", {"serve", "--bogus"}, "--bogus"},
                      UsageErrorCase{"UnknownServeFlagWithValue", {"serve", "--bogus=1"}, "--bogus"},
                      UsageErrorCase{"FlagWithoutValue", {"serve", "--listen"}, "--listen"},
                      UsageErrorCase{"BadListen", {"serve", "--listen", "nonsense"}, "--listen"},
                      UsageErrorCase{"BadWorkers", {"serve", "--workers", "zero"}, "--workers"},
                      UsageErrorCase{"BadOrigin", {"serve", "--public-origin", "agents.example.com/x"}, "--public-origin"},
                      UsageErrorCase{"StrayArgument", {"serve", "extra"}, "extra"},
                      UsageErrorCase{"UnknownCommand", {"frobnicate"}, "frobnicate"},
                      UsageErrorCase{"UnknownClientFlag", {"agents", "list", "--bogus"}, "--bogus"},
                      UsageErrorCase{"AgentsWithoutSubcommand", {"agents"}, "usage"},
                      UsageErrorCase{"DeployWithoutDirectory", {"deploy"}, "usage"}),
    [](const ::testing::TestParamInfo<UsageErrorCase>& info) { return std::string(info.param.name); });

TEST(Cli, BadEnvironmentVariableIsAUsageError) {
  auto result = agentgate({"serve"}, {{"AGENTGATE_WORKERS", "lots"}});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_TRUE(contains(result.err, "AGENTGATE_WORKERS")) << result.err;
}

class CliClientTest : public ::testing::Test {
 protected:
  TempDir dir;
  ServerProcess server{dir.path() + "/data"};
  std::string token_file = dir.path() + "/data/admin.token";
  std::string bundle_dir = dir.path() + "/bundle";

  void SetUp() override {
    ASSERT_TRUE(server.started()) << server.log();
    write_files(bundle_dir, {{"agent.json", manifest_json(kId, "cli-agent", "app", "/app/*", {"GET"}, "app.js")},
                             {"app.js", text_handler("deployed by the CLI")},
                             {"README.md", "not part of the bundle"}});
  }

  std::string server_url() const { return "http://127.0.0.1:" + std::to_string(server.port()); }

  CommandResult client(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    args.insert(args.end(), {"--server", server_url(), "--token-file", token_file});
    return agentgate(std::move(args), env);
  }
};

TEST_F(CliClientTest, DeployListDelete) {
  auto deployed = client({"deploy", bundle_dir});
  ASSERT_EQ(deployed.exit_code, 0) << deployed.out << deployed.err;
  EXPECT_TRUE(contains(deployed.out, kId)) << deployed.out;
  EXPECT_TRUE(contains(deployed.out, "cli-agent")) << deployed.out;
  auto page = http_get(server.port(), std::string("/agents/") + kId + "/app/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "deployed by the CLI");

  auto listed = client({"agents", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(contains(listed.out, kId)) << listed.out;
  EXPECT_TRUE(contains(listed.out, "cli-agent")) << listed.out;

  auto deleted = client({"agents", "delete", kId});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(server.admin("GET", std::string("/_admin/v1/agents/") + kId).status, 404);
  EXPECT_EQ(http_get(server.port(), std::string("/agents/") + kId + "/app/").status, 404);

  auto listed_again = client({"agents", "list"});
  ASSERT_EQ(listed_again.exit_code, 0) << listed_again.err;
  EXPECT_FALSE(contains(listed_again.out, kId)) << listed_again.out;
}

TEST_F(CliClientTest, RedeployReportsTheNewVersion) {
  ASSERT_EQ(client({"deploy", bundle_dir}).exit_code, 0);
  write_files(bundle_dir, {{"app.js", text_handler("second version")}});
  auto again = client({"deploy", bundle_dir});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(contains(again.out, "version 2")) << again.out;
  EXPECT_EQ(http_get(server.port(), std::string("/agents/") + kId + "/app/").body, "second version");
}

TEST_F(CliClientTest, TokenFromTheEnvironment) {
  std::vector<std::string> args = {"agents", "list", "--server", server_url()};
  auto listed = agentgate(args, {{"AGENTGATE_TOKEN", server.admin_token()}});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
}

TEST_F(CliClientTest, WrongTokenFailsWithoutPrintingIt) {
  write_files(dir.path(), {{"wrong.token", "definitely-wrong-token\n"}});
  auto listed = agentgate({"agents", "list", "--server", server_url(), "--token-file", dir.path() + "/wrong.token"});
  EXPECT_NE(listed.exit_code, 0);
  EXPECT_TRUE(contains(listed.err, "UNAUTHORIZED")) << listed.err;
  EXPECT_FALSE(contains(listed.err + listed.out, "definitely-wrong-token"));
}

TEST_F(CliClientTest, InvalidBundleFailsNamingTheFileAndField) {
  write_files(bundle_dir, {{"agent.json", R"({"slug":"Not Valid","functions":[]})"}});
  auto deployed = client({"deploy", bundle_dir});
  EXPECT_EQ(deployed.exit_code, 1) << deployed.out;
  EXPECT_TRUE(contains(deployed.err, "agent.json")) << deployed.err;
  EXPECT_TRUE(contains(deployed.err, "slug")) << deployed.err;
}

TEST_F(CliClientTest, DirectoryWithoutAgentJsonFails) {
  auto deployed = client({"deploy", dir.path() + "/nowhere"});
  EXPECT_EQ(deployed.exit_code, 1);
  EXPECT_TRUE(contains(deployed.err, "agent.json")) << deployed.err;
}

TEST_F(CliClientTest, DeletingAnUnknownAgentFails) {
  auto deleted = client({"agents", "delete", "00000000-0000-4000-8000-000000000000"});
  EXPECT_EQ(deleted.exit_code, 1);
  EXPECT_TRUE(contains(deleted.err, "NOT_FOUND")) << deleted.err;
}

TEST(Cli, UnreachableServerFails) {
  TempDir dir;
  write_files(dir.path(), {{"token", "0123456789abcdef0123456789abcdef\n"}});
  // Port 1 on loopback: nothing listens there.
  auto listed = agentgate({"agents", "list", "--server", "http://127.0.0.1:1", "--token-file", dir.path() + "/token"});
  EXPECT_EQ(listed.exit_code, 1);
  EXPECT_TRUE(contains(listed.err, "127.0.0.1")) << listed.err;
}

TEST(Cli, ServeFailsCleanlyWhenThePortIsTaken) {
  TempDir dir;
  ServerProcess first(dir.path() + "/first");
  ASSERT_TRUE(first.started()) << first.log();
  auto second = agentgate({"serve", "--listen", "127.0.0.1:" + std::to_string(first.port()), "--data-dir",
                           dir.path() + "/second", "--workers", "1"},
                          {}, std::chrono::seconds(5));
  // Not a usage error: a runtime failure with a message naming the address.
  EXPECT_EQ(second.exit_code, 1) << second.out << second.err;
  EXPECT_TRUE(contains(second.err, std::to_string(first.port()))) << second.err;
}

}  // namespace
}  // namespace agentgate::testing
