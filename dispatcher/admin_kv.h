#pragma once
// The admin API's view of an agent's ctx.kv, for operators debugging its state (`agentgate kv`).
// Permissions from the manifest do not apply (the admin token does); keys are still scoped to the
// agent named in the path.
//   GET    /_admin/v1/agents/<id|slug>/kv?user_id=U&key=K                              one value
//   GET    /_admin/v1/agents/<id|slug>/kv?user_id=U[&prefix=P][&limit=N][&cursor=C]    list
//   DELETE /_admin/v1/agents/<id|slug>/kv?user_id=U&key=K                              delete
// Values are rendered as JSON (sandbox/value_json.h).
#include <string_view>

#include "deploy/agent_spec.h"
#include "dispatcher/http_reply.h"
#include "kv/kv_store.h"

namespace agentgate {

// How deep a rendered value may nest; a client parsing these replies needs a limit at least this
// (plus the reply's own 3 levels).
constexpr size_t kMaxRenderedValueDepth = 10'000;

HttpReply handle_admin_kv(std::string_view method, std::string_view target, const AgentSpec& agent, KvStore* store,
                          const KvLimits& limits);

}  // namespace agentgate
