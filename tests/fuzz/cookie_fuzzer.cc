// libFuzzer target for the cookie rules (policy/cookies.h) and the response policy around them
// (policy/response_policy.h, policy/headers.h). Besides crashes and sanitizer reports it checks
// the properties the platform relies on, and aborts when one does not hold:
//   - a parsed cookie has a non-empty token name, trimmed name and value, and no control bytes;
//   - check_set_cookie rejects exactly what does not parse, carries a Domain, is reserved or lies
//     outside the agent's namespace; a rejection carries no advice;
//   - the loggable name is printable, at most 64 bytes of the name (escaped) and never taken from
//     the value: without an '=' in the name-value pair it is empty;
//   - filter_cookie_header keeps only own cookies, in order, and is idempotent;
//   - apply_response_policy rejects iff one of the Set-Cookie values breaks a rule, and otherwise
//     the response as sent (the handler's headers, then the security headers it claimed) holds
//     exactly one nosniff and HSTS only on https.
//
// Input: byte 0 holds policy bits (bit 0: https origin; bit 1: served on the agent's own domain,
// so no base path; bit 2: the prefix is another agent's), the rest is the header text. The text
// is checked whole as one Set-Cookie and as one Cookie header, and split at '\n' into the
// Set-Cookie values of one response.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "policy/cookies.h"
#include "policy/headers.h"
#include "policy/response_policy.h"

namespace {

using namespace agentgate;

constexpr std::string_view kAgentId = "3f2a9c4e-1b7d-4e8a-9c0f-5d6e7f8a9b0c";
constexpr std::string_view kOtherId = "7b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d4e";

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "cookie_fuzzer: property broken: %s\n", what);
  std::abort();
}
void require(bool holds, const char* what) {
  if (!holds) fail(what);
}

bool is_control(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }
bool is_space(char c) { return c == ' ' || c == '\t'; }
bool trimmed(std::string_view text) { return text.empty() || (!is_space(text.front()) && !is_space(text.back())); }
bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }
bool within(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}
std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The expected loggable form of a name: 64 bytes at most, bytes outside 0x21-0x7e and '\' escaped.
std::string expected_loggable(std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : name.substr(0, 64)) {
    if (c >= 0x21 && c <= 0x7e && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  if (name.size() > 64) out += "...";
  return out;
}

void check_one_cookie(std::string_view text, const CookiePolicy& policy) {
  auto parsed = parse_set_cookie(text);
  bool has_control = false;
  for (unsigned char c : text) has_control = has_control || is_control(c);
  if (parsed) {
    require(!has_control, "a cookie with control bytes parsed");
    require(!parsed->name.empty(), "empty name parsed");
    for (unsigned char c : parsed->name) require(is_token_char(c), "name with a non-token byte parsed");
    require(trimmed(parsed->name) && trimmed(parsed->value), "name or value not trimmed");
    require(within(parsed->name, text) && within(parsed->value, text), "name or value outside the input");
    require(parsed->value.find(';') == std::string_view::npos, "value holds a ';'");
    for (const auto& attribute : parsed->attributes) {
      require(trimmed(attribute.name) && trimmed(attribute.value), "attribute not trimmed");
      require(within(attribute.name, text) && within(attribute.value, text), "attribute outside the input");
      require(attribute.has_value || attribute.value.empty(), "attribute value without '='");
    }
  }

  CookieVerdict verdict = check_set_cookie(text, policy);
  require(!verdict.violation || verdict.advice.empty(), "a rejected cookie has advice");
  for (char c : verdict.loggable_name) require(c >= 0x21 && c <= 0x7e, "loggable name not printable");
  if (!parsed) {
    require(verdict.violation == CookieRule::kMalformed, "an unparsable cookie is not rejected as malformed");
    std::string_view pair = text.substr(0, text.find(';'));
    size_t equals = pair.find('=');
    std::string_view presumed = equals == std::string_view::npos ? std::string_view() : trim(pair.substr(0, equals));
    require(verdict.loggable_name == expected_loggable(presumed), "loggable name not the presumed name");
    return;
  }
  require(verdict.loggable_name == expected_loggable(parsed->name), "loggable name not the name");

  bool domain = false;
  for (const auto& attribute : parsed->attributes) domain = domain || iequals(attribute.name, "domain");
  bool reserved = starts_with(parsed->name, policy.reserved.prefix);
  for (const auto& name : policy.reserved.names) reserved = reserved || parsed->name == name;
  bool outside = !starts_with(parsed->name, policy.agent_prefix);
  require(verdict.violation.has_value() == (domain || reserved || outside), "rejection does not match the rules");
  if (domain) require(verdict.violation == CookieRule::kDomainAttribute, "Domain not reported as such");
  if (!policy.https_origin) {
    for (CookieAdvice advice : verdict.advice) require(advice != CookieAdvice::kMissingSecure, "Secure advice on http");
  }
  if (policy.base_path.empty()) {
    for (CookieAdvice advice : verdict.advice) require(advice != CookieAdvice::kPathOutsideBase, "Path advice, no base");
  }
}

void check_filter(std::string_view text, std::string_view prefix) {
  auto kept = filter_cookie_header(text, prefix);
  if (!kept) return;
  require(!kept->empty(), "an empty header kept");
  std::string_view rest = *kept;
  size_t from = 0;  // kept pieces appear in the input in order
  while (true) {
    size_t end = rest.find("; ");
    std::string_view piece = rest.substr(0, end);
    size_t equals = piece.find('=');
    require(equals != std::string_view::npos, "a nameless cookie kept");
    require(starts_with(trim(piece.substr(0, equals)), prefix), "another namespace's cookie kept");
    require(piece.find(';') == std::string_view::npos, "a piece holds a ';'");
    size_t at = text.find(piece, from);
    require(at != std::string_view::npos, "a kept cookie is not in the input, in order");
    from = at + piece.size();
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 2);
  }
  require(filter_cookie_header(*kept, prefix) == kept, "filtering is not idempotent");
}

