// The Web APIs an agent's handler sees (sandbox/js/prelude.js, sandbox/globals.cc, the bundled
// whatwg-url), evaluated inside a real isolate. Expected values follow the WHATWG standards and what
// browsers, Node and Deno return.
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "tests/support/sandbox_harness.h"
#include "tests/unit/outcome_text.h"

namespace agentgate::testing {
namespace {

// The JS expression's exception name ("threw TypeError"), or "returned" when it does not throw.
std::string threw(const std::string& expression) {
  return "(() => { try { (" + expression + "); return 'returned'; } catch (e) { return 'threw ' + e.name; } })()";
}

struct JsRow {
  std::string name;
  std::string expression;  // evaluated inside an async handler; String(result) is compared
  std::string expected;
};
void PrintTo(const JsRow& row, std::ostream* os) { *os << row.name; }

class JsGlobals : public ::testing::TestWithParam<JsRow> {
 protected:
  // These rows check what exists, not the limits (sandbox_limits_test does), so a loaded machine
  // must not turn them into timing tests: a generous CPU budget.
  static void SetUpTestSuite() {
    SandboxLimits limits;
    limits.cpu_time = std::chrono::seconds(2);
    harness_ = std::make_unique<SandboxHarness>(limits);
  }
  static void TearDownTestSuite() { harness_.reset(); }
  static std::unique_ptr<SandboxHarness> harness_;
};
std::unique_ptr<SandboxHarness> JsGlobals::harness_;

TEST_P(JsGlobals, Evaluates) { EXPECT_EQ(harness_->eval(GetParam().expression), GetParam().expected); }

auto name_of = [](const auto& info) { return row_name(info.param.name); };

// A Google OAuth redirect as it reaches an agent.
const std::string kOAuthCallback =
    "new URL('https://agents.example.com/agents/8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21/oauth/callback"
    "?state=eyJyIjoiL2FwcCJ9%3D&code=4%2F0AfJohXn-abc_DEF&scope=email%20profile%20https%3A%2F%2Fwww.googleapis.com"
    "%2Fauth%2Fuserinfo.email%20openid&authuser=0&prompt=consent')";

INSTANTIATE_TEST_SUITE_P(
    Url, JsGlobals,
    ::testing::Values(
        JsRow{"OAuth callback code", kOAuthCallback + ".searchParams.get('code')", "4/0AfJohXn-abc_DEF"},
        JsRow{"OAuth callback scope", kOAuthCallback + ".searchParams.get('scope')",
              "email profile https://www.googleapis.com/auth/userinfo.email openid"},
        JsRow{"OAuth callback state", kOAuthCallback + ".searchParams.get('state')", "eyJyIjoiL2FwcCJ9="},
        JsRow{"OAuth callback pathname", kOAuthCallback + ".pathname",
              "/agents/8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21/oauth/callback"},
        JsRow{"OAuth callback origin", kOAuthCallback + ".origin", "https://agents.example.com"},
        JsRow{"OAuth error with plus-encoded description",
              "new URL('https://a.example/cb?error=access_denied&error_description=The+user+denied+access.')"
              ".searchParams.get('error_description')",
              "The user denied access."},
        JsRow{"implicit-flow token in the fragment",
              "new URLSearchParams(new URL('https://a.example/cb#access_token=ya29.a0&token_type=Bearer').hash.slice(1))"
              ".get('access_token')",
              "ya29.a0"},
        JsRow{"host keeps a non-default port", "new URL('http://localhost:8080/cb?code=x').host", "localhost:8080"},
        JsRow{"default port dropped", "new URL('https://a.example:443/x').href", "https://a.example/x"},
        JsRow{"scheme and host lower-cased, dot segments resolved", "new URL('HTTPS://A.Example/a/./b/../c').href",
              "https://a.example/a/c"},
        JsRow{"IDN host to punycode", "new URL('https://b\\u00fccher.example/').hostname", "xn--bcher-kva.example"},
        JsRow{"space in the path percent-encoded", "new URL('https://a.example/a b').pathname", "/a%20b"},
        JsRow{"IPv6 host", "new URL('http://[::1]:8080/').hostname", "[::1]"},
        JsRow{"IPv4 shorthand normalised", "new URL('http://0x7f.1/').hostname", "127.0.0.1"},
        JsRow{"relative with dot-dot", "new URL('../b?x=1#f', 'https://a.example/p/q/r').href", "https://a.example/p/b?x=1#f"},
        JsRow{"relative absolute path", "new URL('/cb', 'https://a.example/agents/x/y').href", "https://a.example/cb"},
        JsRow{"relative scheme-relative", "new URL('//other.example/x', 'https://a.example/').href", "https://other.example/x"},
        JsRow{"relative query only", "new URL('?q=1', 'https://a.example/p?old').href", "https://a.example/p?q=1"},
        JsRow{"base given as a URL object", "new URL('x', new URL('https://a.example/dir/')).href", "https://a.example/dir/x"},
        JsRow{"searchParams edits update href",
              "(() => { const u = new URL('https://a.example/?a=1'); u.searchParams.append('b', 'x y'); return u.href; })()",
              "https://a.example/?a=1&b=x+y"},
        JsRow{"JSON form is href", "JSON.stringify({ u: new URL('https://a.example') })", "{\"u\":\"https://a.example/\"}"},
        JsRow{"invalid URL throws TypeError", threw("new URL('not a url')"), "threw TypeError"},
        JsRow{"relative without base throws TypeError", threw("new URL('/cb')"), "threw TypeError"},
        JsRow{"space in host throws TypeError", threw("new URL('https://exa mple.com/')"), "threw TypeError"},
        JsRow{"unclosed IPv6 throws TypeError", threw("new URL('http://[::1/')"), "threw TypeError"},
        JsRow{"port out of range throws TypeError", threw("new URL('http://a.example:65536/')"), "threw TypeError"}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    UrlSearchParams, JsGlobals,
    ::testing::Values(
        JsRow{"form encoding of space and reserved characters", "new URLSearchParams({ a: '1 2', b: '&=?/' }).toString()",
              "a=1+2&b=%26%3D%3F%2F"},
        JsRow{"form encoding of UTF-8", "new URLSearchParams({ q: '\\u00e9\\u20ac' }).toString()", "q=%C3%A9%E2%82%AC"},
        JsRow{"form encoding leaves only *-._ unescaped", "new URLSearchParams({ k: \"*-._~!'()\" }).toString()",
              "k=*-._%7E%21%27%28%29"},
        JsRow{"plus decodes to space", "new URLSearchParams('a=1+2').get('a')", "1 2"},
        JsRow{"%20 decodes to space", "new URLSearchParams('a=%201%202').get('a')", " 1 2"},
        JsRow{"%2B decodes to plus", "new URLSearchParams('a=1%2B2').get('a')", "1+2"},
        JsRow{"UTF-8 escapes decode", "new URLSearchParams('n=Jos%C3%A9').get('n')", "Jos\u00e9"},
        JsRow{"invalid escape kept as is", "new URLSearchParams('a=%zz').get('a')", "%zz"},
        JsRow{"leading question mark ignored", "new URLSearchParams('?x=1').get('x')", "1"},
        JsRow{"form body field", "new URLSearchParams('name=Ada+Lovelace&email=ada%40example.com').get('email')",
              "ada@example.com"},
        JsRow{"repeated keys", "new URLSearchParams('t=1&t=2').getAll('t').join()", "1,2"},
        JsRow{"missing key is null", "String(new URLSearchParams('a=1').get('b'))", "null"},
        JsRow{"from pairs", "new URLSearchParams([['a', '1'], ['a', '2']]).toString()", "a=1&a=2"},
        JsRow{"stable sort by key",
              "(() => { const p = new URLSearchParams('b=2&a=1&b=1'); p.sort(); return p.toString(); })()", "a=1&b=2&b=1"},
        JsRow{"delete and has",
              "(() => { const p = new URLSearchParams('a=1&b=2&a=3'); p.delete('a'); return p.has('a') + ' ' + p; })()",
              "false b=2"},
        JsRow{"iteration order", "[...new URLSearchParams('z=1&a=2').keys()].join()", "z,a"}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    Base64, JsGlobals,
    ::testing::Values(
        JsRow{"btoa empty", "btoa('')", ""},
        JsRow{"btoa one byte", "btoa('f')", "Zg=="},
        JsRow{"btoa two bytes", "btoa('fo')", "Zm8="},
        JsRow{"btoa three bytes", "btoa('foo')", "Zm9v"},
        JsRow{"btoa six bytes", "btoa('foobar')", "Zm9vYmFy"},
        JsRow{"btoa high Latin1 and NUL", "btoa('\\u00ff\\u00fe\\u0000')", "//4A"},
        JsRow{"btoa Latin1 letter", "btoa('\\u00e9')", "6Q=="},
        JsRow{"btoa of a non-Latin1 character throws", threw("btoa('\\u20ac')"), "threw InvalidCharacterError"},
        JsRow{"btoa of an emoji throws", threw("btoa('a\\ud83d\\ude00')"), "threw InvalidCharacterError"},
        JsRow{"btoa without argument throws TypeError", threw("btoa()"), "threw TypeError"},
        JsRow{"atob", "atob('Zm9vYmFy')", "foobar"},
        JsRow{"atob with padding", "atob('Zg==')", "f"},
        JsRow{"atob without padding", "atob('Zg')", "f"},
        JsRow{"atob ignores ASCII whitespace", "atob(' Zm9v\\n YmFy\\t\\r')", "foobar"},
        JsRow{"atob ignores form feed", "atob('Zm9v\\fYmFy')", "foobar"},
        JsRow{"atob bytes above 127", "Array.from(atob('//4A'), (c) => c.charCodeAt(0)).join()", "255,254,0"},
        JsRow{"atob empty", "atob('')", ""},
        JsRow{"atob incomplete padding throws", threw("atob('Zg=')"), "threw InvalidCharacterError"},
        JsRow{"atob too much padding throws", threw("atob('Zg===')"), "threw InvalidCharacterError"},
        JsRow{"atob padding in the middle throws", threw("atob('Zm=9')"), "threw InvalidCharacterError"},
        JsRow{"atob padding after a full quantum throws", threw("atob('Zm9v=')"), "threw InvalidCharacterError"},
        JsRow{"atob single character throws", threw("atob('Z')"), "threw InvalidCharacterError"},
        JsRow{"atob character outside the alphabet throws", threw("atob('Zm9v!')"), "threw InvalidCharacterError"},
        JsRow{"atob base64url alphabet throws", threw("atob('Zm-_')"), "threw InvalidCharacterError"},
        JsRow{"atob non-ASCII whitespace throws", threw("atob('Zm9v\\u00a0')"), "threw InvalidCharacterError"},
        JsRow{"atob without argument throws TypeError", threw("atob()"), "threw TypeError"},
        JsRow{"round trip of every byte",
              "(() => { let s = ''; for (let i = 0; i < 256; i++) s += String.fromCharCode(i); return atob(btoa(s)) === s; })()",
              "true"}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    Encoding, JsGlobals,
    ::testing::Values(
        JsRow{"TextEncoder encoding", "new TextEncoder().encoding", "utf-8"},
        JsRow{"encode multi-byte", "new TextEncoder().encode('a\\u20ac\\ud83d\\ude00').join()", "97,226,130,172,240,159,152,128"},
        JsRow{"encode lone high surrogate as U+FFFD", "new TextEncoder().encode('\\ud800').join()", "239,191,189"},
        JsRow{"encode lone low surrogate between letters", "new TextEncoder().encode('a\\udc00b').join()", "97,239,191,189,98"},
        JsRow{"encode returns Uint8Array", "new TextEncoder().encode('x') instanceof Uint8Array", "true"},
        JsRow{"encode without argument is empty", "new TextEncoder().encode().length", "0"},
        JsRow{"encodeInto stops before a character that does not fit",
              "JSON.stringify(new TextEncoder().encodeInto('a\\u20ac', new Uint8Array(3)))", "{\"read\":1,\"written\":1}"},
        JsRow{"encodeInto counts UTF-16 code units read",
              "JSON.stringify(new TextEncoder().encodeInto('\\ud83d\\ude00', new Uint8Array(4)))", "{\"read\":2,\"written\":4}"},
        JsRow{"decode multi-byte",
              "new TextDecoder().decode(new Uint8Array([226, 130, 172, 240, 159, 152, 128])) === '\\u20ac\\ud83d\\ude00'", "true"},
        JsRow{"decode an ArrayBuffer", "new TextDecoder().decode(new Uint8Array([104, 105]).buffer)", "hi"},
        JsRow{"decode a subarray", "new TextDecoder().decode(new Uint8Array([97, 98, 99]).subarray(1))", "bc"},
        JsRow{"decode a DataView", "new TextDecoder().decode(new DataView(new Uint8Array([97, 98]).buffer, 1))", "b"},
        JsRow{"decode without argument is empty", "new TextDecoder().decode().length", "0"},
        JsRow{"invalid byte becomes U+FFFD",
              "[...new TextDecoder().decode(new Uint8Array([0x61, 0xff, 0x62]))].map((c) => c.codePointAt(0).toString(16)).join()",
              "61,fffd,62"},
        JsRow{"truncated sequence becomes one U+FFFD",
              "[...new TextDecoder().decode(new Uint8Array([0x61, 0xf0, 0x9f, 0x98, 0x62]))].map((c) => c.codePointAt(0).toString(16)).join()",
              "61,fffd,62"},
        JsRow{"encoded surrogate becomes three U+FFFD",
              "[...new TextDecoder().decode(new Uint8Array([0xed, 0xa0, 0x80]))].map((c) => c.codePointAt(0).toString(16)).join()",
              "fffd,fffd,fffd"},
        JsRow{"overlong encoding becomes U+FFFD per byte",
              "[...new TextDecoder().decode(new Uint8Array([0xc0, 0xaf]))].map((c) => c.codePointAt(0).toString(16)).join()",
              "fffd,fffd"},
        JsRow{"fatal mode throws TypeError on an invalid byte",
              threw("new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff]))"), "threw TypeError"},
        JsRow{"fatal mode throws TypeError on a truncated sequence",
              threw("new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xe2, 0x82]))"), "threw TypeError"},
        JsRow{"fatal mode throws TypeError on an encoded surrogate",
              threw("new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xed, 0xa0, 0x80]))"), "threw TypeError"},
        JsRow{"fatal mode decodes valid input",
              "new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xc3, 0xa9])) === '\\u00e9'", "true"},
        JsRow{"fatal attribute", "new TextDecoder('utf-8', { fatal: true }).fatal", "true"},
        JsRow{"BOM removed", "new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))", "a"},
        JsRow{"only the first BOM removed",
              "new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x61])).charCodeAt(0)", "65279"},
        JsRow{"BOM kept with ignoreBOM",
              "new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])).length", "2"},
        JsRow{"label in upper case", "new TextDecoder('UTF-8').encoding", "utf-8"},
        JsRow{"label alias with surrounding spaces", "new TextDecoder(' utf8 ').encoding", "utf-8"},
        JsRow{"unsupported label throws RangeError", threw("new TextDecoder('latin1')"), "threw RangeError"},
        JsRow{"UTF-16 label throws RangeError", threw("new TextDecoder('utf-16le')"), "threw RangeError"},
        JsRow{"decode of a string throws TypeError", threw("new TextDecoder().decode('abc')"), "threw TypeError"}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    Crypto, JsGlobals,
    ::testing::Values(
        JsRow{"randomUUID is a version 4 UUID",
              "/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID())", "true"},
        JsRow{"randomUUID differs per call", "crypto.randomUUID() !== crypto.randomUUID()", "true"},
        JsRow{"1000 randomUUIDs (across pool refills) are distinct version 4 UUIDs",
              "(() => { const seen = new Set(); for (let i = 0; i < 1000; i++) { const u = crypto.randomUUID();"
              " if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u)) return u; seen.add(u); }"
              " return seen.size; })()",
              "1000"},
        JsRow{"getRandomValues returns its argument",
              "(() => { const a = new Uint8Array(32); return crypto.getRandomValues(a) === a; })()", "true"},
        JsRow{"getRandomValues fills the array", "crypto.getRandomValues(new Uint8Array(64)).some((b) => b !== 0)", "true"},
        JsRow{"getRandomValues fills only the view",
              "(() => { const a = new Uint8Array(32); crypto.getRandomValues(a.subarray(16));"
              " return a.slice(0, 16).every((b) => b === 0) && a.slice(16).some((b) => b !== 0); })()",
              "true"},
        JsRow{"getRandomValues of 65536 bytes", "crypto.getRandomValues(new Uint8Array(65536)).length", "65536"},
        JsRow{"getRandomValues of a BigUint64Array", "crypto.getRandomValues(new BigUint64Array(2)).length", "2"},
        JsRow{"getRandomValues of 65537 bytes throws", threw("crypto.getRandomValues(new Uint8Array(65537))"),
              "threw QuotaExceededError"},
        JsRow{"getRandomValues over 65536 bytes of Uint32 throws", threw("crypto.getRandomValues(new Uint32Array(16385))"),
              "threw QuotaExceededError"},
        JsRow{"getRandomValues rejects Float32Array", threw("crypto.getRandomValues(new Float32Array(4))"),
              "threw TypeMismatchError"},
        JsRow{"getRandomValues rejects Float64Array", threw("crypto.getRandomValues(new Float64Array(4))"),
              "threw TypeMismatchError"},
        JsRow{"getRandomValues rejects DataView", threw("crypto.getRandomValues(new DataView(new ArrayBuffer(4)))"),
              "threw TypeMismatchError"},
        JsRow{"getRandomValues rejects a plain array", threw("crypto.getRandomValues([1, 2, 3])"), "threw TypeMismatchError"}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    StructuredClone, JsGlobals,
    ::testing::Values(
        JsRow{"Date round trip",
              "(() => { const d = new Date(1700000000000); const c = structuredClone(d);"
              " return (c instanceof Date) + ' ' + c.getTime() + ' ' + (c !== d); })()",
              "true 1700000000000 true"},
        JsRow{"Map round trip, values copied",
              "(() => { const m = new Map([['k', { n: 1 }]]); const c = structuredClone(m);"
              " return (c instanceof Map) + ' ' + c.get('k').n + ' ' + (c.get('k') !== m.get('k')); })()",
              "true 1 true"},
        JsRow{"Set round trip", "[...structuredClone(new Set([3, 1, 2]))].join()", "3,1,2"},
        JsRow{"Uint8Array round trip into a new buffer",
              "(() => { const a = new Uint8Array([1, 2, 255]); const c = structuredClone(a);"
              " return (c instanceof Uint8Array) + ' ' + c.join() + ' ' + (c.buffer !== a.buffer); })()",
              "true 1,2,255 true"},
        JsRow{"RegExp round trip", "structuredClone(/a+/gi).toString()", "/a+/gi"},
        JsRow{"cycles preserved", "(() => { const o = {}; o.self = o; const c = structuredClone(o); return c.self === c && c !== o; })()",
              "true"},
        JsRow{"nested plain data", "JSON.stringify(structuredClone({ a: [1, { b: 'c' }], n: null }))", "{\"a\":[1,{\"b\":\"c\"}],\"n\":null}"},
        JsRow{"function throws DataCloneError", threw("structuredClone(() => 1)"), "threw DataCloneError"},
        JsRow{"function inside an object throws DataCloneError", threw("structuredClone({ f() {} })"), "threw DataCloneError"},
        JsRow{"symbol throws DataCloneError", threw("structuredClone(Symbol('s'))"), "threw DataCloneError"}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    Console, JsGlobals,
    ::testing::Values(
        JsRow{"console.log of mixed values", "(console.log('x', 1, { a: 1 }, [1], null, undefined), 'ok')", "ok"},
        JsRow{"console.info, debug, warn, error",
              "(console.info('i'), console.debug('d'), console.warn('w'), console.error(new Error('e')), 'ok')", "ok"},
        JsRow{"console.log of a cycle", "(() => { const o = {}; o.o = o; console.log(o); return 'ok'; })()", "ok"},
        JsRow{"console.log of BigInt", "(console.log(1n, { b: 2n }), 'ok')", "ok"},
        JsRow{"console.log of a symbol and a function", "(console.log(Symbol('s'), function named() {}), 'ok')", "ok"},
        JsRow{"console.log of a throwing toJSON", "(console.log({ toJSON() { throw new Error('no'); } }), 'ok')", "ok"},
        JsRow{"console.log of a null-prototype object", "(console.log(Object.create(null)), 'ok')", "ok"},
        JsRow{"console.log of a very long line", "(console.log('x'.repeat(100000)), 'ok')", "ok"},
        JsRow{"console.log of an Error whose stack getter throws",
              "(() => { const e = new Error('x'); Object.defineProperty(e, 'stack', { get() { throw new Error('no'); } });"
              " console.log(e); return 'ok'; })()",
              "ok"},
        JsRow{"console.log of a revoked proxy",
              "(() => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); console.log(proxy); return 'ok'; })()",
              "ok"}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    TimersAndMicrotasks, JsGlobals,
    ::testing::Values(
        JsRow{"timers fire in order of their delay",
              "new Promise((r) => { const o = []; setTimeout(() => o.push('c'), 30); setTimeout(() => o.push('a'), 0);"
              " setTimeout(() => o.push('b'), 10); setTimeout(() => r(o.join()), 60); })",
              "a,b,c"},
        JsRow{"timers with equal delay fire in creation order",
              "new Promise((r) => { const o = []; for (let i = 0; i < 5; i++) setTimeout(() => o.push(i), 5);"
              " setTimeout(() => r(o.join()), 25); })",
              "0,1,2,3,4"},
        JsRow{"clearTimeout cancels",
              "new Promise((r) => { const o = []; const t = setTimeout(() => o.push('cleared'), 5);"
              " setTimeout(() => o.push('kept'), 5); clearTimeout(t); setTimeout(() => r(o.join() || 'none'), 25); })",
              "kept"},
        JsRow{"setTimeout passes extra arguments", "new Promise((r) => setTimeout((a, b) => r(a + b), 0, 'x', 'y'))", "xy"},
        JsRow{"setTimeout returns a positive integer id",
              "(() => { const id = setTimeout(() => {}, 0); clearTimeout(id); return Number.isInteger(id) && id > 0; })()", "true"},
        JsRow{"setTimeout inside a timer callback", "new Promise((r) => setTimeout(() => setTimeout(() => r('nested'), 1), 1))",
              "nested"},
        JsRow{"a throwing timer callback does not stop later timers",
              "new Promise((r) => { setTimeout(() => { throw new Error('x'); }, 0); setTimeout(() => r('still running'), 5); })",
              "still running"},
        JsRow{"setTimeout with a string throws TypeError", threw("setTimeout('1 + 1', 0)"), "threw TypeError"},
        JsRow{"clearTimeout of nothing", "(clearTimeout(undefined), clearTimeout(123456), 'ok')", "ok"},
        JsRow{"microtasks run before timers",
              "new Promise((r) => { const o = []; setTimeout(() => { o.push('timer'); r(o.join()); }, 0);"
              " queueMicrotask(() => o.push('microtask')); o.push('sync'); })",
              "sync,microtask,timer"},
        JsRow{"queueMicrotask runs after the current task",
              "(async () => { const o = []; queueMicrotask(() => o.push(2)); o.push(1); await null; return o.join(); })()", "1,2"},
        JsRow{"queueMicrotask interleaves with promise jobs in FIFO order",
              "(async () => { const o = []; Promise.resolve().then(() => o.push('then')); queueMicrotask(() => o.push('qm'));"
              " await new Promise((r) => setTimeout(r, 0)); return o.join(); })()",
              "then,qm"},
        JsRow{"queueMicrotask of a non-function throws TypeError", threw("queueMicrotask(1)"), "threw TypeError"}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    Presence, JsGlobals,
    ::testing::Values(
        JsRow{"Web API globals exist",
              "['URL', 'URLSearchParams', 'atob', 'btoa', 'TextEncoder', 'TextDecoder', 'structuredClone', 'queueMicrotask',"
              " 'setTimeout', 'clearTimeout'].map((n) => typeof globalThis[n]).join()",
              "function,function,function,function,function,function,function,function,function,function"},
        JsRow{"crypto and console are objects", "typeof crypto + ' ' + typeof console", "object object"},
        JsRow{"start-up internals are not visible", "typeof native + ' ' + typeof hooks + ' ' + typeof define", "undefined undefined undefined"},
        JsRow{"ECMAScript built-ins with Intl", "(1234.5).toLocaleString('en-US')", "1,234.5"}),
    name_of);

}  // namespace
}  // namespace agentgate::testing
