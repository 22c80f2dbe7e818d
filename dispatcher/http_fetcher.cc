#include "dispatcher/http_fetcher.h"

#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cstring>
#include <latch>
#include <memory>
#include <unordered_map>

#include "common/log.h"
#include "common/thread_name.h"
#include "dispatcher/header_list.h"
#include "dispatcher/fetch_target.h"

namespace agentgate {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

class TlsClientContext {
 public:
  ssl::context context{ssl::context::tls_client};
};

Result<std::shared_ptr<TlsClientContext>> make_tls_client_context(const std::string& extra_ca_file) {
  auto tls = std::make_shared<TlsClientContext>();
  boost::system::error_code ec;
  // No system bundle (a minimal container) leaves only the extra CAs; verification stays on.
  tls->context.set_default_verify_paths(ec);
  tls->context.set_verify_mode(ssl::verify_peer);
  SSL_CTX_set_min_proto_version(tls->context.native_handle(), TLS1_2_VERSION);
  if (!extra_ca_file.empty()) {
    tls->context.load_verify_file(extra_ca_file, ec);
    if (ec) {
      return Error{"TLS_CONFIG", "--extra-ca-file: cannot load CA certificates (PEM) from '" + extra_ca_file + "'"};
    }
  }
  return tls;
}

namespace {

using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>, Executor>;
template <class T>
using Task = asio::awaitable<T, Executor>;
constexpr auto kUseTaskTuple = asio::as_tuple(asio::use_awaitable_t<Executor>{});

constexpr uint32_t kMaxResponseHeadBytes = 64 * 1024;

// The fetcher owns framing and the connection: these request headers from a handler are dropped.
bool is_framing_header(std::string_view name) {
  static constexpr std::string_view kNames[] = {"host",    "content-length", "transfer-encoding", "connection",
                                                "keep-alive", "upgrade",     "te",                "trailer",
                                                "expect",  "proxy-connection"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

// getaddrinfo, on a lookup thread: every address of `host`.
Result<std::vector<asio::ip::address>> resolve_host(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  int status = getaddrinfo(host.c_str(), nullptr, &hints, &list);
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(list, &freeaddrinfo);
  if (status != 0) return Error{fetch_error::kNetwork, gai_strerror(status)};
  std::vector<asio::ip::address> addresses;
  for (const addrinfo* entry = list; entry; entry = entry->ai_next) {
    if (entry->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(entry->ai_addr);
      addresses.emplace_back(asio::ip::address_v4(ntohl(in->sin_addr.s_addr)));
    } else if (entry->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(entry->ai_addr);
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &in6->sin6_addr, bytes.size());
      addresses.emplace_back(asio::ip::address_v6(bytes, in6->sin6_scope_id));
    }
  }
  return addresses;
}

IpAddress to_ip(const asio::ip::address& address) {
  return address.is_v4() ? IpAddress::v4(address.to_v4().to_bytes()) : IpAddress::v6(address.to_v6().to_bytes());
}

// One fetch, from the first connection to the last redirect. Lives in its coroutine's frame; the
// fetcher's table holds it weakly so that cancel() can interrupt whatever it is waiting for. It
// completes once: with its result, or with FETCH_TIMEOUT the moment the deadline passes (whatever
// the coroutine is waiting for then, a DNS lookup included, finishes later and is discarded).
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  using Table = std::unordered_map<Fetcher::Id, std::weak_ptr<Exchange>>;

  Exchange(asio::io_context& io, asio::thread_pool& lookups, std::shared_ptr<const FetcherSettings> settings,
           OutboundRequest request, Fetcher::Completion done, std::weak_ptr<Table> table, Fetcher::Id id)
      : settings_(std::move(settings)),
        request_(std::move(request)),
        done_(std::move(done)),
        table_(std::move(table)),
        id_(id),
        lookups_(lookups),
        executor_(io.get_executor()),
        deadline_(io.get_executor()),
        lookup_done_(io.get_executor()) {}

  static Task<void> run(std::shared_ptr<Exchange> self) {
    if (self->completed_) co_return;  // cancelled before it started
    self->deadline_.expires_after(self->settings_->limits.timeout);
    self->deadline_.async_wait([weak = self->weak_from_this()](boost::system::error_code ec) {
      if (auto exchange = weak.lock(); exchange && !ec) {
        exchange->timed_out_ = true;
        exchange->interrupt();
        exchange->complete(exchange->timeout_error());
      }
    });
    Result<OutboundResponse> result = Error{fetch_error::kNetwork, "fetch failed"};
    try {
      result = co_await self->follow_redirects();
    } catch (const std::exception& e) {
      log::warn("fetch: unexpected failure: ", e.what());
    }
    self->complete(std::move(result));
  }

  // Stops at the next suspension point; `done` is not called.
  void cancel() {
    cancelled_ = true;
    interrupt();
    complete(Error{fetch_error::kNetwork, "fetch: cancelled"});
  }

 private:
  bool stopped() const { return timed_out_ || cancelled_; }

  void complete(Result<OutboundResponse> result) {
    if (completed_) return;
    completed_ = true;
    deadline_.cancel();
    if (auto table = table_.lock()) table->erase(id_);
    if (cancelled_) return;
    auto done = std::move(done_);
    done(std::move(result));
  }

  void interrupt() {
    lookup_done_.cancel();
    if (socket_) {
      boost::system::error_code ignored;
      socket_->close(ignored);
    }
  }

  Error timeout_error() const {
    return Error{fetch_error::kTimeout,
                 "fetch: no complete response within " + std::to_string(settings_->limits.timeout.count()) + " ms"};
  }

  // The error to report for an I/O failure: the timeout, if that is what interrupted it.
  Error failure(const char* code, const std::string& what, const boost::system::error_code& ec) const {
    if (timed_out_) return timeout_error();
    return Error{code, "fetch: " + what + " (" + ec.message() + ")"};
  }

  Task<Result<OutboundResponse>> follow_redirects() {
    OutboundRequest current = std::move(request_);
    for (uint32_t redirects = 0;; ++redirects) {
      auto target = parse_fetch_target(current.url);
      if (!target) co_return target.error();
      auto response = co_await one_hop(current, *target);
      if (!response || stopped()) co_return response;
      response->url = current.url;
      response->redirected = redirects > 0;
      auto location = std::find_if(response->headers.begin(), response->headers.end(),
                                   [](const auto& header) { return header.first == "location"; });
      if (!is_redirect_status(response->status) || location == response->headers.end() ||
          current.redirect == RedirectMode::kManual) {
        co_return response;
      }
      if (current.redirect == RedirectMode::kError) {
        co_return Error{fetch_error::kRedirect, "fetch: the response is a redirect and the request's redirect mode is 'error'"};
      }
      if (redirects >= settings_->limits.max_redirects) {
        co_return Error{fetch_error::kRedirect,
                        "fetch: more than " + std::to_string(settings_->limits.max_redirects) + " redirects"};
      }
      auto next = redirect_request(current, response->status, location->second);
      if (!next) co_return next.error();
      current = std::move(next.value());
    }
  }

  // Resolves `target` on the lookup pool (getaddrinfo blocks, and a slow name server must not hold
  // the worker): the addresses, or an error.
  Task<Result<std::vector<asio::ip::address>>> look_up(const FetchTarget& target) {
    lookup_.reset();
    lookup_done_.expires_at(Timer::time_point::max());
    asio::post(lookups_, [weak = weak_from_this(), executor = executor_, host = target.host] {
      auto found = resolve_host(host);
      asio::post(executor, [weak, found = std::move(found)]() mutable {
        if (auto self = weak.lock()) {
          self->lookup_.emplace(std::move(found));
          self->lookup_done_.cancel();
        }
      });
    });
    if (!lookup_) co_await lookup_done_.async_wait(kUseTaskTuple);
    if (stopped() || !lookup_) co_return timeout_error();  // completion already reported; discarded
    auto found = std::move(*lookup_);
    if (!found) co_return Error{fetch_error::kNetwork, "fetch: cannot resolve " + target.host + " (" + found.error().message + ")"};
    co_return std::move(found.value());
  }

  // The addresses this hop may connect to: every resolved address the egress guard accepts.
  Task<Result<std::vector<tcp::endpoint>>> checked_endpoints(const FetchTarget& target) {
    bool excepted = egress_excepted(settings_->egress_allow, target.host, target.port);
    if (!excepted && is_blocked_port(target.port)) {
      co_return Error{fetch_error::kEgressDenied, "fetch: destination not allowed: port " +
                                                      std::to_string(target.port) +
                                                      " is one the Fetch standard blocks (mail, shell, IRC and others)"};
    }
    std::vector<asio::ip::address> addresses;
    if (target.literal) {
      boost::system::error_code ec;
      addresses.push_back(asio::ip::make_address(target.host, ec));
    } else {
      auto resolved = co_await look_up(target);
      if (!resolved) co_return resolved.error();
      addresses = std::move(resolved.value());
    }
    std::vector<tcp::endpoint> allowed;
    std::optional<std::string_view> refused;  // the first refusal, for the message
    for (const auto& address : addresses) {
      auto refusal = excepted ? std::nullopt : egress_refusal(to_ip(address));
      if (!refusal) {
        allowed.emplace_back(address, target.port);
      } else if (!refused) {
        refused = refusal;
      }
    }
    if (allowed.empty() && !refused) {
      co_return Error{fetch_error::kNetwork, "fetch: cannot resolve " + target.host + " (no addresses)"};
    }
    if (allowed.empty()) {
      // The range, not the address: an agent must not map the server's internal names this way.
      std::string where = target.literal ? target.host + " is" : target.host + " resolves to";
      co_return Error{fetch_error::kEgressDenied,
                      "fetch: destination not allowed: " + where + " a " + std::string(*refused) + " address"};
    }
    co_return allowed;
  }

  Task<Result<OutboundResponse>> one_hop(const OutboundRequest& request, const FetchTarget& target) {
    auto endpoints = co_await checked_endpoints(target);
    if (!endpoints) co_return endpoints.error();
    if (stopped()) co_return timeout_error();
    Socket socket(executor_);
    socket_ = &socket;
    struct Forget {
      Socket*& socket;
      ~Forget() { socket = nullptr; }
    } forget{socket_};
    auto [connect_error, endpoint] = co_await asio::async_connect(socket, endpoints.value(), kUseTaskTuple);
    if (stopped()) co_return timeout_error();
    if (connect_error) {
      co_return failure(fetch_error::kNetwork, "cannot connect to " + target.host_header, connect_error);
    }
    if (!target.tls) co_return co_await exchange(socket, request, target);

    if (!settings_->tls) co_return Error{fetch_error::kTls, "fetch: https is not configured on this server"};
    ssl::stream<Socket&> stream(socket, settings_->tls->context);
    SSL* session = stream.native_handle();
    // The peer's certificate must name the host (or the IP address) the URL names; SNI for names
    // only. A fully qualified name ("example.com.") is checked without its final dot.
    std::string name = target.host;
    if (!target.literal && name.size() > 1 && name.back() == '.') name.pop_back();
    bool checked = target.literal ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(session), name.c_str()) == 1
                                  : SSL_set_tlsext_host_name(session, name.c_str()) == 1 &&
                                        SSL_set1_host(session, name.c_str()) == 1;
    if (!checked) co_return Error{fetch_error::kTls, "fetch: cannot check a certificate for " + name};
    auto [handshake_error] = co_await stream.async_handshake(ssl::stream_base::client, kUseTaskTuple);
    if (stopped()) co_return timeout_error();
    if (handshake_error) {
      long verify = SSL_get_verify_result(session);
      if (verify != X509_V_OK && !timed_out_) {
        co_return Error{fetch_error::kTls, "fetch: the certificate of " + target.host + " was refused (" +
                                               X509_verify_cert_error_string(verify) + ")"};
      }
      co_return failure(fetch_error::kTls, "TLS handshake with " + target.host + " failed", handshake_error);
    }
    co_return co_await exchange(stream, request, target);
  }

