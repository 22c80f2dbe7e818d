#pragma once
// The platform services agent code reaches through ctx and the globals. Each may be null: the calls
// that need it then fail with a clear code (KV_UNAVAILABLE, SECRETS_UNAVAILABLE, a TypeError from
// fetch). The server owns them; they must outlive every isolate pool that uses them.
#include "kv/console_log.h"
#include "kv/kv_store.h"
#include "kv/secret_store.h"
#include "sandbox/fetcher.h"

namespace agentgate {

struct SandboxServices {
  KvStore* kv = nullptr;           // ctx.kv
  ConsoleSink* console = nullptr;  // the owner console (null: the server log only)
  SecretStore* secrets = nullptr;  // ctx.secrets
  Fetcher* fetcher = nullptr;      // fetch(): the worker's HTTP client, used on the worker's thread only
};

}  // namespace agentgate
