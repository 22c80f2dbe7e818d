#pragma once
// The Fetcher behind handlers' fetch(): HTTP/1.1 with Boost.Beast, TLS with OpenSSL, on the worker's
// io_context, so an awaiting handler holds no thread. Every connection goes through the egress
// guard (policy/egress.h): the host is resolved once, every address checked, and the socket
// connects only to addresses that passed, so a second DNS answer can never slip past the check.
// Beast and Asio stay inside http_fetcher.cc.
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "policy/egress.h"
#include "sandbox/fetcher.h"

namespace boost::asio {
class io_context;
}

namespace agentgate {

// The TLS client configuration all workers share: peer verification always on, against the system
// CA bundle plus the operator's extra CAs; TLS 1.2 at least.
class TlsClientContext;

// Error code TLS_CONFIG when the extra CA file cannot be read as PEM certificates.
Result<std::shared_ptr<TlsClientContext>> make_tls_client_context(const std::string& extra_ca_file);

struct FetcherSettings {
  FetchLimits limits;
  std::vector<EgressException> egress_allow;
  std::shared_ptr<TlsClientContext> tls;
};

// One per worker; used only on the thread running `io`. Destroying it cancels every fetch in flight.
std::unique_ptr<Fetcher> make_http_fetcher(boost::asio::io_context& io, FetcherSettings settings);

}  // namespace agentgate
