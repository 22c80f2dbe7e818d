#include "dispatcher/deploy_service.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "common/log.h"
#include "common/uuid.h"
#include "deploy/manifest.h"

namespace agentgate {
namespace {

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<AgentSpecPtr> DeployService::deploy(std::map<std::string, std::string> files,
                                           const std::optional<std::string>& expected_id, IsolatePool& checker) {
  auto parsed = parse_bundle(std::move(files));
  if (!parsed) return parsed.error();
  AgentSpec spec = std::move(*parsed);

  std::lock_guard lock(mutex_);
  if (expected_id) {
    if (!spec.id.empty() && spec.id != *expected_id) {
      return Error{"INVALID_BUNDLE", "agent.json: id: \"" + spec.id + "\" does not match the URL's agent " + *expected_id};
    }
    spec.id = *expected_id;
  } else if (spec.id.empty()) {
    spec.id = registry_.id_for_slug(spec.slug);
    if (spec.id.empty()) spec.id = new_uuid_v4();
  }
  if (auto allowed = registry_.check_install(spec); !allowed) return allowed.error();

  // Load the very modules that will be published, in a scratch isolate on the calling thread.
  auto candidate = std::make_shared<AgentSpec>(spec);
  if (auto loaded = checker.check_loads(candidate); !loaded) {
    // MODULE_ERROR is the bundle's fault (400); anything else is ours and keeps its code.
    if (loaded.error().code == "MODULE_ERROR") return Error{"INVALID_BUNDLE", loaded.error().message};
    return loaded.error();
  }
  auto snapshot = registry_.snapshot();
  auto previous = snapshot->find_by_id(spec.id);
  spec.version = previous ? previous->version + 1 : 1;
  // Never below an earlier version's (the clock may step back), and above the kv fence of a deleted
  // agent with this id, so this version's ctx.kv writes are not refused as the deleted one's.
  spec.deployed_at_ms = std::max(wall_clock_ms(), previous ? previous->deployed_at_ms : 0);
  if (auto fence = removal_fences_.find(spec.id); fence != removal_fences_.end()) {
    spec.deployed_at_ms = std::max(spec.deployed_at_ms, fence->second + 1);
  }
  if (auto saved = store_.save(spec); !saved) return saved.error();
  auto installed = registry_.install(std::move(spec));
  if (installed) {
    log::info("deployed agent ", (*installed)->slug, " (", (*installed)->id, ") version ", (*installed)->version);
  }
  return installed;
}

Status DeployService::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto current = registry_.snapshot()->find_by_id(id);
  if (!current) return Error{"NOT_FOUND", "no agent " + id};
  if (auto removed = store_.remove(id); !removed) return removed;
  registry_.remove(id);
  // After the registry forgets it, so no new request of this agent can write while its data goes;
  // the fence (at or above every version's deployed_at_ms) refuses the writes of requests still running.
  int64_t fence = std::max(wall_clock_ms(), current->deployed_at_ms);
  int64_t& recorded = removal_fences_[id];
  recorded = std::max(recorded, fence);
  if (kv_) {
    if (auto erased = kv_->remove_agent(id, recorded); !erased) log::error("deleted agent ", id, " but not its kv data");
  }
  if (console_) {
    if (auto erased = console_->remove_agent(id); !erased) log::error("deleted agent ", id, " but not its console");
  }
  if (secrets_) {
    if (auto erased = secrets_->remove_agent(id); !erased) log::error("deleted agent ", id, " but not its secrets");
  }
  log::info("deleted agent ", id);
  return Ok{};
}

Result<size_t> DeployService::restore() {
  std::lock_guard lock(mutex_);
  auto stored = store_.load_all();
  if (!stored) return stored.error();
  size_t count = 0;
  for (AgentSpec& spec : *stored) {
    std::string slug = spec.slug;
    if (auto installed = registry_.install(std::move(spec)); !installed) {
      log::error("not restoring agent ", slug, ": ", installed.error().message);
      continue;
    }
    ++count;
  }
  return count;
}

}  // namespace agentgate
