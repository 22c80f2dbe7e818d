#include "policy/cookies.h"

#include <algorithm>
#include <cstdio>

#include "common/ascii.h"
#include "policy/headers.h"

namespace agentgate {
namespace {

constexpr size_t kLoggableNameBytes = 64;
// Browsers ignore an attribute whose value is longer than this (RFC 6265bis 5.7).
constexpr size_t kMaxAttributeValueBytes = 1024;
// Browsers drop a cookie whose name and value together are longer (RFC 6265bis 5.7).
constexpr size_t kMaxBrowserCookieBytes = 4096;

bool is_control(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

constexpr std::string_view kAgentNamespace = "agt_";  // every agent's cookies: agt_<agent id>_<name>

void assign_cookie_prefix(std::string& out, std::string_view agent_id) {
  out.assign(kAgentNamespace).append(agent_id).push_back('_');
}

// A cookie name for the console: cut, and printable whatever the handler sent.
std::string loggable(std::string_view name) {
  std::string out;
  for (unsigned char c : name.substr(0, kLoggableNameBytes)) {
    if (c >= 0x21 && c <= 0x7e && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    }
  }
  if (name.size() > kLoggableNameBytes) out += "...";
  return out;
}

// The name as far as it can be told from an invalid cookie: what precedes the '=' of the
// name-value pair (the part before the first ';'). A pair without '=' is all value (RFC 6265bis
// 5.7 step 3), so it has no name to show: showing it would log the value.
std::string_view presumed_name(std::string_view header_value) {
  std::string_view pair = header_value.substr(0, header_value.find(';'));
  size_t equals = pair.find('=');
  if (equals == std::string_view::npos) return {};
  return trim(pair.substr(0, equals));
}

}  // namespace

std::string cookie_prefix_for(std::string_view agent_id) {
  std::string prefix;
  assign_cookie_prefix(prefix, agent_id);
  return prefix;
}

void CookiePolicy::aim_at(std::string_view agent_id) {
  assign_cookie_prefix(agent_prefix, agent_id);
  base_path.assign("/agents/").append(agent_id);
}

std::optional<std::string> reserved_cookies_problem(const ReservedCookies& reserved) {
  // Agents own everything under "agt_": a reserved name there would refuse some agent's cookies.
  // A prefix such as "agt" would take in every agent's cookies; one starting "agt_" some agent's.
  auto in_agent_namespace = [](std::string_view prefix) {
    return starts_with(prefix, kAgentNamespace) || starts_with(kAgentNamespace, prefix);
  };
  for (const auto& name : reserved.names) {
    if (!is_token(name)) return "'" + name + "' is not a cookie name (a token: letters, digits, !#$%&'*+-.^_`|~)";
    if (starts_with(name, kAgentNamespace)) return "'" + name + "' is in the agents' namespace (agt_)";
  }
  if (!is_token(reserved.prefix)) return "the prefix '" + reserved.prefix + "' is not the start of a cookie name (a token)";
  if (in_agent_namespace(reserved.prefix)) return "the prefix '" + reserved.prefix + "' overlaps the agents' namespace (agt_)";
  return std::nullopt;
}

std::optional<ParsedSetCookie> parse_set_cookie(std::string_view header_value) {
  if (std::any_of(header_value.begin(), header_value.end(), [](char c) { return is_control(static_cast<unsigned char>(c)); })) {
    return std::nullopt;
  }
  size_t semicolon = header_value.find(';');
  std::string_view pair = header_value.substr(0, semicolon);
  size_t equals = pair.find('=');
  if (equals == std::string_view::npos) return std::nullopt;
  ParsedSetCookie cookie;
  cookie.name = trim(pair.substr(0, equals));
  cookie.value = trim(pair.substr(equals + 1));
  if (cookie.name.empty() ||
      !std::all_of(cookie.name.begin(), cookie.name.end(), [](char c) { return is_token_char(static_cast<unsigned char>(c)); })) {
    return std::nullopt;
  }
  std::string_view rest = semicolon == std::string_view::npos ? std::string_view() : header_value.substr(semicolon + 1);
  while (!rest.empty()) {
    size_t end = rest.find(';');
    std::string_view part = trim(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (part.empty()) continue;
    size_t attribute_equals = part.find('=');
    ParsedSetCookie::Attribute attribute;
    attribute.name = trim(part.substr(0, attribute_equals));
    if (attribute_equals != std::string_view::npos) {
      attribute.value = trim(part.substr(attribute_equals + 1));
      attribute.has_value = true;
    }
    cookie.attributes.push_back(attribute);
  }
  return cookie;
}

CookieVerdict check_set_cookie(std::string_view header_value, const CookiePolicy& policy) {
  CookieVerdict verdict;
  auto cookie = parse_set_cookie(header_value);
  if (!cookie) {
    verdict.loggable_name = loggable(presumed_name(header_value));
    verdict.violation = CookieRule::kMalformed;
    return verdict;
  }
  verdict.loggable_name = loggable(cookie->name);
  bool http_only = false, secure = false, same_site = false;
  std::optional<std::string_view> path;  // the last Path attribute wins (RFC 6265bis 5.7)
  for (const auto& attribute : cookie->attributes) {
    if (iequals_ascii(attribute.name, "domain")) {
      verdict.violation = CookieRule::kDomainAttribute;
      return verdict;
    }
    // A browser ignores such an attribute: an over-long HttpOnly or Path does not count.
    if (attribute.value.size() > kMaxAttributeValueBytes) continue;
    http_only = http_only || iequals_ascii(attribute.name, "httponly");
    secure = secure || iequals_ascii(attribute.name, "secure");
    // SameSite counts only with a value browsers know; anything else is treated as absent by them.
    same_site = same_site || (iequals_ascii(attribute.name, "samesite") &&
                              (iequals_ascii(attribute.value, "strict") || iequals_ascii(attribute.value, "lax") ||
                               iequals_ascii(attribute.value, "none")));
    if (iequals_ascii(attribute.name, "path")) path = attribute.value;
  }
  const ReservedCookies& platform = policy.reserved;
  bool reserved = starts_with(cookie->name, platform.prefix) ||
                  std::find(platform.names.begin(), platform.names.end(), cookie->name) != platform.names.end();
  if (reserved) {
    verdict.violation = CookieRule::kReservedName;
    return verdict;
  }
  if (!starts_with(cookie->name, policy.agent_prefix)) {
    verdict.violation = CookieRule::kWrongNamespace;
    return verdict;
  }
  if (!http_only) verdict.advice.push_back(CookieAdvice::kMissingHttpOnly);
  if (policy.https_origin && !secure) verdict.advice.push_back(CookieAdvice::kMissingSecure);
  if (!same_site) verdict.advice.push_back(CookieAdvice::kMissingSameSite);
  if (cookie->name.size() + cookie->value.size() > kMaxBrowserCookieBytes) verdict.advice.push_back(CookieAdvice::kTooLarge);
  // A Path that does not start with '/' is ignored by browsers (the default path applies, which is
  // under the request's path and so under the base path).
  if (!policy.base_path.empty() && path && starts_with(*path, "/")) {
    bool inside = *path == policy.base_path || starts_with(*path, policy.base_path + "/");
    if (!inside) verdict.advice.push_back(CookieAdvice::kPathOutsideBase);
  }
  return verdict;
}

std::string_view cookie_rule_name(CookieRule rule) {
  switch (rule) {
    case CookieRule::kMalformed: return "malformed";
    case CookieRule::kDomainAttribute: return "domain-attribute";
    case CookieRule::kReservedName: return "reserved-name";
    case CookieRule::kWrongNamespace: return "wrong-namespace";
  }
  return "?";
}

std::string_view cookie_rule_message(CookieRule rule) {
  switch (rule) {
    case CookieRule::kMalformed:
      return "not a valid Set-Cookie: it needs name=value, a name made of token characters, and no control characters";
    case CookieRule::kDomainAttribute:
      return "cookies must not carry a Domain attribute (they stay host-only)";
    case CookieRule::kReservedName:
      return "the name is reserved for the platform";
    case CookieRule::kWrongNamespace:
      return "the name must start with agt_<this agent's id>_";
  }
  return "";
}

std::string_view cookie_advice_message(CookieAdvice advice) {
  switch (advice) {
    case CookieAdvice::kMissingHttpOnly: return "no HttpOnly: page scripts can read it";
    case CookieAdvice::kMissingSecure: return "no Secure on an https origin";
    case CookieAdvice::kMissingSameSite: return "no SameSite=Strict, Lax or None";
    case CookieAdvice::kTooLarge: return "name and value exceed 4096 bytes: browsers drop such a cookie";
    case CookieAdvice::kPathOutsideBase: return "Path is outside the agent's base path /agents/<id>";
  }
  return "";
}

std::optional<std::string> filter_cookie_header(std::string_view header_value, std::string_view agent_prefix) {
  std::string kept;
  while (!header_value.empty()) {
    size_t end = header_value.find(';');
    std::string_view pair = trim(header_value.substr(0, end));
    header_value = end == std::string_view::npos ? std::string_view() : header_value.substr(end + 1);
    size_t equals = pair.find('=');
    if (equals == std::string_view::npos) continue;  // a nameless cookie belongs to no agent
    if (!starts_with(trim(pair.substr(0, equals)), agent_prefix)) continue;
    if (!kept.empty()) kept += "; ";
    kept += pair;
  }
  if (kept.empty()) return std::nullopt;
  return kept;
}

}  // namespace agentgate
