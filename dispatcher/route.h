#pragma once
// Routing on the shared domain. Pure: the request target and a registry snapshot in, a decision out.
//   /agents/<uuid>/<path>  -> the agent's function whose prefix matches <path> and allows the method
//   /agents/<slug>/<path>  -> 308 to the canonical UUID URL (agent cookies use Path=/agents/<uuid>/)
#include <string>
#include <string_view>

#include "deploy/agent_registry.h"

namespace agentgate {

inline constexpr std::string_view kAgentsPrefix = "/agents/";

struct RouteDecision {
  enum class Kind {
    kNotAgentPath,      // not under /agents/: someone else's business (admin API, 404)
    kBadPath,           // dot segments or other paths we refuse to interpret -> 400
    kAgentNotFound,     // no such agent -> 404
    kNoFunction,        // agent exists, no function prefix matches -> 404
    kMethodNotAllowed,  // a prefix matches, not with this method -> 405 + allow
    kRedirect,          // slug or non-canonical UUID -> 308 + location
    kFunction,          // run agent->functions[function_index]
  };
  Kind kind = Kind::kNotAgentPath;
  AgentSpecPtr agent;
  size_t function_index = 0;
  std::string location;    // kRedirect
  std::string allow;       // kMethodNotAllowed
  std::string agent_path;  // kFunction: the path below /agents/<uuid>, "/" at least
};

// `target` is the request-target as received ("/agents/demo/webapp/x?y=1").
RouteDecision route_request(std::string_view method, std::string_view target, const AgentSnapshot& agents);

// The function of `agent` for `path` ("/webapp/x") and method: the longest matching prefix that
// allows the method. HEAD is allowed wherever GET is.
RouteDecision match_function(const AgentSpecPtr& agent, std::string_view method, std::string_view path);

}  // namespace agentgate
