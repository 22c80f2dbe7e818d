#include "dispatcher/commands.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "common/log.h"
#include "deploy/agent_registry.h"
#include "deploy/agent_store.h"
#include "deploy/bundle_files.h"
#include "dispatcher/admin_api.h"
#include "dispatcher/admin_token.h"
#include "dispatcher/deploy_service.h"
#include "dispatcher/request_dispatcher.h"
#include "dispatcher/server.h"
#include "kv/console_log.h"
#include "kv/rocks_kv_store.h"
#include "kv/secret_store.h"
#include "kv/rocks_store.h"
#include "sandbox/isolate_pool.h"
#include "sandbox/v8_runtime.h"

namespace agentgate {
namespace {

namespace fs = std::filesystem;

void deploy_agents_dir(const std::string& directory, DeployService& deploys, IsolatePool& checker) {
  std::error_code ec;
  std::vector<fs::path> bundles;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "agent.json")) bundles.push_back(entry.path());
  }
  if (ec) log::error("--agents-dir ", directory, ": ", ec.message());
  std::sort(bundles.begin(), bundles.end());
  for (const auto& bundle : bundles) {
    auto files = read_bundle_dir(bundle.string());
    if (!files) {
      log::error("not deploying ", bundle.string(), ": ", files.error().message);
      continue;
    }
    auto deployed = deploys.deploy(std::move(*files), std::nullopt, checker);
    if (!deployed) log::error("not deploying ", bundle.string(), ": ", deployed.error().message);
  }
}

}  // namespace

int run_serve(const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << serve_usage();
      return 0;
    }
  }
  auto parsed = parse_serve_args(args, [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  });
  if (!parsed) {
    std::cerr << "agentgate serve: " << parsed.error().message << "\n";
    return 2;
  }
  ServeConfig config = std::move(*parsed);
  if (config.quiet) log::set_min_level(log::Level::kWarn);
  Server::block_shutdown_signals();

  std::error_code ec;
  fs::create_directories(config.data_dir, ec);
  if (ec) {
    std::cerr << "agentgate serve: cannot create --data-dir " << config.data_dir << ": " << ec.message() << "\n";
    return 1;
  }
  std::string token_file = config.admin_token_file.empty() ? (fs::path(config.data_dir) / "admin.token").string()
                                                           : config.admin_token_file;
  auto token = load_admin_token(token_file, /*create=*/config.admin_token_file.empty());
  if (!token) {
    std::cerr << "agentgate serve: " << token.error().message << "\n";
    return 1;
  }
  std::string key_file = config.secrets_key_file.empty() ? (fs::path(config.data_dir) / "secrets.key").string()
                                                         : config.secrets_key_file;
  auto secret_keys = load_secret_keys(key_file, /*create=*/true);  // generated (0600) when absent
  if (!secret_keys) {
    std::cerr << "agentgate serve: " << secret_keys.error().message << "\n";
    return 1;
  }
  auto db = RocksStore::open((fs::path(config.data_dir) / "db").string());
  if (!db) {
    std::cerr << "agentgate serve: " << db.error().message << "\n";
    return 1;
  }

  V8Runtime v8_runtime;
  V8Runtime::warm_icu();
  Watchdog watchdog(std::clamp(config.limits.cpu_time / 10, std::chrono::milliseconds(1), std::chrono::milliseconds(10)));
  AgentRegistry registry;
  AgentStore store(**db);
  RocksKvStore kv(**db);
  ConsoleLog console(**db, config.console_max_entries);
  SecretStore secrets(**db, std::move(*secret_keys));
  DeployService deploys(registry, store, &kv, &console, &secrets);
  if (auto restored = deploys.restore(); restored) {
    if (*restored) log::info("restored ", *restored, " deployed agents from ", config.data_dir);
  } else {
    std::cerr << "agentgate serve: " << restored.error().message << "\n";
    return 1;
  }
  if (!config.agents_dir.empty()) {
    NoTimersLoop loop;  // start-up deploy checks only load code
    IsolatePool checker(config.limits, loop, watchdog.new_slot());
    deploy_agents_dir(config.agents_dir, deploys, checker);
  }

  AdminApi admin(deploys, registry, std::move(*token), &kv, config.limits.kv, &console, &secrets, key_file);
  auto tls = make_tls_client_context(config.extra_ca_file);
  if (!tls) {
    std::cerr << "agentgate serve: " << tls.error().message << "\n";
    return 1;
  }
  FetcherSettings fetcher_settings{config.limits.fetch, config.egress_allow, std::move(tls.value())};
  Server server(config, fetcher_settings, [&](EventLoop& loop, Fetcher& fetcher) {
    return std::make_unique<RequestDispatcher>(config, registry, admin, loop, watchdog.new_slot(),
                                               SandboxServices{&kv, &console, &secrets, &fetcher});
  });
  if (auto listening = server.listen(); !listening) {
    std::cerr << "agentgate serve: " << listening.error().message << "\n";
    return 1;
  }
  std::string host = config.listen_host.find(':') != std::string::npos ? "[" + config.listen_host + "]" : config.listen_host;
  std::string base = "http://" + host + ":" + std::to_string(server.port());
  std::printf("agentgate listening on %s\n", base.c_str());
  auto snapshot = registry.snapshot();
  for (const auto& [id, agent] : snapshot->by_id) {
    // Point at the first function: that is the page to open.
    std::string path = agent->functions.empty() ? "" : agent->functions.front().prefix;
    std::printf("  agent %s: open %s/agents/%s%s/\n", agent->slug.c_str(), base.c_str(), id.c_str(), path.c_str());
  }
  std::printf("  admin token: %s\n", token_file.c_str());
  std::fflush(stdout);
  int exit_code = server.run();
  // The workers have stopped; their event loops still exist, so queued kv writes can commit and
  // post their (now ignored) completions before the server is destroyed.
  kv.close();
  return exit_code;
}

}  // namespace agentgate