  template <class Stream>
  Task<Result<OutboundResponse>> exchange(Stream& stream, const OutboundRequest& request, const FetchTarget& target) {
    http::request<http::span_body<const char>> message;  // the body is sent from the request, not copied
    message.version(11);
    message.method_string(request.method);
    message.target(target.target);
    message.set(http::field::host, target.host_header);
    bool has_user_agent = false;
    bool has_accept = false;
    for (const auto& [name, value] : request.headers) {
      if (is_framing_header(name)) continue;
      has_user_agent |= name == "user-agent";
      has_accept |= name == "accept";
      message.insert(name, value);
    }
    if (!has_user_agent) message.set(http::field::user_agent, "agentgate");
    if (!has_accept) message.set(http::field::accept, "*/*");
    message.set(http::field::connection, "close");
    bool may_have_body = request.method != "GET" && request.method != "HEAD" && request.method != "DELETE" &&
                         request.method != "OPTIONS";
    if (!request.body.empty() || may_have_body) message.content_length(request.body.size());
    message.body() = boost::span<const char>(request.body.data(), request.body.size());
    auto [write_error, written] = co_await http::async_write(stream, message, kUseTaskTuple);
    if (stopped()) co_return timeout_error();
    if (write_error) co_return failure(fetch_error::kNetwork, "sending the request to " + target.host_header + " failed", write_error);

    beast::flat_buffer buffer;
    for (;;) {
      http::response_parser<http::string_body> parser;
      parser.header_limit(kMaxResponseHeadBytes);
      parser.body_limit(settings_->limits.max_response_bytes);
      if (request.method == "HEAD") parser.skip(true);
      auto [read_error, read] = co_await http::async_read(stream, buffer, parser, kUseTaskTuple);
      if (read_error == http::error::body_limit && !timed_out_) {
        co_return Error{fetch_error::kTooLarge, "fetch: the response body exceeds the limit of " +
                                                    std::to_string(settings_->limits.max_response_bytes) + " bytes"};
      }
      if (read_error == ssl::error::stream_truncated && parser.need_eof()) {
        // A body that ends at the end of the connection, from a server that closed without TLS's
        // close_notify: what browsers accept.
        boost::system::error_code eof_error;
        parser.put_eof(eof_error);
        if (!eof_error && parser.is_done()) read_error = {};
      }
      if (stopped()) co_return timeout_error();
      if (read_error) co_return failure(fetch_error::kNetwork, "reading the response from " + target.host_header + " failed", read_error);
      auto& response = parser.get();
      int status = response.result_int();
      if (status == 101) co_return Error{fetch_error::kNetwork, "fetch: the server switched protocols, which fetch does not support"};
      if (status < 200) continue;  // an interim response (100 Continue, 103 Early Hints): the real one follows
      OutboundResponse out;
      out.status = status;
      out.status_text = std::string(response.reason());
      out.headers = lowered_header_list(response);
      out.body = std::move(response.body());
      co_return out;
    }
  }

