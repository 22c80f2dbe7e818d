#pragma once
// The HTTP/1.1 front end. N worker threads, each with its own event loop, listening socket
// (SO_REUSEPORT: the kernel spreads connections), isolate pool and dispatcher; no lock is shared on
// the request path. Beast and Asio are confined to server.cc.
#include <cstdint>
#include <memory>
#include <vector>

#include <functional>

#include "common/result.h"
#include "dispatcher/config.h"
#include "dispatcher/http_fetcher.h"
#include "dispatcher/request_handler.h"

namespace agentgate {

class Worker;

class Server {
 public:
  // `make_handler` runs once per worker, on the calling thread, with that worker's event loop and
  // HTTP client (for handlers' fetch; made from `fetcher_settings`).
  using HandlerFactory = std::function<std::unique_ptr<RequestHandler>(EventLoop& loop, Fetcher& fetcher)>;
  Server(const ServeConfig& config, const FetcherSettings& fetcher_settings, const HandlerFactory& make_handler);
  ~Server();

  // Binds every worker's socket. Afterwards port() is the real port (useful with --listen ...:0).
  Status listen();
  uint16_t port() const { return port_; }

  // Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish (up to the
  // drain timeout) and returns the process exit code.
  int run();

  // Call first thing in main(), before any thread exists (V8's, RocksDB's, the workers'): every
  // thread then inherits the blocked mask and run() receives the signals with sigwait, including
  // one that arrives during start-up.
  static void block_shutdown_signals();

 private:
  const ServeConfig& config_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint16_t port_ = 0;
};

}  // namespace agentgate
