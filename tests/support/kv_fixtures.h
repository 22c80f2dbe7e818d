#pragma once
// Helpers for the ctx.kv integration tests: an agent whose handler calls ctx.kv as its query string
// says, and a client that drives it over HTTP. Header-only; pure test code, no product headers.
//
// The agent has two functions with the same module: "kv" at /kv/* with the permissions given to
// kv_bundle, and "bare" at /bare/* with none. A request to .../kv/<op>?... calls ctx.kv.<op> with:
//   user_id, key, prefix, cursor   the query parameter as is ("self=1" uses ctx.auth.agentId)
//   limit, ttl                     as numbers (ttl -> ttlSeconds)
//   value                          JSON; as=date|bytes|repeat|function|nest turns it into a Date, a
//                                  Uint8Array (from an array of bytes), 'x'.repeat(value), a
//                                  function (which cannot be stored); as=nest nests 1 in `value`
//                                  arrays
//   args                           a JSON object merged over the above (for exact strings such as
//                                  lone surrogates, and for wrong types)
// It answers 200 {"result": ...} with the result rendered by `render` (below), or 400
// {"code", "message"} when the call rejected. delay=MS (with marker=M) logs "kv agent: waiting before
// <op> M" and waits MS before the call. Op "save" keeps ctx in a module variable and "stale"
// calls ctx.kv.get through that saved ctx (a ctx kept past its request).
#include <boost/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "tests/support/agent_fixtures.h"

namespace agentgate::testing {

inline const char* kv_agent_source() {
  return R"JS(
// Dates, byte arrays and undefined survive the trip to the test as tagged JSON.
const render = (value) => JSON.stringify({ result: value }, function (name, v) {
  const original = this[name];
  if (original instanceof Date) return { $date: original.toISOString() };
  if (original instanceof Uint8Array) return { $bytes: Array.from(original) };
  if (v === undefined) return { $undefined: true };
  return v;
});

const valueFrom = (q) => {
  const value = JSON.parse(q.get('value'));
  switch (q.get('as')) {
    case 'date': return new Date(value);
    case 'bytes': return new Uint8Array(value);
    case 'repeat': return 'x'.repeat(value);
    case 'function': return () => value;
    case 'nest': {
      let nested = 1;
      for (let i = 0; i < value; i++) nested = [nested];
      return nested;
    }
    default: return value;
  }
};

let saved = null;

export default async (ctx) => {
  const url = new URL(ctx.request.url);
  const op = url.pathname.split('/').pop();
  const q = url.searchParams;
  if (op === 'save') {
    saved = ctx;
    return { status: 200, headers: { 'content-type': 'application/json' }, body: render('saved') };
  }
  const options = {};
  for (const name of ['user_id', 'key', 'prefix', 'cursor', 'scope']) {
    if (q.has(name)) options[name] = q.get(name);
  }
  if (q.get('self') === '1') options.user_id = ctx.auth.agentId;
  if (q.has('limit')) options.limit = Number(q.get('limit'));
  if (q.has('ttl')) options.ttlSeconds = Number(q.get('ttl'));
  if (q.has('value')) options.value = valueFrom(q);
  if (q.has('args')) Object.assign(options, JSON.parse(q.get('args')));
  if (q.has('delay')) {
    console.log('kv agent: waiting before ' + op + ' ' + q.get('marker'));
    await new Promise((resolve) => setTimeout(resolve, Number(q.get('delay'))));
  }
  const kv = op === 'stale' ? saved?.kv : ctx.kv;
  const method = op === 'stale' ? 'get' : op;
  if (!kv || typeof kv[method] !== 'function') return { status: 404, body: 'no such op ' + op };
  try {
    const result = await kv[method](options);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: render(result) };
  } catch (e) {
    return { status: 400, body: { code: e?.code ?? null, message: String(e?.message ?? e) } };
  }
};
)JS";
}

// A bundle of the kv agent. `kv_permissions` is the "kv" object of the "kv" function's permissions
// (e.g. {"self": "rw", "subjects": {"google:*": "rw"}}).
inline Files kv_bundle(const std::string& id, const std::string& slug, const boost::json::object& kv_permissions) {
  auto function = [](const char* name, const char* path) {
    return boost::json::object{{"name", name},
                               {"endpoint", {{"methods", boost::json::array{"GET", "POST"}}, {"path", path}}},
                               {"module", "kv.js"},
                               {"auth", "none"}};
  };
  boost::json::object with_permissions = function("kv", "/kv/*");
  with_permissions["permissions"] = boost::json::object{{"kv", kv_permissions}};
  boost::json::object manifest{{"id", id},
                               {"slug", slug},
                               {"functions", boost::json::array{with_permissions, function("bare", "/bare/*")}}};
  return {{"agent.json", boost::json::serialize(manifest)}, {"kv.js", kv_agent_source()}};
}

// Percent-encodes every byte except RFC 3986 unreserved characters (so '+', '&', NUL, UTF-8 and
// '%' all arrive exactly).
inline std::string url_encode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

using QueryParams = std::vector<std::pair<std::string, std::string>>;

inline std::string query_string(const QueryParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    out += out.empty() ? "?" : "&";
    out += url_encode(name) + "=" + url_encode(value);
  }
  return out;
}

// One kv call's answer: the HTTP status, the parsed body, and the error code when it rejected.
struct KvReply {
  int status = 0;
  boost::json::value body;  // null when the body is not JSON
  std::string raw;
  std::string error;  // transport error (status 0)

  bool ok() const { return status == 200; }
  // The call's result (null for null, absent body or failure); refers into `body`.
  const boost::json::value& result() const {
    static const boost::json::value kNull;
    const auto* found = body.is_object() ? body.as_object().if_contains("result") : nullptr;
    return found ? *found : kNull;
  }
  std::string code() const { return json_string(body, "code"); }
  std::string message() const { return json_string(body, "message"); }
};

inline KvReply to_kv_reply(const HttpResult& response) {
  return KvReply{response.status, parse_json(response.body), response.body, response.error};
}

// Calls ctx.kv.<op> of the agent `agent_id` through its "kv" (or `function`) route.
inline KvReply kv_call(uint16_t port, const std::string& agent_id, const std::string& op, const QueryParams& params,
                       const std::string& function = "kv") {
  return to_kv_reply(http_get(port, "/agents/" + agent_id + "/" + function + "/" + op + query_string(params)));
}

// A string as a JSON text (for the value and args parameters).
inline std::string json_text(const boost::json::value& value) { return boost::json::serialize(value); }

}  // namespace agentgate::testing
