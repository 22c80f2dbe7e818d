// ctx.kv as an agent's handler sees it (sandbox/js/prelude.js, sandbox/kv_binding.cc), run in a real
// isolate pool over a real RocksKvStore in a temporary directory: values round-trip by structured
// clone, each method's result, validation, permissions, TTL, list paging, requests interleaving at
// kv awaits, isolation between agents, and the errors agent code gets.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/sandbox_harness.h"
#include "tests/unit/kv_test_store.h"
#include "tests/unit/outcome_text.h"

namespace agentgate::testing {
namespace {

constexpr Access kR = Access::kRead;
constexpr Access kRw = Access::kReadWrite;

// Small limits, so the "over the limit" cases are short. max_user_id_bytes leaves room for the
// 36-byte agent id (self).
SandboxLimits small_kv_limits() {
  SandboxLimits limits;
  limits.kv.max_key_bytes = 16;
  limits.kv.max_user_id_bytes = 40;
  limits.kv.max_value_bytes = 256;
  limits.kv.default_list_limit = 4;
  limits.kv.max_list_limit = 10;
  limits.kv.max_pending_writes = 4;
  return limits;
}

KvPermissions self_rw() { return KvPermissions{kRw, Access::kNone, {}}; }
// Every user_id, for the cases about validation rather than permissions.
KvPermissions everyone_rw() { return KvPermissions{kRw, kRw, {{"*", kRw}}}; }

// A handler running `body` (statements; whatever it returns becomes the response body: strings as
// they are, anything else through show()). In scope: kv, self (the agent id), show, failure, and
// shorthands for calls on the agent's own user_id. A thrown error becomes "threw <code>".
AgentSpecPtr kv_agent(const std::string& body, KvPermissions permissions, const std::string& id = kTestAgentId) {
  return single_function_agent_with_kv(
      "const show = (v) => {\n"
      "  if (v === undefined) return 'undefined';\n"
      "  if (typeof v === 'bigint') return v + 'n';\n"
      "  if (v instanceof Date) return 'Date(' + v.getTime() + ')';\n"
      "  if (v instanceof Map) return 'Map(' + JSON.stringify([...v]) + ')';\n"
      "  if (v instanceof Uint8Array) return 'Uint8Array(' + [...v].join() + ')';\n"
      "  return JSON.stringify(v);\n"
      "};\n"
      "const failure = (e) => 'threw ' + (e instanceof Error ? '' : '(not an Error) ') + e?.code;\n"
      "export default async function (ctx) {\n"
      "  const kv = ctx.kv;\n"
      "  const self = ctx.metadata.agentId;\n"
      "  const put = (key, value, more = {}) => kv.put({ user_id: self, key, value, ...more });\n"
      "  const get = (key, more = {}) => kv.get({ user_id: self, key, ...more });\n"
      "  const del = (key, more = {}) => kv.delete({ user_id: self, key, ...more });\n"
      "  const take = (key, more = {}) => kv.take({ user_id: self, key, ...more });\n"
      "  const list = (more = {}) => kv.list({ user_id: self, ...more });\n"
      "  const outcome = (promise) => promise.then(() => 'resolved', failure);\n"
      "  try {\n"
      "    const result = await (async () => {\n" +
          body +
          "\n    })();\n"
          "    return { body: typeof result === 'string' ? result : show(result) };\n"
          "  } catch (e) {\n"
          "    return { body: failure(e) };\n"
          "  }\n"
          "}\n",
      std::move(permissions), id);
}

HandlerRequest request_from_visitor(std::optional<std::string> user_id) {
  HandlerRequest request = SandboxHarness::default_request();
  request.user_id = std::move(user_id);
  return request;
}

// The response body, or the outcome's status and detail when the handler did not answer.
std::string body_of(const InvokeOutcome& outcome) {
  if (outcome.status != InvokeStatus::kOk) return status_name(outcome.status) + ": " + outcome.detail;
  return outcome.response.body;
}

class KvJsFixture : public ::testing::Test {
 protected:
  ~KvJsFixture() override {
    // Writes complete by posting to the harness's loop: stop them before the loop goes away.
    store_.kv().close();
    harness_.reset();
  }

