#pragma once
// /_admin/v1: agent management for operators and the CLI. Every call needs
// `Authorization: Bearer <admin token>` (compared in constant time).
//   GET    /_admin/v1/agents                    list agents
//   POST   /_admin/v1/agents                    deploy a bundle {"files": {"agent.json": "...", "x.js": "..."}}
//   GET    /_admin/v1/agents/<id|slug>          one agent
//   PUT    /_admin/v1/agents/<id>               deploy a bundle as agent <id>
//   DELETE /_admin/v1/agents/<id>               delete an agent
//   GET    /_admin/v1/agents/<id|slug>/functions  its functions
//   GET|DELETE /_admin/v1/agents/<id|slug>/kv?...  its ctx.kv data (dispatcher/admin_kv.h)
//   GET    /_admin/v1/agents/<id|slug>/console?...  its owner console (dispatcher/admin_console.h)
//   .../agents/<id|slug>/secrets[/<name>], /_admin/v1/secrets/rotate-key  (dispatcher/admin_secrets.h)
#include <string>
#include <string_view>

#include "deploy/agent_registry.h"
#include "dispatcher/deploy_service.h"
#include "dispatcher/http_reply.h"
#include "kv/console_log.h"
#include "kv/secret_store.h"
#include "sandbox/isolate_pool.h"

namespace agentgate {

inline constexpr std::string_view kAdminPrefix = "/_admin/";

struct AdminRequest {
  std::string_view method;
  std::string_view target;
  std::string_view authorization;  // the Authorization header, as received
  std::string_view body;
};

class AdminApi {
 public:
  // `kv` may be null (storage not configured: the kv routes answer 503).
  AdminApi(DeployService& deploys, AgentRegistry& registry, std::string token, KvStore* kv, KvLimits kv_limits,
           ConsoleLog* console = nullptr, SecretStore* secrets = nullptr, std::string secrets_key_file = {});

  // Runs on a worker thread; `checker` is that thread's pool, used to load deployed bundles, and
  // `loop` its event loop (streamed replies wait on it).
  HttpReply handle(const AdminRequest& request, IsolatePool& checker, EventLoop& loop);

  // True when `authorization` is "Bearer <the admin token>" (scheme case-insensitive).
  bool authorized(std::string_view authorization) const;

 private:
  HttpReply deploy(std::string_view body, const std::optional<std::string>& agent_id, IsolatePool& checker);

  DeployService& deploys_;
  AgentRegistry& registry_;
  KvStore* kv_;
  ConsoleLog* console_;
  SecretStore* secrets_;
  std::string secrets_key_file_;
  KvLimits kv_limits_;
  std::string token_digest_;  // SHA-256 of the token: compare digests, so length leaks nothing either
};

// The raw SHA-256 digest, for comparing secrets in constant time.
std::string sha256_bytes(std::string_view data);

}  // namespace agentgate
