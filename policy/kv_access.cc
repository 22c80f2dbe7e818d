#include "policy/kv_access.h"

#include <string>

namespace agentgate {
namespace {

bool allows(Access granted, KvOperation operation) {
  if (kv_operation_writes(operation)) return granted == Access::kReadWrite;
  return granted != Access::kNone;
}

Access wider(Access a, Access b) { return static_cast<int>(a) > static_cast<int>(b) ? a : b; }

std::string_view access_text(Access access) {
  switch (access) {
    case Access::kNone: return "none";
    case Access::kRead: return "\"r\"";
    case Access::kReadWrite: return "\"rw\"";
  }
  return "none";
}

}  // namespace

std::string_view kv_operation_name(KvOperation operation) {
  switch (operation) {
    case KvOperation::kGet: return "get";
    case KvOperation::kList: return "list";
    case KvOperation::kPut: return "put";
    case KvOperation::kDelete: return "delete";
    case KvOperation::kTake: return "take";
  }
  return "?";
}

bool kv_operation_writes(KvOperation operation) {
  return operation == KvOperation::kPut || operation == KvOperation::kDelete || operation == KvOperation::kTake;
}

bool subject_pattern_matches(std::string_view pattern, std::string_view user_id) {
  if (!pattern.empty() && pattern.back() == '*') {
    std::string_view prefix = pattern.substr(0, pattern.size() - 1);
    return user_id.size() > prefix.size() && user_id.substr(0, prefix.size()) == prefix;
  }
  return user_id == pattern;
}

Status check_kv_access(const KvCaller& caller, std::string_view user_id, KvOperation operation) {
  const KvPermissions& permissions = caller.permissions;
  bool is_self = user_id == caller.agent_id;
  bool is_visitor = caller.visitor_user_id && user_id == *caller.visitor_user_id;
  // Every call comes through here: decide without allocating, describe only a refusal.
  Access granted = Access::kNone;
  if (is_self) granted = wider(granted, permissions.self);
  if (is_visitor) granted = wider(granted, permissions.visitor);
  for (const auto& [pattern, access] : permissions.subjects) {
    if (subject_pattern_matches(pattern, user_id)) granted = wider(granted, access);
  }
  if (allows(granted, operation)) return Ok{};

  std::string classes;  // the classes user_id falls in
  auto describe = [&](std::string_view name, Access access) {
    if (!classes.empty()) classes += ", ";
    classes += name;
    classes += " (";
    classes += access_text(access);
    classes += ")";
  };
  if (is_self) describe("self", permissions.self);
  if (is_visitor) describe("visitor", permissions.visitor);
  for (const auto& [pattern, access] : permissions.subjects) {
    if (subject_pattern_matches(pattern, user_id)) describe("subjects[\"" + pattern + "\"]", access);
  }
  std::string needed = kv_operation_writes(operation) ? "\"rw\"" : "\"r\"";
  std::string message = "kv." + std::string(kv_operation_name(operation)) + " needs " + needed + " on this user_id; ";
  if (classes.empty()) {
    message += "it is neither this agent's id (self), the signed-in visitor's id (visitor), nor matched by a "
               "permissions.kv.subjects pattern of this function";
    if (!caller.visitor_user_id) message += " (this request has no signed-in visitor)";
  } else {
    message += "it is " + classes + " in this function's permissions.kv";
  }
  return Error{"PERMISSION_DENIED", message};
}

}  // namespace agentgate