void check_response(std::string_view text, const CookiePolicy& policy) {
  HeaderPairs headers = {{"content-type", "text/html"}};
  std::vector<std::string> cookies;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    cookies.emplace_back(text.substr(start, end - start));
    headers.emplace_back("set-cookie", cookies.back());
    start = end + 1;
  }
  bool any_violation = false;
  for (const auto& cookie : cookies) any_violation = any_violation || check_set_cookie(cookie, policy).violation;
  ResponseVerdict verdict = apply_response_policy(headers, {"content-length"}, policy);
  require(verdict.rejection.has_value() == any_violation, "rejection differs from the cookies' verdicts");
  if (verdict.rejection) {
    require(verdict.rejection->code == "INVALID_SET_COOKIE", "rejection code");
    return;
  }
  // The server sends the claimed security headers after the handler's (dispatcher/server.cc).
  HeaderPairs sent = headers;
  for (size_t i = 0; i < kSecurityHeaders.size(); ++i) {
    if (verdict.security_headers[i]) sent.emplace_back(std::string(kSecurityHeaders[i].name), std::string(kSecurityHeaders[i].value));
  }
  size_t nosniff = 0, hsts = 0;
  for (const auto& [name, value] : sent) {
    nosniff += name == "x-content-type-options" && value == "nosniff";
    hsts += name == "strict-transport-security";
  }
  require(nosniff == 1, "not exactly one nosniff");
  require(hsts == (policy.https_origin ? 1u : 0u), "HSTS not exactly on https");
  HeaderPairs again = sent;
  add_security_headers(again, policy.https_origin);
  std::sort(again.begin(), again.end());
  std::sort(sent.begin(), sent.end());
  require(again == sent, "security headers not idempotent");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t bits = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string_view agent = (bits & 4) ? kOtherId : kAgentId;

  CookiePolicy policy;
  policy.agent_prefix = cookie_prefix_for(agent);
  policy.https_origin = (bits & 1) != 0;
  policy.base_path = (bits & 2) ? std::string() : "/agents/" + std::string(kAgentId);

  check_one_cookie(text, policy);
  check_filter(text, policy.agent_prefix);
  check_response(text, policy);
  return 0;
}
