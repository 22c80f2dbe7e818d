#pragma once
// Each agent's owner console: policy warnings, handler exceptions, limit kills and the handler's
// own console.log lines, for the agent's owner (not the visitors). Stored in RocksDB's "console"
// column family, at most `max_entries` per agent (the oldest go first), written without fsync:
// the WAL keeps them across a crash of the process, which is what a debugging log needs.
//
// Key: <agent id (36 bytes)><sequence (8 bytes big-endian)>. Sequences grow across all agents
// and restarts (they start from the wall clock in microseconds), so "since" is a plain number.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "kv/rocks_store.h"

namespace agentgate {

struct ConsoleEntry {
  uint64_t sequence = 0;  // set by append
  int64_t time_ms = 0;    // unix ms; set by append when 0
  std::string level;      // "error", "warn", "info", "log", "debug"
  std::string code;       // INVALID_SET_COOKIE, HANDLER_ERROR, CPU_LIMIT, CONSOLE ...
  std::string request_id;
  std::string function;
  std::string message;
};

// Where the sandbox and the dispatcher send console entries. Thread-safe.
class ConsoleSink {
 public:
  virtual ~ConsoleSink() = default;
  virtual void append(const std::string& agent_id, ConsoleEntry entry) = 0;
};

class ConsoleLog final : public ConsoleSink {
 public:
  explicit ConsoleLog(RocksStore& db, size_t max_entries = 10'000, size_t max_message_bytes = 8 * 1024);

  void append(const std::string& agent_id, ConsoleEntry entry) override;
  // Entries with a sequence above `since`, oldest first, at most `limit`.
  Result<std::vector<ConsoleEntry>> read(const std::string& agent_id, uint64_t since, size_t limit);
  // Everything of a deleted agent.
  Status remove_agent(const std::string& agent_id);

 private:
  uint64_t next_sequence();
  void trim(const std::string& agent_id);

  RocksStore& db_;
  size_t max_entries_;
  size_t max_message_bytes_;
  std::atomic<uint64_t> last_sequence_{0};
  std::mutex counts_mutex_;
  std::unordered_map<std::string, size_t> appended_since_trim_;
};

// JSON text of one entry: {"cursor": "...", "time": ms, "level", "code", "requestId", "function", "message"}.
std::string console_entry_json(const ConsoleEntry& entry);

}  // namespace agentgate
