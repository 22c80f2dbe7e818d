#pragma once
// The set of deployed agents, as immutable snapshots. Deploys and deletes (rare, admin path) take a
// mutex and publish a new snapshot; request threads read a snapshot they cached and refresh it only
// when `generation()` moved, so the request path takes no lock.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/result.h"
#include "deploy/agent_spec.h"

namespace agentgate {

struct AgentSnapshot {
  uint64_t generation = 0;
  std::unordered_map<std::string, AgentSpecPtr> by_id;
  std::unordered_map<std::string, std::string> id_by_slug;

  AgentSpecPtr find_by_id(const std::string& id) const;
  AgentSpecPtr find_by_slug(const std::string& slug) const;
};

class AgentRegistry {
 public:
  AgentRegistry();

  std::shared_ptr<const AgentSnapshot> snapshot() const;
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // The id to give a manifest without one: the id of the agent that already has this slug, else new.
  std::string id_for_slug(const std::string& slug) const;

  // Publishes `spec` (its version and deployed_at already set by the caller: DeployService, or the
  // stored record on restore). Fails with SLUG_TAKEN when another agent owns the slug.
  Result<AgentSpecPtr> install(AgentSpec spec);
  // Checks what install() would refuse, without publishing.
  Status check_install(const AgentSpec& spec) const;
  bool remove(const std::string& id);

 private:
  Status check_locked(const AgentSpec& spec) const;
  void publish_locked(std::shared_ptr<AgentSnapshot> next);

  mutable std::mutex mutex_;
  std::shared_ptr<const AgentSnapshot> current_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace agentgate
