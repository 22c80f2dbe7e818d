#pragma once
// An agent whose handler calls fetch() as the query string says and answers with what it saw, for
// the fetch and egress-guard integration tests. Header-only test code.
//   /agents/<id>/app/?mode=<mode>&u=<url>  ->  JSON: the response described, or {"error": {...}}
#include <boost/json.hpp>

#include <cctype>
#include <string>

#include "tests/support/agent_fixtures.h"

namespace agentgate::testing {

inline constexpr const char* kFetchAgentId = "5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170";

inline const std::string kFetchAgentSource = R"JS(
const describe = async (r) => ({
  status: r.status, statusText: r.statusText, ok: r.ok, url: r.url, redirected: r.redirected,
  headers: Object.fromEntries(r.headers), setCookies: r.headers.getSetCookie(), body: await r.text(),
  isResponse: r instanceof Response,
});
const failure = (e) => ({ error: { name: e?.name ?? null, code: e?.code ?? null, message: String(e?.message ?? e) } });
export default async function handler(ctx) {
  const query = new URL(ctx.request.url).searchParams;
  const u = query.get('u');
  let result;
  try {
    switch (query.get('mode') ?? 'get') {
      case 'get': result = await describe(await fetch(u)); break;
      case 'head': result = await describe(await fetch(u, { method: 'HEAD' })); break;
      case 'form':
        result = await describe(await fetch(u, {
          method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code: 'a b&c' }) }));
        break;
      case 'json-body':
        result = await describe(await fetch(u, {
          method: 'PUT', headers: { 'content-type': 'application/json', authorization: 'Bearer tok', host: 'evil.test' },
          body: JSON.stringify({ a: 1 }) }));
        break;
      case 'bytes':
        result = await describe(await fetch(new Request(u, { method: 'POST', body: new Uint8Array([104, 105, 33]) })));
        break;
      case 'json': result = { json: await (await fetch(u)).json() }; break;
      case 'buffer': result = { length: (await (await fetch(u)).arrayBuffer()).byteLength }; break;
      case 'manual': result = await describe(await fetch(u, { redirect: 'manual' })); break;
      case 'error': result = await describe(await fetch(u, { redirect: 'error' })); break;
      case 'abort': {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 100);
        result = await describe(await fetch(u, { signal: controller.signal }));
        break;
      }
      case 'timeout-signal': result = await describe(await fetch(u, { signal: AbortSignal.timeout(100) })); break;
      case 'count': {
        let ok = 0, last = null;
        for (let i = 0; i < Number(query.get('n')); i++) {
          try { await (await fetch(u)).text(); ok++; } catch (e) { last = failure(e).error; }
        }
        result = { ok, last };
        break;
      }
      case 'forget': {  // starts a fetch, lets it reach the provider, returns without awaiting it
        fetch(u).catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 300));
        result = { returned: true };
        break;
      }
      case 'parallel': {  // n fetches at once: each one's status or error code
        const all = await Promise.allSettled(Array.from({ length: Number(query.get('n')) }, () => fetch(u)));
        result = { outcomes: all.map((o) => (o.status === 'fulfilled' ? o.value.status : o.reason.code)) };
        break;
      }
      case 'ping': result = { pong: true }; break;
      default: result = { error: { message: 'unknown mode' } };
    }
  } catch (e) {
    result = failure(e);
  }
  return new Response(JSON.stringify(result), { headers: { 'content-type': 'application/json' } });
}
)JS";

inline std::string percent_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Deploys the fetch agent on `server`; returns the deploy reply's status (201 on success).
inline int deploy_fetch_agent(ServerProcess& server) {
  return server.deploy(one_function_bundle(kFetchAgentId, "fetch-agent", kFetchAgentSource)).status;
}

// Asks the fetch agent to fetch `url` in `mode`; the handler's JSON answer (null if none).
inline boost::json::value fetch_through_agent(ServerProcess& server, const std::string& mode, const std::string& url,
                                              const std::string& extra_query = "") {
  auto reply = http_get(server.port(), std::string("/agents/") + kFetchAgentId + "/app/?mode=" + mode +
                                           "&u=" + percent_encode(url) + extra_query);
  return reply.status == 200 ? parse_json(reply.body) : boost::json::value();
}

// The error code a fetch failed with ("" when it did not fail).
inline std::string fetch_error_code(const boost::json::value& result) {
  if (!result.is_object() || !result.as_object().contains("error")) return "";
  return json_string(result.at("error"), "code");
}

}  // namespace agentgate::testing
