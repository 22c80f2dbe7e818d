// What the response policy costs per request, in-process: the inbound cookie filter and
// apply_response_policy (Set-Cookie checks, security headers) on the responses bench/run.sh serves.
// run.sh divides it by agentgate's per-request time measured in the same run.
//
//   policy_cost   ->   "hello <ns> session <ns>"   (nanoseconds per request)
#include <chrono>
#include <cstdio>
#include <string>

#include "policy/cookies.h"
#include "policy/response_policy.h"

namespace {

using agentgate::HeaderPairs;

constexpr const char* kAgentId = "5e55101a-7c3b-4d2e-9f10-0b1c2d3e4f50";

// Nanoseconds per call of `run`, over enough calls to last about half a second.
template <class Run>
double nanoseconds_per_call(Run run) {
  constexpr int kCalls = 500'000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) run();
  std::chrono::duration<double, std::nano> spent = std::chrono::steady_clock::now() - start;
  return spent.count() / kCalls;
}

}  // namespace

int main() {
  std::string prefix = agentgate::cookie_prefix_for(kAgentId);
  agentgate::CookiePolicy policy;
  policy.agent_prefix = prefix;
  policy.base_path = std::string("/agents/") + kAgentId;
  std::string inbound = prefix + "sid=bench-session-42; agt_11111111-2222-4333-8444-555555555555_x=1; session=platform";
  std::string set_cookie = prefix + "sid=2f1e; Path=/agents/" + kAgentId + "/; HttpOnly; Secure; SameSite=Lax; Max-Age=28800";
  volatile size_t sink = 0;

  // hello: no cookies in, none out; the security headers are added.
  double hello = nanoseconds_per_call([&] {
    HeaderPairs headers = {{"content-type", "text/plain"}};
    auto verdict = agentgate::apply_response_policy(headers, {}, policy);
    sink = sink + headers.size() + verdict.advisories.size();
  });
  // session: three cookies in (one kept), one session cookie out.
  double session = nanoseconds_per_call([&] {
    auto kept = agentgate::filter_cookie_header(inbound, prefix);
    HeaderPairs headers = {{"content-type", "text/plain"}, {"set-cookie", set_cookie}};
    auto verdict = agentgate::apply_response_policy(headers, {}, policy);
    sink = sink + headers.size() + verdict.advisories.size() + (kept ? kept->size() : 0);
  });
  std::printf("hello %.0f session %.0f\n", hello, session);
  return sink == 0 ? 1 : 0;
}
