// The handler contract (issue 2): what a handler receives in ctx, and how what it returns becomes a
// response or a handler error. Runs real handler modules in an isolate pool in-process.
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "tests/support/sandbox_harness.h"
#include "tests/unit/outcome_text.h"

namespace agentgate::testing {
namespace {

constexpr char kAgentId[] = "11111111-2222-4333-8444-555555555555";

// A request as the dispatcher hands it over: lower-case names in arrival order, repeats included.
HandlerRequest contract_request() {
  HandlerRequest request;
  request.request_id = "req-42";
  request.method = "POST";
  request.origin = "https://agents.example.com";
  request.url = std::string("https://agents.example.com/agents/") + kAgentId + "/webapp/x?y=1&z=%2F";
  request.headers = {{"host", "agents.example.com"}, {"content-type", "text/plain; charset=utf-8"},
                     {"x-dup", "a"},                 {"accept", "text/html"},
                     {"x-dup", "b"},                 {"cookie", "a=1"},
                     {"cookie", "b=2"},              {"__proto__", "not a prototype"}};
  request.body = "h\xc3\xa9llo";
  return request;
}

// Evaluates `expression` (with `ctx` in scope) inside an async handler; String(result) or the error.
std::string eval_with_ctx(SandboxHarness& harness, const std::string& expression, HandlerRequest request) {
  auto outcome = harness.run_source(
      "export default async function (ctx) {\n"
      "  try { return { body: String(await (async () => (" + expression + "))()) }; }\n"
      "  catch (e) { return { body: 'threw ' + e.name + ': ' + e.message }; }\n"
      "}\n",
      std::move(request));
  if (outcome.status != InvokeStatus::kOk) return status_name(outcome.status) + ": " + outcome.detail;
  return outcome.response.body;
}

// One harness per test suite, like one worker's pool serving many requests.
template <class Row>
class SandboxTable : public ::testing::TestWithParam<Row> {
 protected:
  static void SetUpTestSuite() { harness_ = std::make_unique<SandboxHarness>(); }
  static void TearDownTestSuite() { harness_.reset(); }
  static SandboxHarness& harness() { return *harness_; }

