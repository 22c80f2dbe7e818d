// AbortController and AbortSignal (DOM standard): each case runs in Node.js and in the sandbox and
// must give the same result.
#include <gtest/gtest.h>

#include "tests/support/sandbox_harness.h"
#include "tests/unit/node_compare.h"

namespace agentgate::testing {
namespace {

using AbortCase = NodeCase;

class AbortMatchesNode : public ::testing::TestWithParam<AbortCase> {};

TEST_P(AbortMatchesNode, SameResult) {
  expect_same_as_node("", GetParam().expression);
}

INSTANTIATE_TEST_SUITE_P(
    Dom, AbortMatchesNode,
    ::testing::Values(
        AbortCase{"fresh_signal", "(() => { const c = new AbortController(); return [c.signal.aborted, String(c.signal.reason)].join(); })()"},
        AbortCase{"abort_default_reason",
                  "(() => { const c = new AbortController(); c.abort(); return [c.signal.aborted, c.signal.reason.name, c.signal.reason.message].join(); })()"},
        AbortCase{"abort_with_reason", "(() => { const c = new AbortController(); c.abort('why'); return c.signal.reason; })()"},
        AbortCase{"listener_once_per_abort",
                  "(() => { const c = new AbortController(); let n = 0; let type; c.signal.addEventListener('abort', (e) => { n++; type = e.type; });"
                  " c.abort(); c.abort(); return [n, type].join(); })()"},
        AbortCase{"onabort", "(() => { const c = new AbortController(); let seen = ''; c.signal.onabort = (e) => { seen = e.type; }; c.abort(); return seen; })()"},
        AbortCase{"remove_listener",
                  "(() => { const c = new AbortController(); let n = 0; const f = () => n++; c.signal.addEventListener('abort', f);"
                  " c.signal.removeEventListener('abort', f); c.abort(); return n; })()"},
        AbortCase{"throw_if_aborted", "(() => { const c = new AbortController(); c.abort(new TypeError('t')); c.signal.throwIfAborted(); })()"},
        AbortCase{"not_aborted_does_not_throw", "(() => { new AbortController().signal.throwIfAborted(); return 'fine'; })()"},
        AbortCase{"static_abort", "[AbortSignal.abort().aborted, AbortSignal.abort('r').reason].join()"},
        // Node does not keep its process alive for AbortSignal.timeout: the extra timer does.
        AbortCase{"static_timeout",
                  "new Promise((resolve) => { const keep = setTimeout(() => {}, 1000); const s = AbortSignal.timeout(5);"
                  " s.onabort = () => { clearTimeout(keep); resolve(s.reason.name); }; })"},
        AbortCase{"static_any",
                  "(() => { const a = new AbortController(), b = new AbortController(); const s = AbortSignal.any([a.signal, b.signal]);"
                  " const before = s.aborted; b.abort('b'); return [before, s.aborted, s.reason].join(); })()"},
        AbortCase{"constructor_is_illegal", "new AbortSignal()"},
        AbortCase{"to_string_tags",
                  "[Object.prototype.toString.call(new AbortController()), Object.prototype.toString.call(AbortSignal.abort())].join()"}),
    node_case_name);

}  // namespace
}  // namespace agentgate::testing
