#pragma once
// Who a ctx.kv call may touch, from the calling function's manifest permissions. Pure.
//
// A user_id falls in one or more classes: "self" (the agent's own id: agent-wide state), "visitor"
// (the signed-in visitor's id, only while the request has one), and "subjects" patterns the agent
// declared for its own identity namespaces ("google:*"). The call gets the widest access any matching
// class grants; get/list need "r", put/delete/take need "rw".
#include <optional>
#include <string_view>

#include "common/result.h"
#include "deploy/agent_spec.h"

namespace agentgate {

enum class KvOperation { kGet, kList, kPut, kDelete, kTake };

std::string_view kv_operation_name(KvOperation operation);
bool kv_operation_writes(KvOperation operation);

struct KvCaller {
  std::string_view agent_id;                        // canonical UUID
  std::optional<std::string_view> visitor_user_id;  // the authenticated visitor, if any
  const KvPermissions& permissions;                 // of the function handling the request
};

// "google:*" matches "google:" followed by at least one byte; a pattern without '*' matches exactly.
bool subject_pattern_matches(std::string_view pattern, std::string_view user_id);

// Ok, or PERMISSION_DENIED with a message naming the user_id's class and the permission that is
// missing (never the user_id itself, which may be another person's identifier).
Status check_kv_access(const KvCaller& caller, std::string_view user_id, KvOperation operation);

}  // namespace agentgate
