// The server's life: deployed agents survive a restart, SIGTERM drains in-flight requests and
// exits 0, and --agents-dir deploys bundles at start-up.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <string>
#include <thread>

#include "tests/support/agent_fixtures.h"

namespace agentgate::testing {
namespace {

constexpr const char* kId = "6f7a8b9c-0d1e-4f2a-b3c4-d5e6f7a8b9c0";
const std::string kUrl = std::string("/agents/") + kId + "/app/";

TEST(Lifecycle, DeployedAgentsSurviveARestart) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  std::string generated_id;
  std::string token;
  {
    ServerProcess first(data);
    ASSERT_TRUE(first.started()) << first.log();
    token = first.admin_token();
    ASSERT_EQ(first.deploy(one_function_bundle(kId, "persistent", text_handler("v1"))).status, 201);
    ASSERT_EQ(first.deploy(one_function_bundle(kId, "persistent", text_handler("v2"))).status, 200);
    auto anonymous = first.deploy(one_function_bundle("", "no-id", text_handler("anon")));
    ASSERT_EQ(anonymous.status, 201) << anonymous.body;
    generated_id = json_string(parse_json(anonymous.body), "id");
    EXPECT_EQ(first.terminate(), 0);
  }

  ServerProcess second(data);
  ASSERT_TRUE(second.started()) << second.log();
  EXPECT_EQ(second.admin_token(), token);
  auto response = http_get(second.port(), kUrl);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "v2");
  EXPECT_EQ(json_int(parse_json(second.admin("GET", std::string("/_admin/v1/agents/") + kId).body), "version"), 2);
  EXPECT_EQ(http_get(second.port(), "/agents/" + generated_id + "/app/").body, "anon");
  EXPECT_EQ(http_get(second.port(), "/agents/persistent/app/x").header("location"), kUrl + "x");

  // The generated id survives too: a redeploy without id keeps it.
  auto redeploy = second.deploy(one_function_bundle("", "no-id", text_handler("anon2")));
  EXPECT_EQ(redeploy.status, 200) << redeploy.body;
  EXPECT_EQ(json_string(parse_json(redeploy.body), "id"), generated_id);
}

TEST(Lifecycle, DeletedAgentsStayDeletedAfterARestart) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  {
    ServerProcess first(data);
    ASSERT_TRUE(first.started()) << first.log();
    ASSERT_EQ(first.deploy(one_function_bundle(kId, "ephemeral", text_handler("x"))).status, 201);
    ASSERT_EQ(first.admin("DELETE", std::string("/_admin/v1/agents/") + kId).status, 200);
    EXPECT_EQ(first.terminate(), 0);
  }
  ServerProcess second(data);
  ASSERT_TRUE(second.started()) << second.log();
  EXPECT_EQ(http_get(second.port(), kUrl).status, 404);
  EXPECT_EQ(parse_json(second.admin("GET", "/_admin/v1/agents").body).at("agents").as_array().size(), 0u);
}

TEST(Lifecycle, AgentsSurviveAKill9) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  {
    ServerProcess first(data);
    ASSERT_TRUE(first.started()) << first.log();
    ASSERT_EQ(first.deploy(one_function_bundle(kId, "durable", text_handler("durable"))).status, 201);
    first.kill9();
  }
  ServerProcess second(data);
  ASSERT_TRUE(second.started()) << second.log();
  EXPECT_EQ(http_get(second.port(), kUrl).body, "durable");
}

TEST(Lifecycle, SigtermLetsTheInFlightRequestFinishAndExitsZero) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data");
  ASSERT_TRUE(server.started()) << server.log();
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "draining", R"JS(
export default async () => {
  console.log('drain test: request started');
  await new Promise(resolve => setTimeout(resolve, 500));
  return { body: 'finished after SIGTERM' };
};
)JS")).status,
            201);

  auto in_flight = std::async(std::launch::async, [&] { return http_get(server.port(), kUrl); });
  ASSERT_TRUE(wait_until([&] { return contains(server.log(), "drain test: request started"); })) << server.log();

  EXPECT_EQ(server.terminate(), 0) << server.log();
  auto response = in_flight.get();
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body, "finished after SIGTERM");
}