  std::shared_ptr<const FetcherSettings> settings_;
  OutboundRequest request_;
  Fetcher::Completion done_;
  std::weak_ptr<Table> table_;
  Fetcher::Id id_;
  asio::thread_pool& lookups_;
  Executor executor_;
  Timer deadline_;
  Timer lookup_done_;  // a DNS lookup's result is in lookup_ once this is cancelled
  std::optional<Result<std::vector<asio::ip::address>>> lookup_;
  Socket* socket_ = nullptr;  // the connection being made or used, for interrupt()
  bool timed_out_ = false;
  bool cancelled_ = false;
  bool completed_ = false;
};

class HttpFetcher final : public Fetcher {
 public:
  HttpFetcher(asio::io_context& io, FetcherSettings settings)
      : io_(io), settings_(std::make_shared<const FetcherSettings>(std::move(settings))) {
    name_lookup_threads();
  }

  ~HttpFetcher() override {
    Exchange::Table live;
    live.swap(*table_);  // cancel() erases from the table
    for (auto& [id, weak] : live) {
      if (auto exchange = weak.lock()) exchange->cancel();
    }
  }

  Id start(OutboundRequest request, Completion done) override {
    Id id = ++next_id_;
    if (table_->size() >= settings_->limits.max_in_flight_per_worker) {
      std::string message = "fetch: this server already has " + std::to_string(table_->size()) +
                            " fetches in flight on this worker, its limit; try again shortly";
      asio::post(io_, [done = std::move(done), message = std::move(message)] {
        done(Error{"LIMIT_EXCEEDED", message});
      });
      return id;  // never in the table: cancel() ignores it
    }
    auto exchange =
        std::make_shared<Exchange>(io_, lookups_, settings_, std::move(request), std::move(done), table_, id);
    table_->emplace(id, exchange);
    // Posted, not spawned here: co_spawn may start running at once, and `done` must not run inside start().
    asio::post(io_, [exchange = std::move(exchange), this_io = &io_]() mutable {
      asio::co_spawn(*this_io, Exchange::run(std::move(exchange)), asio::detached);
    });
    return id;
  }

