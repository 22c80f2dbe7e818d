#include "kv/console_log.h"

#include <boost/json.hpp>
#include <rocksdb/db.h>
#include <simdjson.h>

#include <chrono>

namespace agentgate {
namespace {

constexpr size_t kAgentIdBytes = 36;

rocksdb::Slice slice(std::string_view text) { return rocksdb::Slice(text.data(), text.size()); }

std::string entry_key(std::string_view agent_id, uint64_t sequence) {
  std::string key(agent_id);
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>((sequence >> shift) & 0xff));
  return key;
}

uint64_t sequence_of(std::string_view key) {
  uint64_t sequence = 0;
  for (size_t i = kAgentIdBytes; i < key.size() && i < kAgentIdBytes + 8; ++i) {
    sequence = (sequence << 8) | static_cast<unsigned char>(key[i]);
  }
  return sequence;
}

// Stored without the sequence, which is the key.
std::string stored_json(const ConsoleEntry& entry) {
  return boost::json::serialize(boost::json::object{{"time", entry.time_ms},
                                                    {"level", entry.level},
                                                    {"code", entry.code},
                                                    {"requestId", entry.request_id},
                                                    {"function", entry.function},
                                                    {"message", entry.message}});
}

std::optional<ConsoleEntry> parse_stored(std::string_view json, uint64_t sequence) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(simdjson::padded_string(json)).get(root) != simdjson::SUCCESS) return std::nullopt;
  ConsoleEntry entry;
  entry.sequence = sequence;
  std::string_view text;
  int64_t time = 0;
  if (root["time"].get_int64().get(time) == simdjson::SUCCESS) entry.time_ms = time;
  if (root["level"].get_string().get(text) == simdjson::SUCCESS) entry.level = text;
  if (root["code"].get_string().get(text) == simdjson::SUCCESS) entry.code = text;
  if (root["requestId"].get_string().get(text) == simdjson::SUCCESS) entry.request_id = text;
  if (root["function"].get_string().get(text) == simdjson::SUCCESS) entry.function = text;
  if (root["message"].get_string().get(text) == simdjson::SUCCESS) entry.message = text;
  return entry;
}

// UTF-8 cut at a character boundary.
void truncate_utf8(std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;
  text.resize(end);
  text += " [truncated]";
}

}  // namespace

ConsoleLog::ConsoleLog(RocksStore& db, size_t max_entries, size_t max_message_bytes)
    : db_(db), max_entries_(std::max<size_t>(max_entries, 1)), max_message_bytes_(max_message_bytes) {}

uint64_t ConsoleLog::next_sequence() {
  // Microseconds of wall time: sequences keep growing across restarts without reading the store.
  auto now = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  uint64_t last = last_sequence_.load();
  uint64_t next = 0;
  do {
    next = std::max(last + 1, now);
  } while (!last_sequence_.compare_exchange_weak(last, next));
  return next;
}

void ConsoleLog::append(const std::string& agent_id, ConsoleEntry entry) {
  if (entry.time_ms == 0) {
    entry.time_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  truncate_utf8(entry.message, max_message_bytes_);
  entry.sequence = next_sequence();
  // No fsync: the WAL survives a crash of the process; a debugging log does not pay for power loss.
  auto status = db_.db().Put(rocksdb::WriteOptions(), &db_.console_family(), slice(entry_key(agent_id, entry.sequence)),
                             slice(stored_json(entry)));
  if (!status.ok()) {
    storage_error("console write", status.ToString());
    return;
  }
  bool due = false;
  {
    std::lock_guard lock(counts_mutex_);
    size_t& appended = appended_since_trim_[agent_id];
    due = ++appended >= std::max<size_t>(max_entries_ / 10, 1);
    if (due) appended = 0;
  }
  if (due) trim(agent_id);
}

void ConsoleLog::trim(const std::string& agent_id) {
  // Count from the newest backwards; everything older than the newest max_entries goes.
  std::string prefix(agent_id);
  std::string upper = entry_key(agent_id, UINT64_MAX);
  std::unique_ptr<rocksdb::Iterator> it(db_.db().NewIterator(rocksdb::ReadOptions(), &db_.console_family()));
  size_t seen = 0;
  for (it->SeekForPrev(slice(upper)); it->Valid() && it->key().starts_with(slice(prefix)); it->Prev()) {
    if (++seen > max_entries_) {
      std::string newest_dropped = it->key().ToString();
      // [agent start, just after the entry the iterator is on): it and everything older go.
      std::string end = entry_key(agent_id, sequence_of(newest_dropped) + 1);
      auto status = db_.db().DeleteRange(rocksdb::WriteOptions(), &db_.console_family(), slice(prefix), slice(end));
      if (!status.ok()) storage_error("console trim", status.ToString());
      return;
    }
  }
}

Result<std::vector<ConsoleEntry>> ConsoleLog::read(const std::string& agent_id, uint64_t since, size_t limit) {
  std::vector<ConsoleEntry> entries;
  std::string prefix(agent_id);
  std::unique_ptr<rocksdb::Iterator> it(db_.db().NewIterator(rocksdb::ReadOptions(), &db_.console_family()));
  for (it->Seek(slice(entry_key(agent_id, since == UINT64_MAX ? since : since + 1)));
       it->Valid() && it->key().starts_with(slice(prefix)) && entries.size() < limit; it->Next()) {
    auto entry = parse_stored(it->value().ToStringView(), sequence_of(it->key().ToStringView()));
    if (entry) entries.push_back(std::move(*entry));
  }
  if (!it->status().ok()) return storage_error("console read", it->status().ToString());
  return entries;
}

Status ConsoleLog::remove_agent(const std::string& agent_id) {
  auto status = db_.db().DeleteRange(rocksdb::WriteOptions(), &db_.console_family(), slice(agent_id),
                                     slice(prefix_end(agent_id)));
  if (!status.ok()) return storage_error("console delete", status.ToString());
  return Ok{};
}

std::string console_entry_json(const ConsoleEntry& entry) {
  return boost::json::serialize(boost::json::object{{"cursor", std::to_string(entry.sequence)},
                                                    {"time", entry.time_ms},
                                                    {"level", entry.level},
                                                    {"code", entry.code},
                                                    {"requestId", entry.request_id},
                                                    {"function", entry.function},
                                                    {"message", entry.message}});
}

}  // namespace agentgate
