#pragma once
// The start-up script of every isolate: sandbox/js/prelude.js followed by the whatwg-url bundle,
// as a function expression `(function (native) { ... })`. Generated at build time.
#include <string_view>

namespace agentgate {
std::string_view bootstrap_source();
}
