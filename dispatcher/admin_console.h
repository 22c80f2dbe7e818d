#pragma once
// The admin API's view of an agent's owner console (kv/console_log.h):
//   GET /_admin/v1/agents/<id|slug>/console[?since=CURSOR][&limit=N]
//   -> {"entries": [{cursor, time, level, code, requestId, function, message}, ...], "cursor": "..."}
// Pass the returned cursor as `since` to get what came after. Oldest first; limit 1-1000 (100).
//   GET /_admin/v1/agents/<id|slug>/console?follow=1[&since=CURSOR]
//   -> text/event-stream: each entry (after `since`, then live) as "id: CURSOR / event: console /
//      data: {json}"; a ": keep-alive" comment every 15 s without entries.
#include <string_view>

#include "deploy/agent_spec.h"
#include "dispatcher/http_reply.h"
#include "kv/console_log.h"
#include "sandbox/handler_types.h"

namespace agentgate {

HttpReply handle_admin_console(std::string_view method, std::string_view target, const AgentSpec& agent,
                               ConsoleLog* console, EventLoop& loop);

}  // namespace agentgate
