#pragma once
// Validation of an agent bundle (agent.json + module files). Pure: no I/O, no clock, no V8 —
// whether modules compile is checked by the sandbox afterwards.
#include <map>
#include <string>
#include <string_view>

#include "common/result.h"
#include "deploy/agent_spec.h"

namespace agentgate {

inline constexpr std::string_view kManifestFile = "agent.json";

// Parses files["agent.json"] and checks it against the bundle format. Errors carry code
// INVALID_BUNDLE and a message naming the file and field ("agent.json: functions[0].endpoint.path:
// must be a /prefix/* pattern"). When the manifest has no id, the result's id is empty and the
// caller assigns one.
Result<AgentSpec> parse_bundle(std::map<std::string, std::string> files);

bool is_valid_slug(std::string_view slug);

}  // namespace agentgate
