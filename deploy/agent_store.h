#pragma once
// Persists deployed agent versions (their bundle files) so they come back after a restart.
// Records are "agent/<uuid>" -> JSON {id, slug, version, deployed_at_ms, files}.
#include <vector>

#include "common/result.h"
#include "deploy/agent_spec.h"
#include "kv/rocks_store.h"

namespace agentgate {

class AgentStore {
 public:
  explicit AgentStore(RocksStore& db) : db_(db) {}

  Status save(const AgentSpec& spec);
  Status remove(const std::string& id);
  // Every stored agent, re-validated; records that no longer validate are logged and skipped.
  Result<std::vector<AgentSpec>> load_all();

 private:
  RocksStore& db_;
};

}  // namespace agentgate
