#pragma once
// `agentgate serve` settings: flags, each also readable from an AGENTGATE_* environment variable
// (flag --data-dir <-> AGENTGATE_DATA_DIR). Flags win over the environment. Pure: the environment
// comes in as a lookup function so tests can supply their own.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "policy/cookies.h"
#include "policy/egress.h"
#include "sandbox/handler_types.h"

namespace agentgate {

struct ServeConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::string data_dir = "./data";
  std::string public_origin;     // "https://agents.example.com"; empty: derived from the Host header
  std::string agents_dir;        // deploy every bundle found here at start-up
  std::string admin_token_file;  // empty: <data_dir>/admin.token, created on first start
  std::string secrets_key_file;  // empty: <data_dir>/secrets.key, created (0600) on first start
  unsigned workers = 0;          // 0: one per core
  SandboxLimits limits;
  size_t max_body_bytes = size_t{1} << 20;
  size_t max_deploy_bytes = size_t{32} << 20;  // request bodies under /_admin/ (bundles)
  size_t max_header_bytes = 16 * 1024;
  std::chrono::milliseconds read_timeout{15'000};   // a request (headers and body) must arrive in this
  std::chrono::milliseconds drain_timeout{35'000};  // SIGTERM: how long in-flight requests may finish
  bool quiet = false;                               // log warnings and errors only
  size_t console_max_entries = 10'000;              // per agent, in its owner console
  std::vector<EgressException> egress_allow;         // fetch destinations exempt from the egress guard
  std::string extra_ca_file;                         // PEM CAs trusted by fetch besides the system bundle
  ReservedCookies reserved_cookies;                  // cookie names a handler may never set
};

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Parses the arguments after "serve". Errors have code USAGE and name the flag.
Result<ServeConfig> parse_serve_args(const std::vector<std::string>& args, const EnvLookup& env);

// The usage text of `agentgate serve --help`.
std::string serve_usage();

}  // namespace agentgate
