#pragma once
// The admin API's view of an agent's owner console (kv/console_log.h):
//   GET /_admin/v1/agents/<id|slug>/console[?since=CURSOR][&limit=N]
//   -> {"entries": [{cursor, time, level, code, requestId, function, message}, ...], "cursor": "..."}
// Pass the returned cursor as `since` to get what came after. Oldest first; limit 1-1000 (100).
#include <string_view>

#include "deploy/agent_spec.h"
#include "dispatcher/http_reply.h"
#include "kv/console_log.h"

namespace agentgate {

HttpReply handle_admin_console(std::string_view method, std::string_view target, const AgentSpec& agent,
                               ConsoleLog* console);

}  // namespace agentgate
