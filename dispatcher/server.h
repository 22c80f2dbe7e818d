#pragma once
// The HTTP/1.1 front end. N worker threads, each with its own event loop, listening socket
// (SO_REUSEPORT: the kernel spreads connections), isolate pool and dispatcher; no lock is shared on
// the request path. Beast and Asio are confined to server.cc.
#include <cstdint>
#include <memory>
#include <vector>

#include "common/result.h"
#include "deploy/agent_registry.h"
#include "dispatcher/admin_api.h"
#include "dispatcher/config.h"
#include "sandbox/watchdog.h"

namespace agentgate {

class Worker;

class Server {
 public:
  Server(const ServeConfig& config, AgentRegistry& registry, AdminApi& admin, Watchdog& watchdog);
  ~Server();

  // Binds every worker's socket. Afterwards port() is the real port (useful with --listen ...:0).
  Status listen();
  uint16_t port() const { return port_; }

  // Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish (up to the
  // drain timeout) and returns the process exit code.
  int run();

 private:
  const ServeConfig& config_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint16_t port_ = 0;
};

}  // namespace agentgate
