#pragma once
// How many advisories (COOKIE_ADVISORY, DROPPED_HEADER) an agent may add to its console per
// minute, so a hot handler with a sloppy cookie cannot flood it. Rejections are never limited.
// Pure: the caller passes the time; one budget per worker thread, no locking.
#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>

namespace agentgate {

class AdvisoryBudget {
 public:
  using Clock = std::chrono::steady_clock;
  explicit AdvisoryBudget(size_t per_minute = 20) : per_minute_(per_minute) {}

  // True when one more advisory of `agent_id` may be written now. When it returns true after a
  // window in which some were refused, `suppressed` says how many.
  bool allow(std::string_view agent_id, Clock::time_point now, size_t& suppressed) {
    Window& window = windows_[std::string(agent_id)];
    if (now - window.start >= std::chrono::minutes(1)) {
      window.start = now;
      window.used = 0;
    }
    if (window.used >= per_minute_) {
      ++window.suppressed;
      return false;
    }
    ++window.used;
    suppressed = window.suppressed;
    window.suppressed = 0;
    return true;
  }

 private:
  struct Window {
    Clock::time_point start{};
    size_t used = 0;
    size_t suppressed = 0;
  };
  size_t per_minute_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace agentgate
