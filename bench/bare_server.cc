// The benchmark baseline: agentgate's own HTTP front end (same workers, sockets and Beast session
// code) answering every request natively with the bytes the hello agent returns — no JS.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "dispatcher/server.h"
#include "policy/headers.h"

namespace {

class HelloHandler final : public agentgate::RequestHandler {
 public:
  void dispatch(agentgate::IncomingRequest, std::function<void(agentgate::HttpReply)> done) override {
    // The bytes agentgate sends for the hello agent: its headers, the security headers, a request id.
    agentgate::HttpReply reply;
    reply.headers.emplace_back("content-type", "text/plain");
    reply.security_headers = agentgate::claim_security_headers(reply.headers, false);
    reply.headers.emplace_back("x-request-id", "0123abcd-1");
    reply.body = "Hello, world!\n";
    done(std::move(reply));
  }
  size_t body_limit(std::string_view, std::string_view) const override { return 1 << 20; }
  size_t max_body_limit() const override { return 1 << 20; }
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto config = agentgate::parse_serve_args(args, [](const std::string&) { return std::nullopt; });
  if (!config) {
    std::cerr << "bare_server: " << config.error().message << "\n";
    return 2;
  }
  agentgate::Server::block_shutdown_signals();
  agentgate::Server server(*config, agentgate::FetcherSettings{}, [](agentgate::EventLoop&, agentgate::Fetcher&) {
    return std::make_unique<HelloHandler>();
  });
  if (auto listening = server.listen(); !listening) {
    std::cerr << "bare_server: " << listening.error().message << "\n";
    return 1;
  }
  std::printf("agentgate listening on http://%s:%u\n", config->listen_host.c_str(), server.port());
  std::fflush(stdout);
  return server.run();
}
