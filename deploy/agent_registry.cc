#include "deploy/agent_registry.h"

namespace agentgate {

AgentSpecPtr AgentSnapshot::find_by_id(const std::string& id) const {
  auto it = by_id.find(id);
  return it == by_id.end() ? nullptr : it->second;
}

AgentSpecPtr AgentSnapshot::find_by_slug(const std::string& slug) const {
  auto it = id_by_slug.find(slug);
  return it == id_by_slug.end() ? nullptr : find_by_id(it->second);
}

AgentRegistry::AgentRegistry() : current_(std::make_shared<AgentSnapshot>()) {}

std::shared_ptr<const AgentSnapshot> AgentRegistry::snapshot() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::string AgentRegistry::id_for_slug(const std::string& slug) const {
  std::lock_guard lock(mutex_);
  auto existing = current_->find_by_slug(slug);
  return existing ? existing->id : std::string();
}

Status AgentRegistry::check_locked(const AgentSpec& spec) const {
  auto owner = current_->id_by_slug.find(spec.slug);
  if (owner != current_->id_by_slug.end() && owner->second != spec.id) {
    return Error{"SLUG_TAKEN", "slug \"" + spec.slug + "\" belongs to agent " + owner->second};
  }
  return Ok{};
}

Status AgentRegistry::check_install(const AgentSpec& spec) const {
  std::lock_guard lock(mutex_);
  return check_locked(spec);
}

Result<AgentSpecPtr> AgentRegistry::install(AgentSpec spec) {
  std::lock_guard lock(mutex_);
  if (auto status = check_locked(spec); !status) return status.error();
  auto next = std::make_shared<AgentSnapshot>(*current_);
  if (auto previous = current_->find_by_id(spec.id); previous && previous->slug != spec.slug) {
    next->id_by_slug.erase(previous->slug);
  }
  auto installed = std::make_shared<const AgentSpec>(std::move(spec));
  next->by_id[installed->id] = installed;
  next->id_by_slug[installed->slug] = installed->id;
  publish_locked(std::move(next));
  return AgentSpecPtr(installed);
}

bool AgentRegistry::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto previous = current_->find_by_id(id);
  if (!previous) return false;
  auto next = std::make_shared<AgentSnapshot>(*current_);
  next->by_id.erase(id);
  next->id_by_slug.erase(previous->slug);
  publish_locked(std::move(next));
  return true;
}

void AgentRegistry::publish_locked(std::shared_ptr<AgentSnapshot> next) {
  next->generation = current_->generation + 1;
  current_ = std::move(next);
  generation_.store(current_->generation, std::memory_order_release);
}

}  // namespace agentgate
