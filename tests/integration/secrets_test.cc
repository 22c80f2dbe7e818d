// Agents' secrets through the real server: set by the owner (admin API and `agentgate secret`),
// read by handlers with ctx.secrets.get/has, scoped per agent, never returned by an API nor written
// to a console entry or the server log, kept across restarts, and re-encrypted by rotate-key while
// handlers keep reading.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "tests/support/agent_fixtures.h"
#include "tests/support/command_runner.h"
#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace agentgate::testing {
namespace {

constexpr const char* kId = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d";
constexpr const char* kOtherId = "6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e";
const std::string kValue = "sk-live-7f3a9c2e5b1d";

// Answers {"value": <ctx.secrets.get(name)>, "has": <ctx.secrets.has(name)>}; with m=log it
// console.logs the value first, with m=throw it throws an error holding it.
const std::string kReader = R"JS(
export default async (ctx) => {
  const query = new URL(ctx.request.url).searchParams;
  const name = query.get('name');
  const value = await ctx.secrets.get(name);
  const has = await ctx.secrets.has(name);
  if (query.get('m') === 'log') {
    console.log('the secret is', value);
    console.warn('again: ' + value + '!');
  }
  if (query.get('m') === 'throw') throw new Error('failed holding ' + value);
  return { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value, has }) };
};)JS";

std::string secrets_path(const std::string& agent, const std::string& name = "") {
  return "/_admin/v1/agents/" + agent + "/secrets" + (name.empty() ? "" : "/" + name);
}

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server->started()) << server->log();
    deploy(*server);
  }

  static void deploy(ServerProcess& on) {
    auto mine = on.deploy(one_function_bundle(kId, "secret-agent", kReader));
    ASSERT_EQ(mine.status, 201) << mine.body;
    auto other = on.deploy(one_function_bundle(kOtherId, "other-agent", kReader));
    ASSERT_EQ(other.status, 201) << other.body;
  }

  HttpResult put_secret(const std::string& agent, const std::string& name, const std::string& value) {
    return server->admin("PUT", secrets_path(agent, name), value);
  }

  // What the handler of `agent` read for `name`: "value <v>", "null", or "HTTP <status> <body>".
  std::string read(const std::string& agent, const std::string& name, const std::string& mode = "get") {
    auto response = http_get(server->port(), "/agents/" + agent + "/app/?m=" + mode + "&name=" + name);
    if (response.status != 200) return "HTTP " + std::to_string(response.status) + " " + response.body;
    auto reply = parse_json(response.body);
    if (!reply.is_object()) return "not JSON: " + response.body;
    const auto& value = reply.at("value");
    bool has = reply.at("has").as_bool();
    if (value.is_null()) return has ? "null but has" : "null";
    return std::string(has ? "" : "(has false) ") + "value " + value.as_string().c_str();
  }

  boost::json::array console_entries(const std::string& agent) {
    auto reply = server->admin("GET", "/_admin/v1/agents/" + agent + "/console?limit=1000");
    EXPECT_EQ(reply.status, 200) << reply.body;
    auto parsed = parse_json(reply.body);
    return parsed.is_object() ? parsed.at("entries").as_array() : boost::json::array();
  }

  std::string server_url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }

  TempDir dir;
  std::string data_dir = dir.path() + "/data";
  std::unique_ptr<ServerProcess> server = std::make_unique<ServerProcess>(data_dir);
};

TEST_F(SecretsTest, AHandlerReadsTheValueItsOwnerSet) {
  auto stored = put_secret(kId, "API_KEY", kValue);
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_EQ(read(kId, "API_KEY"), "value " + kValue);
}

TEST_F(SecretsTest, AnUnsetSecretReadsAsNull) { EXPECT_EQ(read(kId, "NEVER_SET"), "null"); }

TEST_F(SecretsTest, AnotherAgentCannotReadItUnderTheSameName) {
  ASSERT_EQ(put_secret(kId, "API_KEY", kValue).status, 200);
  EXPECT_EQ(read(kOtherId, "API_KEY"), "null");
  ASSERT_EQ(put_secret(kOtherId, "API_KEY", "other-agents-value").status, 200);
  EXPECT_EQ(read(kOtherId, "API_KEY"), "value other-agents-value");
  EXPECT_EQ(read(kId, "API_KEY"), "value " + kValue);
}

