#include "deploy/agent_store.h"

#include <boost/json.hpp>
#include <simdjson.h>

#include "common/log.h"
#include "deploy/manifest.h"

namespace agentgate {
namespace {
constexpr std::string_view kAgentKeyPrefix = "agent/";
}

Status AgentStore::save(const AgentSpec& spec) {
  boost::json::object files;
  for (const auto& [name, content] : spec.files) files[name] = content;
  boost::json::object record{{"id", spec.id},
                             {"slug", spec.slug},
                             {"version", spec.version},
                             {"deployed_at_ms", spec.deployed_at_ms},
                             {"files", std::move(files)}};
  return db_.put(std::string(kAgentKeyPrefix) + spec.id, boost::json::serialize(record));
}

Status AgentStore::remove(const std::string& id) { return db_.remove(std::string(kAgentKeyPrefix) + id); }

Result<std::vector<AgentSpec>> AgentStore::load_all() {
  std::vector<AgentSpec> agents;
  simdjson::dom::parser parser;
  auto scanned = db_.scan_prefix(kAgentKeyPrefix, [&](std::string_view key, std::string_view value) {
    simdjson::dom::element record;
    std::string_view id;
    uint64_t version = 0;
    int64_t deployed_at = 0;
    simdjson::dom::object files_object;
    if (parser.parse(simdjson::padded_string(value)).get(record) != simdjson::SUCCESS ||
        record["id"].get_string().get(id) != simdjson::SUCCESS ||
        record["version"].get_uint64().get(version) != simdjson::SUCCESS ||
        record["deployed_at_ms"].get_int64().get(deployed_at) != simdjson::SUCCESS ||
        record["files"].get_object().get(files_object) != simdjson::SUCCESS) {
      log::error("skipping unreadable stored agent record ", key);
      return true;
    }
    std::map<std::string, std::string> files;
    for (auto [name, content] : files_object) {
      std::string_view text;
      if (content.get_string().get(text) == simdjson::SUCCESS) files.emplace(std::string(name), std::string(text));
    }
    auto spec = parse_bundle(std::move(files));
    if (!spec) {
      log::error("skipping stored agent ", id, ": ", spec.error().message);
      return true;
    }
    spec->id = std::string(id);
    spec->version = version;
    spec->deployed_at_ms = deployed_at;
    agents.push_back(std::move(*spec));
    return true;
  });
  if (!scanned) return scanned.error();
  return agents;
}

}  // namespace agentgate
