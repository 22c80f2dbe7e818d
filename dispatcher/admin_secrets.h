#pragma once
// The admin API for agents' secrets. A value goes in and never comes out: no route returns one.
//   GET    /_admin/v1/agents/<id|slug>/secrets          {"secrets": [{"name", "updatedAt"}]}
//   PUT    /_admin/v1/agents/<id|slug>/secrets/<name>   body: the value (raw bytes, up to 64 KiB)
//   DELETE /_admin/v1/agents/<id|slug>/secrets/<name>
//   POST   /_admin/v1/secrets/rotate-key                a new master key; everything re-encrypted
#include <string>
#include <string_view>

#include "deploy/agent_spec.h"
#include "dispatcher/http_reply.h"
#include "kv/secret_store.h"

namespace agentgate {

// `sub` is what follows "/secrets" in the path ("" or "/<name>").
HttpReply handle_admin_secrets(std::string_view method, std::string_view sub, std::string_view body,
                               const AgentSpec& agent, SecretStore* secrets);
HttpReply handle_secret_key_rotation(std::string_view method, SecretStore* secrets, const std::string& key_file);

}  // namespace agentgate
