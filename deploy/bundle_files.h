#pragma once
// Reads an agent bundle folder (agent.json and its .js/.mjs modules, subfolders included) into the
// file map that parse_bundle and the admin API take. Hidden entries and node_modules are skipped.
#include <map>
#include <string>

#include "common/result.h"

namespace agentgate {

Result<std::map<std::string, std::string>> read_bundle_dir(const std::string& directory);

}  // namespace agentgate