TEST_F(SecretsTest, TheValueIsInNoAdminResponse) {
  std::vector<HttpResult> replies;
  replies.push_back(put_secret(kId, "API_KEY", kValue));
  replies.push_back(server->admin("GET", secrets_path(kId)));
  replies.push_back(server->admin("GET", secrets_path(kId, "API_KEY")));  // no per-secret read
  replies.push_back(server->admin("PUT", secrets_path(kId, "bad:name"), kValue));
  replies.push_back(server->admin("PUT", secrets_path(kId, "BIG"), kValue + std::string(64 * 1024, 'x')));
  replies.push_back(server->admin("POST", secrets_path(kId, "API_KEY"), kValue));
  replies.push_back(server->admin("GET", "/_admin/v1/agents/" + std::string(kId)));
  replies.push_back(server->admin("GET", "/_admin/v1/agents"));
  replies.push_back(server->admin("POST", "/_admin/v1/secrets/rotate-key"));
  replies.push_back(server->admin("GET", secrets_path(kId)));
  for (const auto& reply : replies) {
    EXPECT_FALSE(contains(reply.body, kValue)) << reply.status << " " << reply.body;
    for (const auto& [name, value] : reply.headers) EXPECT_FALSE(contains(value, kValue)) << name;
  }
  auto listed = parse_json(replies[1].body);
  ASSERT_TRUE(listed.is_object()) << replies[1].body;
  const auto& secrets = listed.at("secrets").as_array();
  ASSERT_EQ(secrets.size(), 1u);
  EXPECT_EQ(secrets[0].at("name").as_string(), "API_KEY");
  EXPECT_EQ(secrets[0].as_object().size(), 2u) << boost::json::serialize(secrets[0]);  // name, updatedAt
  EXPECT_NE(replies[2].status, 200) << replies[2].body;
  EXPECT_EQ(read(kId, "API_KEY"), "value " + kValue);
}

TEST_F(SecretsTest, ALoggedValueIsRedactedFromTheConsoleAndTheServerLog) {
  ASSERT_EQ(put_secret(kId, "API_KEY", kValue).status, 200);
  EXPECT_EQ(read(kId, "API_KEY", "log"), "value " + kValue);  // the handler may return it
  EXPECT_TRUE(contains(read(kId, "API_KEY", "throw"), "HTTP 500"));
  auto entries = console_entries(kId);
  std::vector<std::string> messages;
  for (const auto& entry : entries) messages.emplace_back(entry.at("message").as_string().c_str());
  ASSERT_GE(messages.size(), 3u) << boost::json::serialize(entries);
  EXPECT_TRUE(std::find(messages.begin(), messages.end(), "the secret is [redacted]") != messages.end())
      << boost::json::serialize(entries);
  EXPECT_TRUE(std::find(messages.begin(), messages.end(), "again: [redacted]!") != messages.end())
      << boost::json::serialize(entries);
  for (const auto& message : messages) EXPECT_FALSE(contains(message, kValue)) << message;
  EXPECT_TRUE(std::any_of(messages.begin(), messages.end(),
                          [](const std::string& m) { return contains(m, "failed holding [redacted]"); }))
      << boost::json::serialize(entries);
  EXPECT_FALSE(contains(server->log(), kValue)) << server->log();
}

