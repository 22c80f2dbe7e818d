#pragma once
// An HTTP/1.1 server for tests that plays an OAuth provider or any upstream an agent fetches from:
// Boost.Beast, synchronous, one thread per connection, optional TLS; loopback only.
//
// Routes (query values are %XX-decoded; '+' stays '+'; a malformed number answers 400):
//   /echo...              any method: 200 application/json
//                         {"method", "target", "headers": {lower-case name: values joined ", "}, "body"}
//   /json                 200 application/json {"ok":true,"n":42,"text":"héllo"}
//   /status/<n>           status n (200-999), body "status <n>" (none for 204 and 304); Beast's reason
//   /redirect?to=U&status=S   S (default 302) with Location: U, empty body
//   /chain/<n>            n > 0: 302 to /chain/<n-1>; n == 0: 200 "end of chain"
//   /slow?ms=N            200 "slow" after N ms (cut short, unanswered, when the server is destroyed)
//   /hang                 never answers; the connection ends when the client closes it, the server
//                         is destroyed, or after 60 s
//   /bytes?n=N            200, content-length N, N 'x' bytes
//   /chunked?n=N          the same body, Transfer-Encoding: chunked in 16 KiB chunks
//   /cookies              200 "cookies" with Set-Cookie: a=1; Path=/, Set-Cookie: b=2, x-custom: yes
//   anything else         404 "not found"
// HEAD gets the headers of the GET answer; Expect: 100-continue is answered; keep-alive is honoured.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace agentgate::testing {

// PEM files for the server's certificate chain and its private key (e.g. from TestPki).
struct TlsIdentity {
  std::string cert_file;
  std::string key_file;
};

// Listens on `host` ("127.0.0.1" or "::1") at an ephemeral port until destroyed; TLS when `tls` is
// given. The constructor throws (boost::system::system_error) when it cannot listen or load the
// identity. Destruction closes every connection (including ones parked in /hang or mid-handshake)
// and joins every thread; it returns promptly whatever the clients do. Clients that disconnect
// mid-request or fail the TLS handshake only end their own connection. The accessors may be called
// from any thread; the server must be destroyed by one thread while no other is using it.
class ProviderServer {
 public:
  explicit ProviderServer(std::optional<TlsIdentity> tls = std::nullopt, std::string host = "127.0.0.1");
  ~ProviderServer();
  ProviderServer(const ProviderServer&) = delete;
  ProviderServer& operator=(const ProviderServer&) = delete;

  uint16_t port() const;
  size_t requests_seen() const;     // complete requests (head and body) received so far, all connections
  size_t connections_seen() const;  // TCP connections accepted so far (before any TLS handshake)
  size_t open_connections() const;  // accepted and not yet closed (e.g. a client still waiting in /hang)

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace agentgate::testing
