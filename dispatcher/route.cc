#include "dispatcher/route.h"

#include "common/uuid.h"

namespace agentgate {
namespace {

bool prefix_matches(std::string_view prefix, std::string_view path) {
  // "/webapp" matches "/webapp" and "/webapp/...", not "/webapps".
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

// True for "." and ".." segments, plain or percent-encoded: we refuse to guess how the visitor's
// browser would have normalised them, since that decides which function (and auth mode) runs.
bool has_dot_segment(std::string_view path) {
  size_t pos = 0;
  while (pos < path.size()) {
    size_t end = path.find('/', pos + 1);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(pos + 1, end - pos - 1);
    std::string lowered;
    for (char c : segment) lowered.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    for (std::string_view dot : {".", "..", "%2e", "%2e%2e", ".%2e", "%2e."}) {
      if (lowered == dot) return true;
    }
    pos = end;
  }
  return false;
}

}  // namespace

RouteDecision match_function(const AgentSpecPtr& agent, std::string_view method, std::string_view path) {
  RouteDecision decision;
  decision.agent = agent;
  uint32_t bit = method_bit(method);
  uint32_t allowed_on_path = 0;
  // Best match: the longest prefix; on a tie, a function that declares the method itself beats
  // one that only gets HEAD implied by GET.
  size_t best_length = 0;
  bool best_explicit = false;
  bool found = false;
  for (size_t i = 0; i < agent->functions.size(); ++i) {
    const FunctionSpec& function = agent->functions[i];
    if (!prefix_matches(function.prefix, path)) continue;
    uint32_t methods = function.methods | ((function.methods & kGet) ? kHead : 0);
    allowed_on_path |= methods;
    if (!(methods & bit)) continue;
    bool declared = (function.methods & bit) != 0;
    bool better = !found || function.prefix.size() > best_length ||
                  (function.prefix.size() == best_length && declared && !best_explicit);
    if (better) {
      found = true;
      best_length = function.prefix.size();
      best_explicit = declared;
      decision.function_index = i;
    }
  }
  if (found) {
    decision.kind = RouteDecision::Kind::kFunction;
    decision.agent_path = std::string(path);
  } else if (allowed_on_path != 0) {
    decision.kind = RouteDecision::Kind::kMethodNotAllowed;
    decision.allow = allow_header(allowed_on_path);
  } else {
    decision.kind = RouteDecision::Kind::kNoFunction;
  }
  return decision;
}

RouteDecision route_request(std::string_view method, std::string_view target, const AgentSnapshot& agents) {
  RouteDecision decision;
  if (target.substr(0, kAgentsPrefix.size()) != kAgentsPrefix) return decision;

  std::string_view query;
  std::string_view path_part = target;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    query = target.substr(q);  // keeps the '?'
    path_part = target.substr(0, q);
  }
  std::string_view rest = path_part.substr(kAgentsPrefix.size());
  size_t slash = rest.find('/');
  std::string_view agent_ref = rest.substr(0, slash);
  std::string_view agent_path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);

  if (has_dot_segment(agent_path)) {
    decision.kind = RouteDecision::Kind::kBadPath;
    return decision;
  }

  AgentSpecPtr agent;
  bool canonical = false;
  if (auto uuid = canonical_uuid(agent_ref)) {
    agent = agents.find_by_id(*uuid);
    canonical = *uuid == agent_ref;
  } else {
    agent = agents.find_by_slug(std::string(agent_ref));
  }
  if (!agent) {
    decision.kind = RouteDecision::Kind::kAgentNotFound;
    return decision;
  }
  if (!canonical || slash == std::string_view::npos) {
    decision.kind = RouteDecision::Kind::kRedirect;
    decision.agent = agent;
    decision.location = std::string(kAgentsPrefix) + agent->id + std::string(agent_path) + std::string(query);
    return decision;
  }
  return match_function(agent, method, agent_path);
}

}  // namespace agentgate
