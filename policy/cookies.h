#pragma once
// Cookie rules for many agents sharing one origin. Pure: no I/O, so they can be unit-tested and
// fuzzed (tests/fuzz/).
//
// Outbound: every Set-Cookie a handler returns is parsed as RFC 6265bis section 5.7 parses it, then
// checked. A violation rejects the whole response; an advisory lets it through with a console note.
// Inbound: the Cookie header a handler sees keeps only its own agent's cookies.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentgate {

// Cookie names only the platform may set (a setting: --reserved-cookie-names, --reserved-cookie-prefix).
struct ReservedCookies {
  std::vector<std::string> names = {"session", "logged_in"};
  std::string prefix = "_agentgate_";
};

struct CookiePolicy {
  std::string agent_prefix;       // "agt_<canonical agent id>_"
  bool https_origin = false;      // Secure is advised when visitors use https
  std::string base_path;          // "/agents/<id>" on the shared domain; "" on an agent's own domain
  ReservedCookies reserved;

  // Points the policy at an agent on the shared domain. Reuses the strings' storage: the dispatcher
  // keeps one policy per worker and re-aims it for each response.
  void aim_at(std::string_view agent_id);
};

// "agt_<agent id>_": the namespace of an agent's cookies.
std::string cookie_prefix_for(std::string_view agent_id);

// Why `names` or `prefix` cannot be the reserved cookies (empty, not cookie-name tokens, or inside
// the agents' "agt_" namespace), or nullopt.
std::optional<std::string> reserved_cookies_problem(const ReservedCookies& reserved);

struct ParsedSetCookie {
  std::string_view name;
  std::string_view value;
  struct Attribute {
    std::string_view name;   // as sent; compare case-insensitively
    std::string_view value;  // "" when the attribute has no '='
    bool has_value = false;
  };
  std::vector<Attribute> attributes;
};

// nullopt when the string is not a cookie at all: control characters (other than tab), no '=' in
// the name-value pair, or a name that is empty or not an RFC 9110 token.
std::optional<ParsedSetCookie> parse_set_cookie(std::string_view header_value);

enum class CookieRule {
  kMalformed,        // not a cookie (see parse_set_cookie)
  kDomainAttribute,  // any Domain attribute, any case, any value or none: cookies stay host-only
  kReservedName,     // the platform's own names
  kWrongNamespace,   // the name does not start with this agent's agt_<id>_
};

enum class CookieAdvice {
  kMissingHttpOnly,
  kMissingSecure,    // only on an https origin
  kMissingSameSite,
  kPathOutsideBase,  // Path outside /agents/<id> on the shared domain
  kTooLarge,         // name + value over 4096 bytes: browsers drop it
};

struct CookieVerdict {
  std::optional<CookieRule> violation;
  std::vector<CookieAdvice> advice;
  // The cookie's name, cut to 64 bytes with control bytes escaped, for the console; never its value.
  std::string loggable_name;
};

CookieVerdict check_set_cookie(std::string_view header_value, const CookiePolicy& policy);

std::string_view cookie_rule_name(CookieRule rule);      // "domain-attribute", ...
std::string_view cookie_rule_message(CookieRule rule);   // what to fix
std::string_view cookie_advice_message(CookieAdvice advice);

// The Cookie request header with only the cookies whose names start with `agent_prefix`, in their
// order, joined by "; " (nullopt when none is left: the handler then sees no cookie header).
std::optional<std::string> filter_cookie_header(std::string_view header_value, std::string_view agent_prefix);

}  // namespace agentgate