TEST(Lifecycle, SigtermClosesIdleKeepAliveConnectionsAndExitsZero) {
  TempDir dir;
  // Drain and read timeouts longer than terminate()'s grace: only closing the idle connection at
  // SIGTERM lets the server exit in time.
  ServerProcess server(dir.path() + "/data", {"--drain-timeout-ms", "60000", "--read-timeout-ms", "60000"});
  ASSERT_TRUE(server.started()) << server.log();
  // A keep-alive client that got its answer and now sits idle on the connection.
  HttpConnection idle(server.port());
  ASSERT_TRUE(idle.connected());
  HttpRequestSpec spec;
  spec.target = "/agents/nobody/";
  ASSERT_EQ(idle.request(spec).status, 404);
  // Let the server finish its side of the write and go back to reading: this test is about a
  // connection that is idle when SIGTERM comes (a response still being written is the next test).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  EXPECT_EQ(server.terminate(std::chrono::seconds(10)), 0) << server.log();
  EXPECT_TRUE(idle.closed_by_server(std::chrono::seconds(1)));
}

TEST(Lifecycle, SigtermClosesAKeepAliveConnectionWhoseResponseWasBeingWritten) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data", {"--drain-timeout-ms", "60000", "--read-timeout-ms", "60000"});
  ASSERT_TRUE(server.started()) << server.log();
  // A response far larger than the socket buffers: its write stays pending while we do not read.
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "bulky", R"JS(
const bulk = 'x'.repeat(32 * 1024 * 1024);
export default async () => { console.log('bulky: answering'); return { body: bulk }; };
)JS")).status,
            201);
  HttpConnection connection(server.port());
  ASSERT_TRUE(connection.connected());
  HttpRequestSpec spec;
  spec.target = kUrl;
  ASSERT_TRUE(connection.send(spec));
  ASSERT_TRUE(wait_until([&] { return contains(server.log(), "bulky: answering"); })) << server.log();

  ::kill(server.pid(), SIGTERM);
  ASSERT_TRUE(wait_until([&] { return contains(server.log(), "received SIGTERM"); })) << server.log();
  auto response = connection.receive();
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body.size(), 32u * 1024 * 1024);
  // The request was the connection's last: the server closes it and exits.
  EXPECT_TRUE(connection.closed_by_server(std::chrono::seconds(5)));
  EXPECT_EQ(server.terminate(std::chrono::seconds(10)), 0) << server.log();
}

TEST(Lifecycle, SigtermOnAnIdleServerExitsZero) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data");
  ASSERT_TRUE(server.started()) << server.log();
  EXPECT_EQ(http_get(server.port(), "/agents/nobody/").status, 404);
  EXPECT_EQ(server.terminate(), 0) << server.log();
}

// An operator's `top -H` or perf tells the server's threads apart by name.
TEST(Lifecycle, ServerThreadsAreNamedByTheirJob) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data");  // two workers, as ServerProcess starts it
  ASSERT_TRUE(server.started()) << server.log();
  std::multiset<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(server.pid()) + "/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    names.insert(name);
  }
  EXPECT_EQ(names.count("http-worker-0"), 1u);
  EXPECT_EQ(names.count("http-worker-1"), 1u);
  EXPECT_EQ(names.count("http-worker-2"), 0u);
  EXPECT_EQ(names.count("kv-writer"), 1u);
  EXPECT_EQ(names.count("watchdog"), 1u);
  EXPECT_EQ(names.count("fetch-lookup"), 8u);  // four per worker
  EXPECT_EQ(server.terminate(), 0) << server.log();
}

// Starts `agentgate serve`, sends SIGTERM the moment the "listening on" line is readable, and
// returns the exit code (-1 when the signal killed it, -2 when it never listened).
int sigterm_as_soon_as_listening(const std::string& data_dir) {
  std::vector<std::string> args = {AGENTGATE_BINARY, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir,
                                   "--workers", "2", "--quiet"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return -2;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  std::string output;
  char chunk[256];
  ssize_t n;
  while (output.find("listening on") == std::string::npos && (n = read(out[0], chunk, sizeof chunk)) > 0) {
    output.append(chunk, static_cast<size_t>(n));
  }
  bool listening = output.find("listening on") != std::string::npos;
  ::kill(pid, SIGTERM);
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!listening) return -2;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Lifecycle, SigtermRightAfterStartUpExitsZero) {
  // The "listening on" line promises a server that handles SIGTERM. Repeated: a race needs chances.
  TempDir dir;
  for (int attempt = 0; attempt < 30; ++attempt) {
    int status = sigterm_as_soon_as_listening(dir.path() + "/data");
    ASSERT_EQ(status, 0) << "attempt " << attempt << ": -1 means SIGTERM killed the process instead of a clean exit";
  }
}

TEST(Lifecycle, NoNewConnectionsAreServedAfterSigterm) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data");
  ASSERT_TRUE(server.started()) << server.log();
  uint16_t port = server.port();
  ASSERT_EQ(server.terminate(), 0);
  auto response = http_get(port, "/agents/nobody/");
  EXPECT_EQ(response.status, 0);
}

