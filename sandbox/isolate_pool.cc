#include "sandbox/isolate_pool.h"

#include <algorithm>

#include "common/log.h"
#include "sandbox/agent_isolate.h"

namespace agentgate {

IsolatePool::IsolatePool(SandboxLimits limits, EventLoop& loop, Watchdog::Slot& watchdog, SandboxServices services)
    : limits_(limits), loop_(loop), watchdog_(watchdog), services_(services) {}

IsolatePool::~IsolatePool() = default;

void IsolatePool::retire(std::shared_ptr<AgentIsolate> isolate) {
  if (isolate && isolate->live_invocations() > 0) retiring_.push_back(std::move(isolate));
}

void IsolatePool::invoke(const AgentSpecPtr& agent, size_t function_index, HandlerRequest request,
                         InvokeCompletion done) {
  if (!retiring_.empty()) {
    std::erase_if(retiring_, [](const auto& isolate) { return isolate->live_invocations() == 0; });
  }
  auto now = std::chrono::steady_clock::now();
  if (now >= next_eviction_) {
    evict_idle(now);
    next_eviction_ = now + std::clamp<std::chrono::steady_clock::duration>(limits_.isolate_idle_timeout / 4,
                                                                            std::chrono::seconds(1), std::chrono::seconds(60));
  }
  Slot& slot = by_agent_[agent->id];
  slot.last_used = now;
  if (slot.isolate && (slot.isolate->spec() != agent || slot.isolate->condemned())) {
    retire(std::move(slot.isolate));
    slot.isolate.reset();
  }
  if (!slot.isolate) {
    if (slot.failed_version == agent) {
      done(InvokeOutcome{InvokeStatus::kStartupError, {}, slot.failure});
      return;
    }
    auto created = AgentIsolate::create(agent, {limits_, loop_, watchdog_, services_});
    if (!created) {
      slot.failed_version = agent;
      slot.failure = created.error().message;
      log::error("agent=", agent->slug, " v", agent->version, " failed to start: ", slot.failure);
      done(InvokeOutcome{InvokeStatus::kStartupError, {}, slot.failure});
      return;
    }
    slot.isolate = std::move(*created);
    slot.failed_version.reset();
  }
  // Hold a reference: the completion may run inside invoke and the slot may change meanwhile.
  std::shared_ptr<AgentIsolate> isolate = slot.isolate;
  isolate->invoke(function_index, std::move(request), std::move(done));
  // A condemned isolate (CPU or heap limit) may hold a lot of memory: let it go now, not at the
  // agent's next request. (`slot` may have been invalidated by a re-entrant call: look it up.)
  if (isolate->condemned()) {
    if (auto again = by_agent_.find(agent->id); again != by_agent_.end() && again->second.isolate == isolate) {
      again->second.isolate.reset();
    }
  }
}

Status IsolatePool::check_loads(const AgentSpecPtr& agent) {
  NoTimersLoop loop;
  auto created = AgentIsolate::create(agent, {limits_, loop, watchdog_, services_});
  if (!created) return created.error();
  return Ok{};
}

void IsolatePool::sweep(const std::function<bool(const AgentSpec&)>& is_current) {
  for (auto it = by_agent_.begin(); it != by_agent_.end();) {
    const Slot& slot = it->second;
    const AgentSpec* spec = slot.isolate ? slot.isolate->spec().get() : slot.failed_version.get();
    if (spec && !is_current(*spec)) {
      retire(std::move(it->second.isolate));
      it = by_agent_.erase(it);
    } else {
      ++it;
    }
  }
}

void IsolatePool::evict_idle(std::chrono::steady_clock::time_point now) {
  std::erase_if(by_agent_, [&](const auto& entry) {
    const Slot& slot = entry.second;
    bool idle = now - slot.last_used >= limits_.isolate_idle_timeout;
    return idle && (!slot.isolate || slot.isolate->live_invocations() == 0);
  });
}

size_t IsolatePool::isolate_count() const {
  size_t count = retiring_.size();
  for (const auto& [id, slot] : by_agent_) count += slot.isolate ? 1 : 0;
  return count;
}

}  // namespace agentgate
