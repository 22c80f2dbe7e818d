#pragma once
// Enforces the per-request CPU budget. Each worker thread owns one Slot and arms it around every
// entry into JS; one watchdog thread checks all slots every tick and calls TerminateExecution on an
// isolate whose deadline passed. Terminating is the only thing done to an isolate off its thread,
// and V8 allows exactly that.
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

namespace v8 {
class Isolate;
}

namespace agentgate {

class Watchdog {
 public:
  class Slot {
   public:
    void arm(v8::Isolate* isolate, std::chrono::steady_clock::time_point deadline);
    // Returns true when the watchdog terminated the run armed last.
    bool disarm();

   private:
    friend class Watchdog;
    std::mutex mutex_;
    v8::Isolate* isolate_ = nullptr;
    std::chrono::steady_clock::time_point deadline_;
    bool fired_ = false;
  };

  explicit Watchdog(std::chrono::milliseconds tick);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // A slot for one worker thread; valid as long as the watchdog.
  Slot& new_slot();

 private:
  void run();

  std::chrono::milliseconds tick_;
  std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  std::list<Slot> slots_;  // list: slot addresses stay stable as slots are added
  std::thread thread_;
};

}  // namespace agentgate
