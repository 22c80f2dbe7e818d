#include "sandbox/watchdog.h"

#include <v8-isolate.h>

#include "common/thread_name.h"

namespace agentgate {

void Watchdog::Slot::arm(v8::Isolate* isolate, std::chrono::steady_clock::time_point deadline) {
  std::lock_guard lock(mutex_);
  isolate_ = isolate;
  deadline_ = deadline;
  fired_ = false;
}

bool Watchdog::Slot::disarm() {
  std::lock_guard lock(mutex_);
  isolate_ = nullptr;
  return fired_;
}

Watchdog::Watchdog(std::chrono::milliseconds tick) : tick_(tick), thread_([this] { run(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
  thread_.join();
}

Watchdog::Slot& Watchdog::new_slot() {
  std::lock_guard lock(mutex_);
  return slots_.emplace_back();
}

void Watchdog::run() {
  name_this_thread("watchdog");
  std::unique_lock lock(mutex_);
  while (!stop_signal_.wait_for(lock, tick_, [this] { return stopping_; })) {
    auto now = std::chrono::steady_clock::now();
    for (Slot& slot : slots_) {
      std::lock_guard slot_lock(slot.mutex_);
      if (slot.isolate_ != nullptr && !slot.fired_ && now >= slot.deadline_) {
        slot.isolate_->TerminateExecution();
        slot.fired_ = true;
      }
    }
  }
}

}  // namespace agentgate