  void cancel(Id id) override {
    auto entry = table_->find(id);
    if (entry == table_->end()) return;
    auto exchange = entry->second.lock();
    table_->erase(entry);
    if (exchange) exchange->cancel();
  }

 private:
  // getaddrinfo blocks: lookups run on these threads, so that a slow name server delays only the
  // fetches waiting for it (each bounded by its deadline), never the worker.
  static constexpr int kLookupThreads = 4;

  // asio::thread_pool has no start hook, so each thread is named by a task: every task holds its
  // thread until all have started, so each of the pool's threads runs exactly one.
  void name_lookup_threads() {
    auto started = std::make_shared<std::latch>(kLookupThreads);
    for (int i = 0; i < kLookupThreads; ++i) {
      asio::post(lookups_, [started] {
        name_this_thread("fetch-lookup");
        started->arrive_and_wait();
      });
    }
    started->wait();
  }

  asio::io_context& io_;
  asio::thread_pool lookups_{kLookupThreads};
  std::shared_ptr<const FetcherSettings> settings_;
  std::shared_ptr<Exchange::Table> table_ = std::make_shared<Exchange::Table>();
  Id next_id_ = 0;
};

}  // namespace

std::unique_ptr<Fetcher> make_http_fetcher(asio::io_context& io, FetcherSettings settings) {
  return std::make_unique<HttpFetcher>(io, std::move(settings));
}

}  // namespace agentgate
