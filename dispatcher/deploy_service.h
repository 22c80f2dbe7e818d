#pragma once
// Deploys and deletes agents: validates the bundle, assigns the id, loads it in a scratch isolate
// (so a module that does not compile never replaces a working version), persists it, then
// publishes it. Deploys are serialised; a failed deploy changes nothing.
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/result.h"
#include "deploy/agent_registry.h"
#include "deploy/agent_store.h"
#include "kv/console_log.h"
#include "kv/secret_store.h"
#include "sandbox/isolate_pool.h"

namespace agentgate {

class DeployService {
 public:
  // `kv`, `console` and `secrets`, when set, lose an agent's data when the agent is deleted.
  DeployService(AgentRegistry& registry, AgentStore& store, KvStore* kv = nullptr, ConsoleLog* console = nullptr,
                SecretStore* secrets = nullptr)
      : registry_(registry), store_(store), kv_(kv), console_(console), secrets_(secrets) {}

  // `expected_id`: set when deploying to /agents/<id>; the manifest's id must then match or be absent.
  // `checker` loads the bundle on the calling thread.
  Result<AgentSpecPtr> deploy(std::map<std::string, std::string> files, const std::optional<std::string>& expected_id,
                              IsolatePool& checker);
  // Deletes the agent and everything its handlers stored in ctx.kv, including what its requests
  // still running try to write afterwards (KvStore::remove_agent fences their deployed_at_ms; a later
  // deploy of the same id gets a deployed_at_ms above the fence). NOT_FOUND when there is no such agent.
  Status remove(const std::string& id);
  // Publishes every stored agent (start-up). Returns how many.
  Result<size_t> restore();

 private:
  std::mutex mutex_;
  AgentRegistry& registry_;
  AgentStore& store_;
  KvStore* kv_;
  ConsoleLog* console_;
  SecretStore* secrets_;
  // Deleted agent id -> the kv fence it was deleted with (this process's deletions only: requests
  // of an agent deleted before a restart are not running).
  std::map<std::string, int64_t> removal_fences_;
};

}  // namespace agentgate