  std::string run(const std::string& body, KvPermissions permissions = everyone_rw(),
                  HandlerRequest request = SandboxHarness::default_request()) {
    return body_of(harness_->run(kv_agent(body, std::move(permissions)), std::move(request)));
  }

  TempDir dir_;
  ManualWallClock clock_;
  TestKvStore store_{dir_.path(), clock_};
  std::unique_ptr<SandboxHarness> harness_ = std::make_unique<SandboxHarness>(small_kv_limits(), &store_.kv());
};

// ---- one handler, one expected body ----------------------------------------------------------------

struct JsRow {
  std::string name;
  std::string body;
  std::string expected;
};
void PrintTo(const JsRow& row, std::ostream* os) { *os << row.name; }

class KvJs : public KvJsFixture, public ::testing::WithParamInterface<JsRow> {};

TEST_P(KvJs, Answers) { EXPECT_EQ(run(GetParam().body), GetParam().expected); }

auto name_of = [](const auto& info) { return row_name(info.param.name); };

// Stores `value`, reads it back as `got`, returns `check`.
JsRow round_trip(std::string name, const std::string& value, const std::string& check, std::string expected) {
  return JsRow{std::move(name),
               "await put('v', " + value + ");\n"
               "const got = await get('v');\n"
               "return String(" + check + ");",
               std::move(expected)};
}

INSTANTIATE_TEST_SUITE_P(
    StructuredValues, KvJs,
    ::testing::Values(
        round_trip("object", "{ a: 1, b: 'two', c: [true, null], d: { e: -1.5 } }", "JSON.stringify(got)",
                   "{\"a\":1,\"b\":\"two\",\"c\":[true,null],\"d\":{\"e\":-1.5}}"),
        round_trip("array", "[1, 'x', [2, [3, []]], {}]", "JSON.stringify(got)", "[1,\"x\",[2,[3,[]]],{}]"),
        round_trip("string with non-ASCII and astral characters", "'h\\u00e9llo \\u{1F600}'",
                   "got === 'h\\u00e9llo \\u{1F600}'", "true"),
        round_trip("empty string", "''", "got === ''", "true"),
        round_trip("number", "3.25", "got === 3.25", "true"),
        round_trip("negative zero", "-0", "Object.is(got, -0)", "true"),
        round_trip("NaN", "NaN", "Number.isNaN(got)", "true"),
        round_trip("false", "false", "got === false", "true"),
        round_trip("BigInt", "12345678901234567890n", "got === 12345678901234567890n", "true"),
        round_trip("Date", "new Date(1700000000123)", "got instanceof Date && got.getTime()", "1700000000123"),
        round_trip("Uint8Array", "new Uint8Array([0, 1, 255])",
                   "got instanceof Uint8Array ? [...got].join() : 'not a Uint8Array'", "0,1,255"),
        round_trip("Map", "new Map([['a', 1], [2, { b: 3 }]])",
                   "got instanceof Map ? JSON.stringify([...got]) : 'not a Map'", "[[\"a\",1],[2,{\"b\":3}]]"),
        round_trip("Set", "new Set(['a', 1])", "got instanceof Set ? [...got].join() : 'not a Set'", "a,1"),
        round_trip("RegExp", "/a+b/gi", "got instanceof RegExp && got.source + '/' + got.flags", "a+b/gi"),
        round_trip("nested Date, bytes and objects",
                   "{ when: new Date(5), bytes: new Uint8Array([7]), list: [{ deep: { deeper: 'x' } }] }",
                   "[got.when instanceof Date, got.when.getTime(), got.bytes instanceof Uint8Array, got.bytes[0], "
                   "got.list[0].deep.deeper].join()",
                   "true,5,true,7,x"),
        round_trip("cycle", "(() => { const o = { name: 'o' }; o.self = o; return o; })()",
                   "got.self === got && got.name", "o"),
        round_trip("null is a value", "null", "got === null", "true")),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    Results, KvJs,
    ::testing::Values(
        JsRow{"put resolves undefined", "return show(await put('k', 1));", "undefined"},
        JsRow{"get of a missing key resolves null", "return show(await get('nothing'));", "null"},
        JsRow{"put then get", "await put('k', 'v'); return show(await get('k'));", "\"v\""},
        JsRow{"put replaces", "await put('k', 1); await put('k', 2); return show(await get('k'));", "2"},
        JsRow{"delete: true when it existed, then false",
              "await put('k', 1); return [await del('k'), await del('k'), await get('k')].map(show).join();",
              "true,false,null"},
        JsRow{"delete of a missing key resolves false", "return show(await del('nothing'));", "false"},
        JsRow{"take: the value, then null",
              "await put('k', { n: 1 }); return [await take('k'), await take('k'), await get('k')].map(show).join();",
              "{\"n\":1},null,null"},
        JsRow{"null is stored (list shows the key)", "await put('k', null); return show((await list()).items);",
              "[{\"key\":\"k\",\"value\":null,\"expiresAt\":null}]"},
        JsRow{"list shape", "await put('a', 1); const page = await list(); "
                            "return [Object.keys(page), Object.keys(page.items[0]), show(page)].join(' | ');",
              "items,cursor | key,value,expiresAt | {\"items\":[{\"key\":\"a\",\"value\":1,\"expiresAt\":null}],\"cursor\":null}"},
        JsRow{"list of nothing", "return show(await list({ prefix: 'none' }));", "{\"items\":[],\"cursor\":null}"},
        JsRow{"list pages with limit and cursor",
              "for (const key of ['item:3', 'item:0', 'other', 'item:5', 'item:1', 'item:4', 'item:2']) await put(key, key);\n"
              "const pages = [];\n"
              "let cursor = null;\n"
              "do {\n"
              "  const page = await list({ prefix: 'item:', limit: 4, cursor });\n"
              "  pages.push(page.items.map((item) => item.key + '=' + item.value).join());\n"
              "  cursor = page.cursor;\n"
              "} while (cursor !== null && pages.length < 10);\n"
              "return pages.join(' | ');",
              "item:0=item:0,item:1=item:1,item:2=item:2,item:3=item:3 | item:4=item:4,item:5=item:5"},
        JsRow{"list cursor is a string",
              "for (const key of ['a', 'b', 'c']) await put(key, 1); return typeof (await list({ limit: 2 })).cursor;",
              "string"},
        JsRow{"list default limit", "for (const key of ['a', 'b', 'c', 'd', 'e']) await put(key, 1);\n"
                                    "const page = await list(); return page.items.length + ' ' + typeof page.cursor;",
              "4 string"},
        JsRow{"list with null cursor starts at the beginning",
              "await put('a', 1); return (await list({ cursor: null })).items.map((i) => i.key).join();", "a"},
        JsRow{"scope 'agent' given explicitly",
              "await put('k', 1, { scope: 'agent' }); return show(await get('k', { scope: 'agent' }));", "1"}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    Ttl, KvJs,
    ::testing::Values(
        JsRow{"ttlSeconds gives expiresAt from the store's clock",
              "await put('k', 1, { ttlSeconds: 60 }); return show((await list()).items[0].expiresAt);",
              std::to_string(ManualWallClock::kStart + 60'000)},
        JsRow{"no ttlSeconds: expiresAt null", "await put('k', 1); return show((await list()).items[0].expiresAt);",
              "null"},
        JsRow{"ttlSeconds of ten years", "return outcome(put('k', 1, { ttlSeconds: 315360000 }));", "resolved"},
        JsRow{"ttlSeconds 0", "return outcome(put('k', 1, { ttlSeconds: 0 }));", "threw INVALID_ARGUMENT"},
        JsRow{"ttlSeconds -1", "return outcome(put('k', 1, { ttlSeconds: -1 }));", "threw INVALID_ARGUMENT"},
        JsRow{"ttlSeconds 1.5", "return outcome(put('k', 1, { ttlSeconds: 1.5 }));", "threw INVALID_ARGUMENT"},
        JsRow{"ttlSeconds '10'", "return outcome(put('k', 1, { ttlSeconds: '10' }));", "threw INVALID_ARGUMENT"},
        JsRow{"ttlSeconds NaN", "return outcome(put('k', 1, { ttlSeconds: NaN }));", "threw INVALID_ARGUMENT"},
        JsRow{"ttlSeconds Infinity", "return outcome(put('k', 1, { ttlSeconds: Infinity }));", "threw INVALID_ARGUMENT"},
        JsRow{"ttlSeconds null means no expiry", "await put('k', 1, { ttlSeconds: null }); return (await kv.list({ user_id: self })).items[0].expiresAt;", "null"},
        JsRow{"ttlSeconds over ten years", "return outcome(put('k', 1, { ttlSeconds: 315360001 }));",
              "threw INVALID_ARGUMENT"},
        JsRow{"rejected put stores nothing",
              "await outcome(put('k', 1, { ttlSeconds: 0 })); return show(await get('k'));", "null"}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    Validation, KvJs,
    ::testing::Values(
        JsRow{"scope other than 'agent' in get", "return outcome(get('k', { scope: 'user' }));", "threw INVALID_ARGUMENT"},
        JsRow{"scope other than 'agent' in put", "return outcome(put('k', 1, { scope: 'global' }));",
              "threw INVALID_ARGUMENT"},
        JsRow{"scope other than 'agent' in delete", "return outcome(del('k', { scope: 'Agent' }));",
              "threw INVALID_ARGUMENT"},
        JsRow{"scope other than 'agent' in take", "return outcome(take('k', { scope: '' }));", "threw INVALID_ARGUMENT"},
        JsRow{"scope other than 'agent' in list", "return outcome(list({ scope: 'user' }));", "threw INVALID_ARGUMENT"},
        JsRow{"scope null", "return outcome(get('k', { scope: null }));", "threw INVALID_ARGUMENT"},
        JsRow{"key of max_key_bytes", "return outcome(put('k'.repeat(16), 1));", "resolved"},
        JsRow{"key over max_key_bytes", "return outcome(put('k'.repeat(17), 1));", "threw INVALID_ARGUMENT"},
        JsRow{"key limit counts UTF-8 bytes: 8 x U+00E9", "return outcome(put('\\u00e9'.repeat(8), 1));", "resolved"},
        JsRow{"key limit counts UTF-8 bytes: 9 x U+00E9", "return outcome(put('\\u00e9'.repeat(9), 1));",
              "threw INVALID_ARGUMENT"},
        JsRow{"key over max_key_bytes in get", "return outcome(get('k'.repeat(17)));", "threw INVALID_ARGUMENT"},
        JsRow{"empty key", "return outcome(put('', 1));", "threw INVALID_ARGUMENT"},
        JsRow{"key that is a number", "return outcome(put(5, 1));", "threw INVALID_ARGUMENT"},
        JsRow{"missing key", "return outcome(kv.get({ user_id: self }));", "threw INVALID_ARGUMENT"},
        JsRow{"user_id of max_user_id_bytes", "return outcome(kv.put({ user_id: 'u'.repeat(40), key: 'k', value: 1 }));",
              "resolved"},
        JsRow{"user_id over max_user_id_bytes",
              "return outcome(kv.put({ user_id: 'u'.repeat(41), key: 'k', value: 1 }));", "threw INVALID_ARGUMENT"},
        JsRow{"user_id over max_user_id_bytes in list", "return outcome(kv.list({ user_id: 'u'.repeat(41) }));",
              "threw INVALID_ARGUMENT"},
        JsRow{"empty user_id", "return outcome(kv.get({ user_id: '', key: 'k' }));", "threw INVALID_ARGUMENT"},
        JsRow{"missing user_id", "return outcome(kv.get({ key: 'k' }));", "threw INVALID_ARGUMENT"},
        JsRow{"lone high surrogate in key", "return outcome(put('a\\uD800', 1));", "threw INVALID_ARGUMENT"},
        JsRow{"lone low surrogate in key", "return outcome(put('\\uDC00a', 1));", "threw INVALID_ARGUMENT"},
        JsRow{"reversed surrogate pair in key", "return outcome(put('\\uDE00\\uD83D', 1));", "threw INVALID_ARGUMENT"},
        JsRow{"lone surrogate in user_id", "return outcome(kv.get({ user_id: 'u\\uD800', key: 'k' }));",
              "threw INVALID_ARGUMENT"},
        JsRow{"lone surrogate in list prefix", "return outcome(list({ prefix: '\\uD800' }));", "threw INVALID_ARGUMENT"},
        JsRow{"surrogate pair in key is fine",
              "await put('\\uD83D\\uDE00', 1); return (await list()).items.map((i) => i.key === '\\u{1F600}').join();",
              "true"},
        JsRow{"prefix over max_key_bytes", "return outcome(list({ prefix: 'p'.repeat(17) }));", "threw INVALID_ARGUMENT"},
        JsRow{"value over max_value_bytes", "return outcome(put('k', 'x'.repeat(300)));", "threw VALUE_TOO_LARGE"},
        JsRow{"value under max_value_bytes", "return outcome(put('k', 'x'.repeat(200)));", "resolved"},
        JsRow{"value far over max_value_bytes stops serializing early",
              "return outcome(put('k', 'x'.repeat(8 * 1024 * 1024)));", "threw VALUE_TOO_LARGE"},
        JsRow{"a value nested deeper than the stack", "let v = 1; for (let i = 0; i < 200000; i++) v = [v];\n"
              "return outcome(put('k', v));", "threw INVALID_ARGUMENT"},
        JsRow{"a getter that throws while the value is read", "return outcome(put('k', { get x() { throw new Error('no'); } }));",
              "threw INVALID_ARGUMENT"},
        JsRow{"more writes in flight than max_pending_writes",
              "const writes = [];\n"
              "for (let i = 0; i < 5; i++) writes.push(outcome(put('w' + i, i)));\n"
              "return (await Promise.all(writes)).join();",
              "resolved,resolved,resolved,resolved,threw LIMIT_EXCEEDED"},
        JsRow{"a KvNamespace made for another invocation id is refused",
              "const Forged = Object.getPrototypeOf(kv).constructor;\n"
              "return outcome(new Forged(424242).get({ user_id: self, key: 'k' }));",
              "threw INVALID_STATE"},
        JsRow{"a throwing Object.prototype.code setter does not break kv errors",
              "Object.defineProperty(Object.prototype, 'code', { set() { throw 1; }, configurable: true });\n"
              "try { return await outcome(get('')); } finally { delete Object.prototype.code; }",
              "threw INVALID_ARGUMENT"},
        JsRow{"value that is a function", "return outcome(put('k', () => 1));", "threw INVALID_ARGUMENT"},
        JsRow{"value holding a function", "return outcome(put('k', { f() {} }));", "threw INVALID_ARGUMENT"},
        JsRow{"value that is a Symbol", "return outcome(put('k', Symbol('s')));", "threw INVALID_ARGUMENT"},
        JsRow{"value that is a WeakMap", "return outcome(put('k', new WeakMap()));", "threw INVALID_ARGUMENT"},
        JsRow{"value undefined", "return outcome(put('k', undefined));", "threw INVALID_ARGUMENT"},
        JsRow{"value missing", "return outcome(kv.put({ user_id: self, key: 'k' }));", "threw INVALID_ARGUMENT"},
        JsRow{"list limit 0", "return outcome(list({ limit: 0 }));", "threw INVALID_ARGUMENT"},
        JsRow{"list limit over max_list_limit", "return outcome(list({ limit: 11 }));", "threw INVALID_ARGUMENT"},
        JsRow{"list limit 2.5", "return outcome(list({ limit: 2.5 }));", "threw INVALID_ARGUMENT"},
        JsRow{"list limit '3'", "return outcome(list({ limit: '3' }));", "threw INVALID_ARGUMENT"},
        JsRow{"list limit of max_list_limit", "return outcome(list({ limit: 10 }));", "resolved"},
        JsRow{"list cursor that is not base64url", "return outcome(list({ cursor: 'not a cursor!' }));",
              "threw INVALID_ARGUMENT"},
        JsRow{"list cursor that is a number", "return outcome(list({ cursor: 5 }));", "threw INVALID_ARGUMENT"},
        JsRow{"list cursor from another prefix",
              "for (const key of ['a1', 'a2', 'b1']) await put(key, 1);\n"
              "const { cursor } = await list({ prefix: 'a', limit: 1 });\n"
              "return outcome(list({ prefix: 'b', cursor }));",
              "threw INVALID_ARGUMENT"},
        JsRow{"options that are not an object", "return outcome(kv.get('k'));", "threw INVALID_ARGUMENT"},
        JsRow{"options missing", "return outcome(kv.list());", "threw INVALID_ARGUMENT"}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    Errors, KvJs,
    ::testing::Values(
        JsRow{"invalid options reject rather than throw",
              "let sync = 'no throw'; let p; try { p = kv.get(null); } catch { sync = 'threw synchronously'; }\n"
              "return sync + ', ' + (p instanceof Promise) + ', ' + await outcome(p);",
              "no throw, true, threw INVALID_ARGUMENT"},
        JsRow{"native validation errors reject rather than throw",
              "let sync = 'no throw'; let p; try { p = get('k', { scope: 'user' }); } catch { sync = 'threw synchronously'; }\n"
              "return sync + ', ' + (p instanceof Promise) + ', ' + await outcome(p);",
              "no throw, true, threw INVALID_ARGUMENT"},
        JsRow{"list results are own data properties whatever setters the prototypes have",
              "Object.defineProperty(Object.prototype, 'cursor', { set(v) {}, configurable: true });\n"
              "Object.defineProperty(Object.prototype, 'items', { set(v) {}, configurable: true });\n"
              "Object.defineProperty(Array.prototype, '0', { set(v) {}, configurable: true });\n"
              "await put('a', 1);\n"
              "const page = await list();\n"
              "delete Object.prototype.cursor; delete Object.prototype.items; delete Array.prototype[0];\n"
              "return show(page);",
              "{\"items\":[{\"key\":\"a\",\"value\":1,\"expiresAt\":null}],\"cursor\":null}"},
        JsRow{"errors are Errors whose message starts with the code",
              "try { await get('k', { scope: 'user' }); return 'resolved'; }\n"
              "catch (e) { return [e instanceof Error, e.code, e.message.startsWith(e.code + ': kv.get')].join(); }",
              "true,INVALID_ARGUMENT,true"}),
    name_of);

// ---- permissions -----------------------------------------------------------------------------------

struct PermissionRow {
  std::string name;
  KvPermissions permissions;
  std::optional<std::string> visitor;  // the request's signed-in user
  std::string body;
  std::string expected;
};
void PrintTo(const PermissionRow& row, std::ostream* os) { *os << row.name; }

class KvJsPermissions : public KvJsFixture, public ::testing::WithParamInterface<PermissionRow> {};

TEST_P(KvJsPermissions, Answers) {
  const PermissionRow& row = GetParam();
  EXPECT_EQ(run(row.body, row.permissions, request_from_visitor(row.visitor)), row.expected);
}

KvPermissions permissions(Access self, Access visitor, std::vector<std::pair<std::string, Access>> subjects = {}) {
  return KvPermissions{self, visitor, std::move(subjects)};
}

// Every operation on user_id `user`, in the order get, list, put, delete, take.
std::string all_operations(const std::string& user) {
  return "const u = " + user + ";\n"
         "return (await Promise.all([kv.get({ user_id: u, key: 'k' }), kv.list({ user_id: u }),\n"
         "  kv.put({ user_id: u, key: 'k', value: 1 }), kv.delete({ user_id: u, key: 'k' }),\n"
         "  kv.take({ user_id: u, key: 'k' })].map(outcome))).join(', ');";
}
const std::string kAllAllowed = "resolved, resolved, resolved, resolved, resolved";
const std::string kReadOnly = "resolved, resolved, threw PERMISSION_DENIED, threw PERMISSION_DENIED, threw PERMISSION_DENIED";
const std::string kNothing = "threw PERMISSION_DENIED, threw PERMISSION_DENIED, threw PERMISSION_DENIED, "
                             "threw PERMISSION_DENIED, threw PERMISSION_DENIED";

INSTANTIATE_TEST_SUITE_P(
    Table, KvJsPermissions,
    ::testing::Values(
        PermissionRow{"self rw", permissions(kRw, Access::kNone), std::nullopt, all_operations("self"), kAllAllowed},
        PermissionRow{"self r", permissions(kR, Access::kNone), std::nullopt, all_operations("self"), kReadOnly},
        PermissionRow{"self none (the default)", KvPermissions{}, std::nullopt, all_operations("self"), kNothing},
        PermissionRow{"visitor rw, signed in", permissions(Access::kNone, kRw), "visitor-1", all_operations("'visitor-1'"),
                      kAllAllowed},
        PermissionRow{"visitor r, signed in", permissions(Access::kNone, kR), "visitor-1", all_operations("'visitor-1'"),
                      kReadOnly},
        PermissionRow{"visitor rw, keyed by ctx.auth.userId", permissions(Access::kNone, kRw), "visitor-1",
                      all_operations("ctx.auth.userId"), kAllAllowed},
        PermissionRow{"ctx.auth names the signed-in visitor", permissions(Access::kNone, kRw), "visitor-1",
                      "return ctx.auth.userId + ' ' + ctx.auth.user_id;", "visitor-1 visitor-1"},
        PermissionRow{"ctx.auth.userId is null on an anonymous request", permissions(Access::kNone, kRw), std::nullopt,
                      "return String(ctx.auth.userId) + ' ' + String(ctx.auth.user_id);", "null null"},
        PermissionRow{"visitor rw, another visitor's id", permissions(Access::kNone, kRw), "visitor-1",
                      all_operations("'visitor-2'"), kNothing},
        PermissionRow{"visitor rw, anonymous request", permissions(Access::kNone, kRw), std::nullopt,
                      all_operations("'visitor-1'"), kNothing},
        PermissionRow{"subject pattern rw", permissions(Access::kNone, Access::kNone, {{"google:*", kRw}}), std::nullopt,
                      all_operations("'google:1'"), kAllAllowed},
        PermissionRow{"subject pattern r", permissions(Access::kNone, Access::kNone, {{"google:*", kR}}), std::nullopt,
                      all_operations("'google:1'"), kReadOnly},
        PermissionRow{"outside the subject pattern", permissions(kRw, kRw, {{"google:*", kRw}}), "visitor-1",
                      all_operations("'github:1'"), kNothing},
        PermissionRow{"empty id after the pattern's prefix", permissions(kRw, kRw, {{"google:*", kRw}}), "visitor-1",
                      all_operations("'google:'"), kNothing},
        PermissionRow{"self rw does not reach another agent's id", permissions(kRw, Access::kNone), std::nullopt,
                      all_operations("'11111111-2222-4333-8444-555555555556'"), kNothing},
        PermissionRow{"denial message does not echo the user_id", permissions(kRw, kRw, {{"google:*", kRw}}), "visitor-1",
                      "try { await kv.get({ user_id: 'github:secret-id', key: 'k' }); return 'resolved'; }\n"
                      "catch (e) { return e.code + ' ' + e.message.includes('github:secret-id'); }",
                      "PERMISSION_DENIED false"},
        PermissionRow{"denial message names the class and the missing permission", permissions(kR, Access::kNone),
                      std::nullopt,
                      "try { await kv.put({ user_id: self, key: 'k', value: 1 }); return 'resolved'; }\n"
                      "catch (e) { return e.message; }",
                      "PERMISSION_DENIED: kv.put needs \"rw\" on this user_id; it is self (\"r\") in this function's "
                      "permissions.kv"}),
    name_of);

// ---- across requests and agents ------------------------------------------------------------------------

using KvJsRequests = KvJsFixture;

TEST_F(KvJsRequests, ValuesOutliveTheRequestThatStoredThem) {
  auto agent = kv_agent("if (ctx.request.method === 'POST') { await put('k', 'stored'); return 'put'; }\n"
                        "return show(await get('k'));",
                        self_rw());
  HandlerRequest post = SandboxHarness::default_request();
  post.method = "POST";
  ASSERT_EQ(body_of(harness_->run(agent, post)), "put");
  EXPECT_EQ(body_of(harness_->run(agent)), "\"stored\"");
}

TEST_F(KvJsRequests, ExpiredValueReadsAsNullInALaterRequest) {
  auto agent = kv_agent("if (ctx.request.method === 'POST') { await put('k', 'v', { ttlSeconds: 60 }); return 'put'; }\n"
                        "return show(await get('k'));",
                        self_rw());
  HandlerRequest post = SandboxHarness::default_request();
  post.method = "POST";
  ASSERT_EQ(body_of(harness_->run(agent, post)), "put");
  clock_.advance_ms(59'999);
  ASSERT_EQ(body_of(harness_->run(agent)), "\"v\"");
  clock_.advance_ms(1);
  EXPECT_EQ(body_of(harness_->run(agent)), "null");
}

TEST_F(KvJsRequests, KvKeptPastItsResponseRejectsWithInvalidState) {
  auto agent = kv_agent("if (ctx.request.method === 'POST') { globalThis.keptKv = ctx.kv; return 'kept'; }\n"
                        "return outcome(globalThis.keptKv.get({ user_id: self, key: 'k' }));",
                        self_rw());
  HandlerRequest post = SandboxHarness::default_request();
  post.method = "POST";
  ASSERT_EQ(body_of(harness_->run(agent, post)), "kept");
  EXPECT_EQ(body_of(harness_->run(agent)), "threw INVALID_STATE");
}

TEST_F(KvJsRequests, RequestsInterleaveWhileOneAwaitsAWrite) {
  // POST awaits writes, which complete through the event loop; GET never waits for storage.
  auto agent = kv_agent("if (ctx.request.method === 'POST') {\n"
                        "  for (let i = 0; i < 5; ++i) await put('k' + i, i);\n"
                        "  return 'wrote ' + (await list({ limit: 10 })).items.length;\n"
                        "}\n"
                        "return 'read ' + show(await get('k4'));",
                        self_rw());
  HandlerRequest post = SandboxHarness::default_request();
  post.method = "POST";
  std::optional<InvokeOutcome> writer, reader;
  {
    WriterGate gate(store_.kv());  // the POST's first write cannot commit until the gate opens
    harness_->pool().invoke(agent, 0, post, [&](InvokeOutcome outcome) { writer = std::move(outcome); });
    harness_->pool().invoke(agent, 0, SandboxHarness::default_request(),
                            [&](InvokeOutcome outcome) { reader = std::move(outcome); });
    EXPECT_FALSE(writer.has_value());
    ASSERT_TRUE(reader.has_value());
    EXPECT_EQ(body_of(*reader), "read null");
  }
  harness_->loop().run_until([&] { return writer.has_value(); }, std::chrono::seconds(10));
  ASSERT_TRUE(writer.has_value());
  EXPECT_EQ(body_of(*writer), "wrote 5");
}

TEST_F(KvJsRequests, UnawaitedPutStillCommits) {
  auto agent = kv_agent("if (ctx.request.method === 'POST') { put('k', 'not awaited'); return 'returned'; }\n"
                        "await put('later', 1);  // committed after the earlier put: writes commit in order\n"
                        "return show(await get('k'));",
                        self_rw());
  HandlerRequest post = SandboxHarness::default_request();
  post.method = "POST";
  ASSERT_EQ(body_of(harness_->run(agent, post)), "returned");
  EXPECT_EQ(body_of(harness_->run(agent)), "\"not awaited\"");
}

TEST_F(KvJsRequests, AgentsWithDifferentIdsDoNotSeeEachOthersValues) {
  const std::string other_id = "99999999-8888-4777-8666-555555555555";
  KvPermissions shared = permissions(Access::kNone, Access::kNone, {{"shared-user", kRw}});
  const std::string body = "const before = await kv.get({ user_id: 'shared-user', key: 'k' });\n"
                           "await kv.put({ user_id: 'shared-user', key: 'k', value: ctx.metadata.agentId });\n"
                           "const listed = (await kv.list({ user_id: 'shared-user' })).items.length;\n"
                           "return show(before) + ' ' + listed;";
  auto first = kv_agent(body, shared);
  auto second = kv_agent(body, shared, other_id);
  ASSERT_EQ(body_of(harness_->run(first)), "null 1");
  EXPECT_EQ(body_of(harness_->run(second)), "null 1");
  EXPECT_EQ(body_of(harness_->run(first)), "\"" + std::string(kTestAgentId) + "\" 1");
}

TEST_F(KvJsRequests, WritesAfterTheStoreClosedRejectWithKvUnavailable) {
  store_.kv().close();
  EXPECT_EQ(run("return [await outcome(put('k', 1)), await outcome(del('k')), await outcome(take('k'))].join(', ');"),
            "threw KV_UNAVAILABLE, threw KV_UNAVAILABLE, threw KV_UNAVAILABLE");
}

// ---- no storage configured -------------------------------------------------------------------------

TEST(KvJsWithoutStore, EveryOperationRejectsWithKvUnavailable) {
  SandboxHarness harness(small_kv_limits());
  EXPECT_EQ(body_of(harness.run(kv_agent(all_operations("self"), self_rw()))),
            "threw KV_UNAVAILABLE, threw KV_UNAVAILABLE, threw KV_UNAVAILABLE, threw KV_UNAVAILABLE, threw KV_UNAVAILABLE");
}

}  // namespace
}  // namespace agentgate::testing
