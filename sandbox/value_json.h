#pragma once
// Renders ctx.kv values (V8-serialized bytes) as JSON for operators: the admin API and
// `agentgate kv get|list`. Types JSON lacks are tagged: {"$type": "Date", "value": "2026-..."},
// Map, Set, BigInt, RegExp, typed arrays and ArrayBuffers (as hex), undefined. A lone UTF-16
// surrogate in a string (storable in JS, not representable in UTF-8) is rendered as U+FFFD.
#include <string>
#include <vector>

#include "common/result.h"

namespace agentgate {

// One JSON text per serialized value, in order. Runs in a short-lived isolate of its own (no agent
// code) on the calling thread. Values that cannot be read back render as {"$type": "Unreadable"}.
Result<std::vector<std::string>> serialized_values_as_json(const std::vector<std::string>& serialized);

}  // namespace agentgate