TEST(Lifecycle, AgentsDirDeploysEveryBundleAtStartUp) {
  TempDir dir;
  std::string agents = dir.path() + "/agents";
  write_files(agents, {{"alpha/agent.json", manifest_json(kId, "alpha", "app", "/app/*", {"GET"}, "app.js")},
                       {"alpha/app.js", text_handler("alpha from disk")},
                       {"beta/agent.json", manifest_json("", "beta", "site", "/site/*", {"GET"}, "lib/site.js")},
                       {"beta/lib/site.js", text_handler("beta from disk")}});
  ServerProcess server(dir.path() + "/data", {"--agents-dir", agents});
  ASSERT_TRUE(server.started()) << server.log();

  auto alpha = http_get(server.port(), kUrl);
  EXPECT_EQ(alpha.status, 200);
  EXPECT_EQ(alpha.body, "alpha from disk");

  auto beta = server.admin("GET", "/_admin/v1/agents/beta");
  ASSERT_EQ(beta.status, 200) << beta.body;
  std::string beta_id = json_string(parse_json(beta.body), "id");
  auto beta_page = http_get(server.port(), "/agents/" + beta_id + "/site/");
  EXPECT_EQ(beta_page.status, 200);
  EXPECT_EQ(beta_page.body, "beta from disk");
}

TEST(Lifecycle, AgentsDirSkipsABrokenBundleAndDeploysTheRest) {
  TempDir dir;
  std::string agents = dir.path() + "/agents";
  write_files(agents, {{"broken/agent.json", R"({"slug":"broken","functions":[],"extra":1})"},
                       {"good/agent.json", manifest_json(kId, "good", "app", "/app/*", {"GET"}, "app.js")},
                       {"good/app.js", text_handler("good")},
                       {"nocompile/agent.json", manifest_json("", "nocompile", "app", "/app/*", {"GET"}, "app.js")},
                       {"nocompile/app.js", "export default async () => {"}});
  ServerProcess server(dir.path() + "/data", {"--agents-dir", agents});
  ASSERT_TRUE(server.started()) << server.log();

  EXPECT_EQ(http_get(server.port(), kUrl).body, "good");
  EXPECT_EQ(server.admin("GET", "/_admin/v1/agents/broken").status, 404);
  EXPECT_EQ(server.admin("GET", "/_admin/v1/agents/nocompile").status, 404);
  std::string log = server.log();
  EXPECT_TRUE(contains(log, "broken")) << log;
  EXPECT_TRUE(contains(log, "nocompile")) << log;
}

TEST(Lifecycle, AgentsDirRedeploysOnEveryStartKeepingTheId) {
  TempDir dir;
  std::string agents = dir.path() + "/agents";
  std::string data = dir.path() + "/data";
  write_files(agents, {{"site/agent.json", manifest_json("", "site", "app", "/app/*", {"GET"}, "app.js")},
                       {"site/app.js", text_handler("first")}});
  std::string id;
  {
    ServerProcess first(data, {"--agents-dir", agents});
    ASSERT_TRUE(first.started()) << first.log();
    id = json_string(parse_json(first.admin("GET", "/_admin/v1/agents/site").body), "id");
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(http_get(first.port(), "/agents/" + id + "/app/").body, "first");
    EXPECT_EQ(first.terminate(), 0);
  }
  write_files(agents, {{"site/app.js", text_handler("second")}});
  ServerProcess second(data, {"--agents-dir", agents});
  ASSERT_TRUE(second.started()) << second.log();
  EXPECT_EQ(json_string(parse_json(second.admin("GET", "/_admin/v1/agents/site").body), "id"), id);
  EXPECT_EQ(http_get(second.port(), "/agents/" + id + "/app/").body, "second");
}

TEST(Lifecycle, AdminTokenFileIsUsedWhenGiven) {
  TempDir dir;
  std::string token_file = dir.path() + "/token";
  write_files(dir.path(), {{"token", "operator-chosen-token-0123456789abcdef\n"}});
  ServerProcess server(dir.path() + "/data", {"--admin-token-file", token_file});
  ASSERT_TRUE(server.started()) << server.log();
  HttpRequestSpec spec;
  spec.target = "/_admin/v1/agents";
  spec.headers = {{"authorization", "Bearer operator-chosen-token-0123456789abcdef"}};
  EXPECT_EQ(http_request(server.port(), spec).status, 200);
  spec.headers = {{"authorization", "Bearer " + server.admin_token()}};
  if (!server.admin_token().empty()) {
    EXPECT_EQ(http_request(server.port(), spec).status, 401);
  }
}

}  // namespace
}  // namespace agentgate::testing