 private:
  static inline std::unique_ptr<SandboxHarness> harness_;
};

// ---- ctx ------------------------------------------------------------------------------------------

struct CtxRow {
  std::string name;
  std::string expression;
  std::string expected;
  std::string body = "h\xc3\xa9llo";
};
void PrintTo(const CtxRow& row, std::ostream* os) { *os << row.name; }

class HandlerContext : public SandboxTable<CtxRow> {};

TEST_P(HandlerContext, Exposes) {
  HandlerRequest request = contract_request();
  request.body = GetParam().body;
  EXPECT_EQ(escaped(eval_with_ctx(harness(), GetParam().expression, std::move(request))), escaped(GetParam().expected));
}

const std::string kBasePath = std::string("/agents/") + kAgentId;

INSTANTIATE_TEST_SUITE_P(
    Table, HandlerContext,
    ::testing::Values(
        CtxRow{"request.url absolute as the visitor sees it", "ctx.request.url",
               std::string("https://agents.example.com/agents/") + kAgentId + "/webapp/x?y=1&z=%2F"},
        CtxRow{"request.url parses with URL", "new URL(ctx.request.url).searchParams.get('z')", "/"},
        CtxRow{"request.method", "ctx.request.method", "POST"},
        CtxRow{"headers by lower-case name", "ctx.request.headers['content-type']", "text/plain; charset=utf-8"},
        CtxRow{"headers have no upper-case aliases", "String(ctx.request.headers['Content-Type'])", "undefined"},
        CtxRow{"each header name once, in arrival order", "Object.keys(ctx.request.headers).join()",
               "host,content-type,x-dup,accept,cookie,__proto__"},
        CtxRow{"repeated header combined with comma", "ctx.request.headers['x-dup']", "a, b"},
        CtxRow{"repeated cookie header joined with semicolon", "ctx.request.headers.cookie", "a=1; b=2"},
        CtxRow{"header named __proto__ is plain data",
               "ctx.request.headers['__proto__'] + ' ' + (Object.getPrototypeOf(ctx.request.headers) === Object.prototype)",
               "not a prototype true"},
        CtxRow{"body as a string", "ctx.request.body", "h\xc3\xa9llo"},
        CtxRow{"bodyBytes is a Uint8Array", "ctx.request.bodyBytes instanceof Uint8Array", "true"},
        CtxRow{"bodyBytes holds the UTF-8 bytes", "Array.from(ctx.request.bodyBytes).join()", "104,195,169,108,108,111"},
        CtxRow{"bodyBytes keeps invalid UTF-8 and NUL", "Array.from(ctx.request.bodyBytes).join()", "255,254,0,65",
               std::string("\xff\xfe\0A", 4)},
        CtxRow{"body string replaces invalid UTF-8",
               "[...ctx.request.body].map((c) => c.codePointAt(0).toString(16)).join()", "fffd,fffd,0,41",
               std::string("\xff\xfe\0A", 4)},
        CtxRow{"bodyBytes still readable after an await",
               "(async () => { await new Promise((r) => setTimeout(r, 1)); return Array.from(ctx.request.bodyBytes).join(); })()",
               "104,195,169,108,108,111"},
        CtxRow{"empty body", "JSON.stringify(ctx.request.body) + ' ' + ctx.request.bodyBytes.length", "\"\" 0", ""},
        CtxRow{"auth.agentId is the canonical UUID", "ctx.auth.agentId", kAgentId},
        CtxRow{"auth.userId is null before platform login", "String(ctx.auth.userId === null)", "true"},
        CtxRow{"auth.user_id is null too", "String(ctx.auth.user_id === null)", "true"},
        CtxRow{"metadata.agentId", "ctx.metadata.agentId", kAgentId},
        CtxRow{"metadata.agentSlug", "ctx.metadata.agentSlug", "test-agent"},
        CtxRow{"metadata.functionName", "ctx.metadata.functionName", "main"},
        CtxRow{"metadata.requestId", "ctx.metadata.requestId", "req-42"},
        CtxRow{"metadata.origin", "ctx.metadata.origin", "https://agents.example.com"},
        CtxRow{"metadata.basePath", "ctx.metadata.basePath", kBasePath}),
    [](const auto& info) { return row_name(info.param.name); });

// ---- return values ---------------------------------------------------------------------------------

struct ReturnRow {
  std::string name;
  std::string module;    // the whole handler module
  std::string expected;  // response_text(outcome)
};
void PrintTo(const ReturnRow& row, std::ostream* os) { *os << row.name; }

std::string returning(const std::string& value) {
  return "export default async function (ctx) { return " + value + "; }\n";
}

class HandlerReturn : public SandboxTable<ReturnRow> {};

TEST_P(HandlerReturn, BecomesResponse) {
  EXPECT_EQ(response_text(harness().run_source(GetParam().module)), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Valid, HandlerReturn,
    ::testing::Values(
        ReturnRow{"status defaults to 200", returning("{ body: 'hi' }"), "200 [] hi"},
        ReturnRow{"empty object", returning("{}"), "200 [] "},
        ReturnRow{"explicit status", returning("{ status: 201, body: 'made' }"), "201 [] made"},
        ReturnRow{"status 599", returning("{ status: 599 }"), "599 [] "},
        ReturnRow{"status 200.0 is an integer", returning("{ status: 200.0 }"), "200 [] "},
        ReturnRow{"the issue's example",
                  returning("{ status: 200, headers: { 'content-type': 'text/html' }, body: '<h1>hi</h1>' }"),
                  "200 [content-type=text/html] <h1>hi</h1>"},
        ReturnRow{"header names lower-cased", returning("{ headers: { 'X-Custom': 'v' } }"), "200 [x-custom=v] "},
        ReturnRow{"header value array gives repeated headers", returning("{ headers: { 'x-multi': ['a', 'b'] } }"),
                  "200 [x-multi=a][x-multi=b] "},
        ReturnRow{"set-cookie array gives two headers",
                  returning("{ headers: { 'set-cookie': ['a=1; Path=/; HttpOnly', 'b=2; Path=/'] } }"),
                  "200 [set-cookie=a=1; Path=/; HttpOnly][set-cookie=b=2; Path=/] "},
        ReturnRow{"header value with a tab", returning("{ headers: { 'x-t': 'a\\tb' } }"), "200 [x-t=a\\x09b] "},
        ReturnRow{"null headers", returning("{ headers: null, body: 'x' }"), "200 [] x"},
        ReturnRow{"string body as UTF-8", returning("{ body: '\\u00e9' }"), "200 [] \\xc3\\xa9"},
        ReturnRow{"Uint8Array body with raw bytes", returning("{ body: new Uint8Array([0, 255, 65]) }"), "200 [] \\x00\\xffA"},
        ReturnRow{"Uint8Array view body sends only the view",
                  returning("{ body: new Uint8Array([1, 66, 67, 4]).subarray(1, 3) }"), "200 [] BC"},
        ReturnRow{"ArrayBuffer body", returning("{ body: new Uint8Array([104, 105]).buffer }"), "200 [] hi"},
        ReturnRow{"plain object body sent as JSON", returning("{ body: { a: 1, b: [true, null] } }"),
                  "200 [content-type=application/json] {\"a\":1,\"b\":[true,null]}"},
        ReturnRow{"array body sent as JSON", returning("{ body: [1, 'x'] }"), "200 [content-type=application/json] [1,\"x\"]"},
        ReturnRow{"null-prototype object body sent as JSON",
                  returning("{ body: Object.assign(Object.create(null), { k: 'v' }) }"),
                  "200 [content-type=application/json] {\"k\":\"v\"}"},
        ReturnRow{"JSON body keeps the handler's content-type",
                  returning("{ headers: { 'Content-Type': 'application/vnd.api+json' }, body: { a: 1 } }"),
                  "200 [content-type=application/vnd.api+json] {\"a\":1}"},
        ReturnRow{"null body is empty", returning("{ status: 204, body: null }"), "204 [] "},
        ReturnRow{"sync handler", "export default function (ctx) { return { body: 'sync' }; }\n", "200 [] sync"},
        ReturnRow{"sync handler returning a promise", "export default function (ctx) { return Promise.resolve({ body: 'p' }); }\n",
                  "200 [] p"},
        ReturnRow{"arrow function handler", "export default (ctx) => ({ body: 'arrow' });\n", "200 [] arrow"},
        ReturnRow{"result after awaiting a timer",
                  "export default async function () { await new Promise((r) => setTimeout(r, 5)); return { body: 'later' }; }\n",
                  "200 [] later"},
        // The server subscribes to a pending handler with the `then` it took at start-up.
        ReturnRow{"result after awaiting, with Promise.prototype.then replaced",
                  "Promise.prototype.then = function () { throw new Error('hijacked'); };\n"
                  "Reflect.apply = () => { throw new Error('hijacked'); };\n"
                  "export default async function () { await new Promise((r) => setTimeout(r, 2)); return { body: 'kept' }; }\n",
                  "200 [] kept"},
        ReturnRow{"hop-by-hop headers dropped",
                  returning("{ headers: { 'content-length': '999', 'Transfer-Encoding': 'chunked', connection: 'close',"
                            " 'keep-alive': 'timeout=5', upgrade: 'websocket', 'x-ok': '1' }, body: 'x' }"),
                  "200 [x-ok=1] x"}),
    [](const auto& info) { return row_name(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Malformed, HandlerReturn,
    ::testing::Values(
        ReturnRow{"null", returning("null"), "kHandlerError"},
        ReturnRow{"nothing", "export default async function () {}\n", "kHandlerError"},
        ReturnRow{"a number", returning("42"), "kHandlerError"},
        ReturnRow{"a string", returning("'hello'"), "kHandlerError"},
        ReturnRow{"an array", returning("[200, {}, 'x']"), "kHandlerError"},
        ReturnRow{"a function", returning("() => ({})"), "kHandlerError"},
        ReturnRow{"status 99", returning("{ status: 99 }"), "kInvalidResponse"},
        ReturnRow{"status 600", returning("{ status: 600 }"), "kInvalidResponse"},
        ReturnRow{"status 1.5", returning("{ status: 1.5 }"), "kInvalidResponse"},
        ReturnRow{"status 200.5", returning("{ status: 200.5 }"), "kInvalidResponse"},
        ReturnRow{"status NaN", returning("{ status: NaN }"), "kInvalidResponse"},
        ReturnRow{"status as a string", returning("{ status: '200' }"), "kInvalidResponse"},
        ReturnRow{"status null", returning("{ status: null }"), "kInvalidResponse"},
        ReturnRow{"header value with CRLF", returning("{ headers: { 'x-a': 'v\\r\\nx-injected: 1' } }"), "kInvalidResponse"},
        ReturnRow{"header value with LF", returning("{ headers: { 'x-a': 'v\\nw' } }"), "kInvalidResponse"},
        ReturnRow{"header value with NUL", returning("{ headers: { 'x-a': 'v\\u0000w' } }"), "kInvalidResponse"},
        // Left to the cookie rules, which refuse it as INVALID_SET_COOKIE (integration/policy_test.cc).
        ReturnRow{"set-cookie array item with CRLF", returning("{ headers: { 'set-cookie': ['a=1', 'b=2\\r\\nx: y'] } }"),
                  "200 [set-cookie=a=1][set-cookie=b=2\\x0d\\x0ax: y] "},
        ReturnRow{"header name with a space", returning("{ headers: { 'bad name': 'v' } }"), "kInvalidResponse"},
        ReturnRow{"header name with a colon", returning("{ headers: { 'x:y': 'v' } }"), "kInvalidResponse"},
        ReturnRow{"header name empty", returning("{ headers: { '': 'v' } }"), "kInvalidResponse"},
        ReturnRow{"header name non-ASCII", returning("{ headers: { 'x-\\u00e9': 'v' } }"), "kInvalidResponse"},
        ReturnRow{"header name with CRLF", returning("{ headers: { 'x\\r\\ny': 'v' } }"), "kInvalidResponse"},
        ReturnRow{"header value a number", returning("{ headers: { 'x-n': 5 } }"), "kHandlerError"},
        ReturnRow{"header array with a number", returning("{ headers: { 'x-n': ['a', 5] } }"), "kHandlerError"},
        ReturnRow{"headers an array", returning("{ headers: [['x-a', 'v']] }"), "kHandlerError"},
        ReturnRow{"body a number", returning("{ body: 5 }"), "kHandlerError"},
        ReturnRow{"body a boolean", returning("{ body: true }"), "kHandlerError"},
        ReturnRow{"body a function", returning("{ body: () => 'x' }"), "kHandlerError"},
        ReturnRow{"body a symbol", returning("{ body: Symbol('x') }"), "kHandlerError"},
        ReturnRow{"body a promise", returning("{ body: Promise.resolve('x') }"), "kHandlerError"},
        ReturnRow{"body a Map", returning("{ body: new Map([['a', 1]]) }"), "kHandlerError"},
        ReturnRow{"body a class instance", "class Page { constructor() { this.a = 1; } }\n" + returning("{ body: new Page() }"),
                  "kHandlerError"},
        ReturnRow{"body JSON with a BigInt", returning("{ body: { n: 1n } }"), "kHandlerError"},
        ReturnRow{"status getter throws", returning("{ get status() { throw new Error('getter'); } }"), "kHandlerError"}),
    [](const auto& info) { return row_name(info.param.name); });

// ---- errors ----------------------------------------------------------------------------------------

struct ErrorRow {
  std::string name;
  std::string module;
  std::string detail_mentions;
  std::string status = "kHandlerError";  // kInvalidResponse: refused by policy (502)
};
void PrintTo(const ErrorRow& row, std::ostream* os) { *os << row.name; }

class HandlerFailure : public SandboxTable<ErrorRow> {};

TEST_P(HandlerFailure, FailsWithDetail) {
  auto outcome = harness().run_source(GetParam().module);
  std::string verdict = status_name(outcome.status);
  if (outcome.detail.find(GetParam().detail_mentions) == std::string::npos) verdict += " without the message: " + outcome.detail;
  EXPECT_EQ(verdict, GetParam().status);
}

INSTANTIATE_TEST_SUITE_P(
    Table, HandlerFailure,
    ::testing::Values(
        ErrorRow{"sync handler throws", "export default function () { throw new Error('boom-sync'); }\n", "boom-sync"},
        ErrorRow{"async handler throws", "export default async function () { throw new TypeError('boom-async'); }\n",
                 "boom-async"},
        ErrorRow{"rejects after awaiting a timer",
                 "export default async function () { await new Promise((r) => setTimeout(r, 2)); throw new Error('boom-late'); }\n",
                 "boom-late"},
        ErrorRow{"rejects after awaiting, with Promise.prototype.then replaced",
                 "Promise.prototype.then = function () { throw new Error('hijacked'); };\n"
                 "export default async function () { await new Promise((r) => setTimeout(r, 2)); throw new Error('boom-kept'); }\n",
                 "boom-kept"},
        ErrorRow{"a promise whose species getter throws fails at once",
                 "Object.defineProperty(Promise, Symbol.species, { get() { throw new Error('no-species'); } });\n"
                 "export default async function () { await new Promise((r) => setTimeout(r, 2)); return { body: 'x' }; }\n",
                 "no-species"},
        ErrorRow{"rejects with a string", "export default function () { return Promise.reject('plain reason'); }\n",
                 "plain reason"},
        ErrorRow{"throws a non-Error value", "export default function () { throw 'thrown string'; }\n", "thrown string"},
        ErrorRow{"malformed status is explained", returning("{ status: 600 }"), "status", "kInvalidResponse"},
        ErrorRow{"bad header name is explained", returning("{ headers: { 'bad name': 'v' } }"), "bad name",
                 "kInvalidResponse"}),
    [](const auto& info) { return row_name(info.param.name); });

TEST(HandlerContract, AgentServesAfterHandlerError) {
  SandboxHarness harness;
  auto agent = single_function_agent(
      "export default async function (ctx) { if (ctx.request.method === 'POST') throw new Error('x'); return { body: 'ok' }; }\n");
  HandlerRequest failing = SandboxHarness::default_request();
  failing.method = "POST";
  ASSERT_EQ(status_name(harness.run(agent, failing).status), "kHandlerError");
  EXPECT_EQ(response_text(harness.run(agent)), "200 [] ok");
}

}  // namespace
}  // namespace agentgate::testing
