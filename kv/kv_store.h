#pragma once
// The storage behind ctx.kv, as an interface: RocksKvStore (rocks_kv_store.h) is the embedded
// default; a distributed backend implements the same five operations. Keys are already scoped: every
// call names the agent, and an implementation never lets one agent's call reach another's data.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace agentgate {

// Unix time in milliseconds; injectable so tests can move time (TTL expiry).
using WallClock = std::function<int64_t()>;
WallClock system_wall_clock();

struct KvKey {
  std::string agent_id;  // canonical UUID
  std::string user_id;
  std::string key;
  // For writes: which deployment of the agent makes them (its deployed_at_ms); 0 for callers that
  // are not a handler (the admin API). See remove_agent.
  int64_t agent_epoch = 0;
};

struct KvValue {
  std::string bytes;           // the serialized JS value
  int64_t expires_at_ms = 0;   // unix ms; 0 = never
};

struct KvItem {
  std::string key;
  KvValue value;
};

struct KvListQuery {
  std::string agent_id;
  std::string user_id;
  std::string prefix;
  std::optional<std::string> start_after;  // continue after this key (from a previous page)
  size_t limit = 100;  // at most this many items; 0 counts as 1
  // The page also ends (with next_after) once its values add up to this many bytes; the item that
  // crosses it is included, so every page holds at least one item.
  size_t max_bytes = SIZE_MAX;
};

struct KvPage {
  std::vector<KvItem> items;
  // Set when more keys may follow: the key to continue after (the last item's, or the last expired
  // key skipped when a page ran into a long run of expired ones).
  std::optional<std::string> next_after;
};

// The configurable limits of ctx.kv (and of the admin API's kv routes).
struct KvLimits {
  size_t max_key_bytes = 512;
  size_t max_user_id_bytes = 256;
  size_t max_value_bytes = size_t{1} << 20;  // serialized
  size_t default_list_limit = 100;
  size_t max_list_limit = 1000;
  // A list page stops early (with a cursor) once its values add up to this, so one call cannot
  // make the server hold up to max_list_limit x max_value_bytes.
  size_t max_list_page_bytes = size_t{8} << 20;
  // Writes one request may have in flight at once (each holds its serialized value).
  size_t max_pending_writes = 1000;
};

class KvStore {
 public:
  template <class T>
  using Callback = std::function<void(Result<T>)>;

  virtual ~KvStore() = default;
  // Each callback is called exactly once, on an unspecified thread, possibly before the call
  // returns. A write's callback runs once the write is durable. Expired values read as absent.
  // Errors have code KV_UNAVAILABLE.
  virtual void get(KvKey key, Callback<std::optional<KvValue>> done) = 0;
  // The same read, answered at once by a store that never has to wait for it (the embedded one: a
  // memtable or cache lookup costs less than handing a callback around). nullopt: ask get().
  virtual std::optional<Result<std::optional<KvValue>>> get_now(const KvKey&) { return std::nullopt; }
  virtual void list(KvListQuery query, Callback<KvPage> done) = 0;
  virtual void put(KvKey key, KvValue value, Callback<Ok> done) = 0;
  // Done with true when a live value existed.
  virtual void remove(KvKey key, Callback<bool> done) = 0;
  // Atomic get + remove: of concurrent takes of one key, exactly one receives the value.
  virtual void take(KvKey key, Callback<std::optional<KvValue>> done) = 0;
  // The clock expiry is judged by (ttlSeconds is counted from it).
  virtual int64_t now_ms() = 0;
  // Deletes everything stored for an agent (the agent was deleted), including what writes queued
  // before this call store, and from then on refuses (KV_UNAVAILABLE) writes whose
  // KvKey::agent_epoch is in 1..`fence`: they come from requests of the deleted agent that were
  // still running, and must not leave data behind for a later agent with the same id.
  virtual Status remove_agent(const std::string& agent_id, int64_t fence) = 0;
  Status remove_agent(const std::string& agent_id) { return remove_agent(agent_id, 0); }
};

}  // namespace agentgate
