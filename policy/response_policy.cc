#include "policy/response_policy.h"

namespace agentgate {

ResponseVerdict apply_response_policy(HeaderPairs& headers, const std::vector<std::string>& dropped_headers,
                                      const CookiePolicy& cookies) {
  ResponseVerdict verdict;
  for (const auto& [name, value] : headers) {
    if (name != "set-cookie") continue;
    CookieVerdict cookie = check_set_cookie(value, cookies);
    if (cookie.violation) {
      verdict.rejection = PolicyEvent{
          "INVALID_SET_COOKIE", "cookie '" + cookie.loggable_name + "' broke rule " +
                                    std::string(cookie_rule_name(*cookie.violation)) + ": " +
                                    std::string(cookie_rule_message(*cookie.violation)) + "; the response was replaced by a 502"};
      return verdict;
    }
    for (CookieAdvice advice : cookie.advice) {
      verdict.advisories.push_back(
          PolicyEvent{"COOKIE_ADVISORY", "cookie '" + cookie.loggable_name + "': " + std::string(cookie_advice_message(advice))});
    }
  }
  for (const auto& name : dropped_headers) {
    verdict.advisories.push_back(
        PolicyEvent{"DROPPED_HEADER", "header '" + name + "' was dropped: the server owns the connection and framing"});
  }
  std::erase_if(headers, [&](const auto& header) {
    if (!is_origin_wide(header.first)) return false;
    verdict.advisories.push_back(PolicyEvent{
        "DROPPED_HEADER", "header '" + header.first + "' was dropped: it would act on every agent of the shared origin"});
    return true;
  });
  verdict.security_headers = claim_security_headers(headers, cookies.https_origin);
  return verdict;
}

}  // namespace agentgate