TEST_F(SecretsTest, TheKeyFileIsCreatedWithMode0600) {
  struct stat info {};
  ASSERT_EQ(::stat((data_dir + "/secrets.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(SecretsTest, SecretsSurviveARestart) {
  ASSERT_EQ(put_secret(kId, "API_KEY", kValue).status, 200);
  ASSERT_EQ(server->terminate(), 0);
  server = std::make_unique<ServerProcess>(data_dir);
  ASSERT_TRUE(server->started()) << server->log();
  EXPECT_EQ(read(kId, "API_KEY"), "value " + kValue);
}

TEST_F(SecretsTest, SecretsSurviveARotationAndARestart) {
  ASSERT_EQ(put_secret(kId, "API_KEY", kValue).status, 200);
  auto rotated = server->admin("POST", "/_admin/v1/secrets/rotate-key");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_EQ(json_int(parse_json(rotated.body), "reencrypted"), 1) << rotated.body;
  ASSERT_EQ(server->terminate(), 0);
  server = std::make_unique<ServerProcess>(data_dir);
  ASSERT_TRUE(server->started()) << server->log();
  EXPECT_EQ(read(kId, "API_KEY"), "value " + kValue);
}

TEST_F(SecretsTest, RotatingTheKeyWhileAClientReadsFailsNoRequest) {
  ASSERT_EQ(put_secret(kId, "API_KEY", kValue).status, 200);
  for (int n = 0; n < 20; ++n) ASSERT_EQ(put_secret(kId, "filler" + std::to_string(n), "filler-value").status, 200);
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::vector<std::string> wrong;
  std::thread reader([&] {
    while (!stop.load()) {
      std::string got = read(kId, "API_KEY");
      if (got != "value " + kValue && wrong.size() < 5) wrong.push_back(got);
      ++reads;
    }
  });
  std::vector<std::string> key_ids;
  for (int rotation = 0; rotation < 5; ++rotation) {
    auto rotated = server->admin("POST", "/_admin/v1/secrets/rotate-key");
    EXPECT_EQ(rotated.status, 200) << rotated.body;
    key_ids.push_back(json_string(parse_json(rotated.body), "keyId"));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  wait_until([&] { return reads.load() >= 20; }, std::chrono::seconds(20));
  stop = true;
  reader.join();
  EXPECT_TRUE(wrong.empty()) << wrong.front();
  EXPECT_GE(reads.load(), 20);
  std::sort(key_ids.begin(), key_ids.end());
  EXPECT_EQ(std::unique(key_ids.begin(), key_ids.end()), key_ids.end());  // a new key each time
  EXPECT_EQ(read(kId, "API_KEY"), "value " + kValue);
}

TEST_F(SecretsTest, ConcurrentRotationsLoseNoKey) {
  ASSERT_EQ(put_secret(kId, "API_KEY", kValue).status, 200);
  std::vector<std::thread> rotators;
  std::atomic<int> failed{0};
  for (int n = 0; n < 4; ++n) {
    rotators.emplace_back([&] {
      if (server->admin("POST", "/_admin/v1/secrets/rotate-key").status != 200) ++failed;
    });
  }
  for (auto& rotator : rotators) rotator.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(read(kId, "API_KEY"), "value " + kValue);
  ASSERT_EQ(server->terminate(), 0);
  server = std::make_unique<ServerProcess>(data_dir);
  ASSERT_TRUE(server->started()) << server->log();
  EXPECT_EQ(read(kId, "API_KEY"), "value " + kValue);
}

struct BadNameCase {
  const char* name;
  std::string path_segment;
};

class SecretsBadNameTest : public SecretsTest, public ::testing::WithParamInterface<BadNameCase> {};

TEST_P(SecretsBadNameTest, IsRefusedWith400) {
  auto reply = server->admin("PUT", secrets_path(kId) + "/" + GetParam().path_segment, "value");
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_EQ(error_code(reply.body), "INVALID_ARGUMENT") << reply.body;
  auto deleted = server->admin("DELETE", secrets_path(kId) + "/" + GetParam().path_segment);
  EXPECT_EQ(deleted.status, 400) << deleted.body;
}

INSTANTIATE_TEST_SUITE_P(Names, SecretsBadNameTest,
                         ::testing::Values(BadNameCase{"Colon", "a:b"}, BadNameCase{"Encoded space", "a%20b"},
                                           BadNameCase{"Too long", std::string(129, 'n')},
                                           BadNameCase{"Plus", "a+b"}, BadNameCase{"Nested", "a/b"}),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           std::erase(name, ' ');
                           return name;
                         });

TEST_F(SecretsTest, A64KiBValueIsStoredAndOneByteMoreIsRefused) {
  std::string largest(64 * 1024, 'v');
  auto stored = put_secret(kId, "BIG", largest);
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_EQ(read(kId, "BIG"), "value " + largest);
  auto refused = put_secret(kId, "BIGGER", largest + "v");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(read(kId, "BIGGER"), "null");
}

TEST_F(SecretsTest, DeletingAnAgentDeletesItsSecrets) {
  ASSERT_EQ(put_secret(kId, "API_KEY", kValue).status, 200);
  ASSERT_EQ(put_secret(kOtherId, "API_KEY", "stays").status, 200);
  ASSERT_EQ(server->admin("DELETE", "/_admin/v1/agents/" + std::string(kId)).status, 200);
  auto redeployed = server->deploy(one_function_bundle(kId, "secret-agent", kReader));
  ASSERT_EQ(redeployed.status, 201) << redeployed.body;
  EXPECT_EQ(read(kId, "API_KEY"), "null");
  EXPECT_EQ(read(kOtherId, "API_KEY"), "value stays");
}

// ---- agentgate secret ----

class SecretCliTest : public SecretsTest {
 protected:
  CommandResult agentgate(const std::string& arguments, const std::string& stdin_text = "") {
    std::string line = "printf '%s' '" + stdin_text + "' | " + AGENTGATE_BINARY + " " + arguments +
                       " --server " + server_url() + " --token-file " + data_dir + "/admin.token";
    return run_command({"/bin/sh", "-c", line});
  }
};

TEST_F(SecretCliTest, SetReadsTheValueFromStandardInput) {
  auto set = agentgate(std::string("secret set --agent ") + kId + " API_KEY", kValue);
  ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
  EXPECT_EQ(set.out, "stored API_KEY\n");
  EXPECT_FALSE(contains(set.out + set.err, kValue));
  EXPECT_EQ(read(kId, "API_KEY"), "value " + kValue);
}

TEST_F(SecretCliTest, SetDropsOneTrailingNewline) {
  std::string line = "echo '" + kValue + "' | " + AGENTGATE_BINARY + " secret set --agent " + kId +
                     " API_KEY --server " + server_url() + " --token-file " + data_dir + "/admin.token";
  auto set = run_command({"/bin/sh", "-c", line});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(read(kId, "API_KEY"), "value " + kValue);
}

TEST_F(SecretCliTest, ListShowsNamesButNoValues) {
  ASSERT_EQ(agentgate(std::string("secret set --agent ") + kId + " B_KEY", kValue).exit_code, 0);
  ASSERT_EQ(agentgate(std::string("secret set --agent ") + kId + " A_KEY", "another-value").exit_code, 0);
  auto listed = agentgate(std::string("secret list --agent ") + kId);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(contains(listed.out, "A_KEY\tupdated ")) << listed.out;
  EXPECT_TRUE(contains(listed.out, "B_KEY\tupdated ")) << listed.out;
  EXPECT_LT(listed.out.find("A_KEY"), listed.out.find("B_KEY")) << listed.out;
  EXPECT_FALSE(contains(listed.out, kValue)) << listed.out;
  EXPECT_FALSE(contains(listed.out, "another-value")) << listed.out;
}

TEST_F(SecretCliTest, DeleteRemovesItAndDeletingAgainFails) {
  ASSERT_EQ(agentgate(std::string("secret set --agent ") + kId + " API_KEY", kValue).exit_code, 0);
  auto deleted = agentgate(std::string("secret delete --agent ") + kId + " API_KEY");
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(deleted.out, "deleted API_KEY\n");
  EXPECT_EQ(read(kId, "API_KEY"), "null");
  auto again = agentgate(std::string("secret delete --agent ") + kId + " API_KEY");
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
}

TEST_F(SecretCliTest, RotateKeyReportsTheNewKeyAndTheCount) {
  ASSERT_EQ(agentgate(std::string("secret set --agent ") + kId + " API_KEY", kValue).exit_code, 0);
  ASSERT_EQ(agentgate(std::string("secret set --agent ") + kOtherId + " API_KEY", kValue).exit_code, 0);
  auto rotated = agentgate("secret rotate-key");
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_TRUE(contains(rotated.out, "now encrypting with key ")) << rotated.out;
  EXPECT_TRUE(contains(rotated.out, "re-encrypted 2 secrets")) << rotated.out;
  EXPECT_EQ(read(kId, "API_KEY"), "value " + kValue);
  EXPECT_EQ(read(kOtherId, "API_KEY"), "value " + kValue);
}

TEST_F(SecretCliTest, BadNamesAndUsageErrors) {
  auto bad_name = agentgate(std::string("secret set --agent ") + kId + " bad:name", "value");
  EXPECT_EQ(bad_name.exit_code, 1) << bad_name.out << bad_name.err;
  EXPECT_EQ(agentgate(std::string("secret set API_KEY"), "value").exit_code, 2);   // no --agent
  EXPECT_EQ(agentgate(std::string("secret list")).exit_code, 2);                   // no --agent
  EXPECT_EQ(agentgate(std::string("secret get --agent ") + kId + " API_KEY").exit_code, 2);  // no such command
  EXPECT_EQ(agentgate(std::string("secret")).exit_code, 2);
}

TEST_F(SecretCliTest, UnknownAgentFails) {
  auto set = agentgate("secret set --agent 00000000-0000-4000-8000-000000000000 API_KEY", kValue);
  EXPECT_NE(set.exit_code, 0) << set.out;
  EXPECT_FALSE(contains(set.out + set.err, kValue));
}

}  // namespace
}  // namespace agentgate::testing
