#include "dispatcher/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <csignal>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "common/log.h"
#include "common/thread_name.h"
#include "dispatcher/header_list.h"

namespace agentgate {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// co_spawn completion: a connection or accept loop that ends with an exception is logged, not lost.
void log_exception(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log::error("connection ended with an exception: ", e.what());
  }
}

// Concrete executor types instead of any_io_executor: no type erasure on the request path.
using Executor = asio::io_context::executor_type;
using Stream = beast::basic_stream<tcp, Executor, beast::unlimited_rate_policy>;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
template <class T>
using Task = asio::awaitable<T, Executor>;
constexpr auto kUseTaskTuple = asio::as_tuple(asio::use_awaitable_t<Executor>{});
constexpr size_t kHeadReserve = 512;  // a typical head fits: no reallocation while it is copied

// The sandbox's timers on this worker's io_context.
class AsioEventLoop final : public EventLoop {
 public:
  explicit AsioEventLoop(asio::io_context& io) : io_(io) {}

  TimerId start_timer(std::chrono::milliseconds delay, std::function<void()> fire) override {
    TimerId id = ++next_id_;
    auto timer = std::make_unique<asio::steady_timer>(io_, delay);
    timer->async_wait([this, id, fire = std::move(fire)](boost::system::error_code ec) {
      if (ec) return;  // cancelled (possibly after this loop was destroyed): touch nothing
      timers_.erase(id);
      fire();
    });
    timers_.emplace(id, std::move(timer));
    return id;
  }

  void cancel_timer(TimerId id) override {
    if (auto it = timers_.find(id); it != timers_.end()) {
      it->second->cancel();
      timers_.erase(it);
    }
  }

  // io_context's scheduler keeps its locking (only reactor I/O locking is off), so this is thread-safe.
  void post(std::function<void()> task) override { asio::post(io_, std::move(task)); }

 private:
  asio::io_context& io_;
  std::unordered_map<TimerId, std::unique_ptr<asio::steady_timer>> timers_;
  TimerId next_id_ = 0;
};

IncomingRequest to_incoming(http::request<http::string_body>& request) {
  IncomingRequest incoming;
  incoming.method = std::string(request.method_string());
  incoming.target = std::string(request.target());
  incoming.host = std::string(request[http::field::host]);
  incoming.headers = lowered_header_list(request);
  incoming.body = std::move(request.body());
  return incoming;
}

// The status line and fields every response gets, streamed or not.
template <class Body>
void fill_head(http::response<Body>& response, const HttpReply& reply, unsigned version, bool keep_alive) {
  response.version(version);
  response.result(reply.status);
  for (const auto& [name, value] : reply.headers) response.insert(name, value);
  response.set(http::field::server, "agentgate");
  response.keep_alive(keep_alive);
}

http::response<http::string_body> to_beast(HttpReply reply, unsigned version, bool keep_alive, bool head) {
  http::response<http::string_body> response;
  fill_head(response, reply, version, keep_alive);
  bool bodiless = reply.status == 204 || reply.status == 304;
  response.body() = bodiless ? std::string() : std::move(reply.body);
  response.prepare_payload();
  if (head) response.body().clear();  // keeps the Content-Length of the GET response
  return response;
}

// Appends the head of `message` as Beast serializes it, with `extra_fields` (whole "name: value\r\n"
// lines) as its last fields. The serializer's buffer sequence is walked once and copied: each step
// through its nested adaptors costs more than the bytes it yields.
template <class Body>
bool append_head(std::string& wire, http::response<Body>& message, std::string_view extra_fields) {
  wire.reserve(wire.size() + kHeadReserve);
  http::response_serializer<Body> serializer(message);
  serializer.split(true);  // the head alone: the body is written from where it is
  boost::system::error_code ec;
  while (!ec && !serializer.is_header_done()) {
    serializer.next(ec, [&](boost::system::error_code&, const auto& buffers) {
      size_t before = wire.size();
      for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
        asio::const_buffer piece = *it;
        wire.append(static_cast<const char*>(piece.data()), piece.size());
      }
      serializer.consume(wire.size() - before);
    });
  }
  if (ec || !wire.ends_with("\r\n\r\n")) return false;
  wire.insert(wire.size() - 2, extra_fields);  // before the empty line that ends the head
  return true;
}

// The security headers of `set` (policy/headers.h) as header lines, formatted by Beast once for
// each of the sets: they are most of a small response's head, and copying them whole costs a
// fraction of inserting and serializing them field by field on every response.
std::string_view security_fields(SecurityHeaderSet set) {
  static const auto kFieldsBySet = [] {
    std::array<std::string, size_t{1} << kSecurityHeaders.size()> fields_by_set;
    for (size_t bits = 0; bits < fields_by_set.size(); ++bits) {
      http::response<http::empty_body> probe;
      SecurityHeaderSet chosen(bits);
      for (size_t i = 0; i < kSecurityHeaders.size(); ++i) {
        if (chosen[i]) probe.insert(kSecurityHeaders[i].name, kSecurityHeaders[i].value);
      }
      std::string head;
      append_head(head, probe, {});
      size_t fields_start = head.find("\r\n") + 2;                  // after the status line
      fields_by_set[bits] = head.substr(fields_start, head.size() - 2 - fields_start);  // without the empty line
    }
    return fields_by_set;
  }();
  return kFieldsBySet[set.to_ulong()];
}

}  // namespace

class Worker {
 public:
  Worker(const ServeConfig& config, const FetcherSettings& fetcher_settings, const Server::HandlerFactory& make_handler)
      // Each worker's sockets are touched only by its own thread: no reactor locking needed.
      : config_(config),
        io_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
        acceptor_(io_.get_executor()),
        loop_(io_),
        fetcher_(make_http_fetcher(io_, fetcher_settings)),
        handler_(make_handler(loop_, *fetcher_)) {}

  ~Worker() {
    if (thread_.joinable()) thread_.join();
  }

  Status bind(const tcp::endpoint& endpoint) {
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.set_option(reuse_port(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Error{"LISTEN_FAILED", "cannot listen on " + endpoint.address().to_string() + ":" +
                                              std::to_string(endpoint.port()) + ": " + ec.message()};
    return Ok{};
  }
  uint16_t bound_port() const { return acceptor_.local_endpoint().port(); }

  void start(size_t index) {
    asio::co_spawn(io_, accept_loop(), log_exception);
    thread_ = std::thread([this, index] {
      name_this_thread("http-worker-" + std::to_string(index));
      io_.run();
    });
  }

  // Stop accepting, close idle connections, let busy ones finish their current request.
  void begin_drain() {
    asio::post(io_, [this] {
      draining_ = true;
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      for (auto& [id, session] : sessions_) {
        if (!session.busy) session.stream->socket().close(ignored);
        if (session.streaming) session.streaming->cancel();  // a stream never ends by itself: wake it to stop
      }
    });
  }
  void stop() { io_.stop(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  // True once no connection is open. Safe from any thread; the worker's loop may have finished.
  bool idle() const { return open_sessions_.load(std::memory_order_acquire) == 0; }

 private:
  struct SessionState {
    Stream* stream = nullptr;
    bool busy = false;
    asio::steady_timer* streaming = nullptr;  // set while a streamed body waits for its next piece
  };

  Task<void> accept_loop() {
    while (!draining_) {
      auto [ec, socket] = co_await acceptor_.async_accept(kUseTaskTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || draining_) break;
        // Out of file descriptors (EMFILE/ENFILE) fails at once, every time: pause instead of spinning.
        log::warn("accept failed: ", ec.message(), "; pausing 100 ms");
        asio::steady_timer pause(io_, std::chrono::milliseconds(100));
        co_await pause.async_wait(kUseTaskTuple);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(io_, serve_connection(std::move(socket)), log_exception);
    }
  }

  Task<void> serve_connection(Socket socket) {
    Stream stream(std::move(socket));
    uint64_t session_id = ++next_session_;
    SessionState& state = sessions_[session_id];
    state.stream = &stream;
    open_sessions_.fetch_add(1, std::memory_order_release);
    // Runs on every exit, exceptions included, so drain never waits for a connection that is gone.
    struct Forget {
      Worker* worker;
      uint64_t id;
      ~Forget() {
        worker->sessions_.erase(id);
        worker->open_sessions_.fetch_sub(1, std::memory_order_release);
      }
    } forget{this, session_id};
    beast::flat_buffer buffer;
    // Most handlers answer before dispatch returns; only a reply that comes later (the handler
    // awaited a timer or I/O) is waited for, on this never-expiring timer that the reply cancels.
    asio::steady_timer reply_signal(io_, asio::steady_timer::time_point::max());
    std::optional<HttpReply> reply;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(config_.max_header_bytes));
      // The head first: the body limit depends on the target (deploys carry whole bundles), so
      // Beast's own check of a declared length must not fire before we know the target.
      parser.body_limit(handler_->max_body_limit());
      stream.expires_after(config_.read_timeout);
      auto [read_error, read_bytes] = co_await http::async_read_header(stream, buffer, parser, kUseTaskTuple);
      if (!read_error) {
        const auto& head = parser.get();
        size_t limit = handler_->body_limit(head.target(), head[http::field::authorization]);
        parser.body_limit(limit);  // checked by Beast chunk by chunk; a declared length we check now
        if (parser.content_length() && *parser.content_length() > limit) {
          read_error = http::error::body_limit;
        } else if (!parser.is_done()) {
          std::tie(read_error, read_bytes) = co_await http::async_read(stream, buffer, parser, kUseTaskTuple);
        }
      }
      if (read_error) {
        if (auto status = status_for_read_error(read_error)) {
          co_await write_reply(stream, text_reply(*status, reason_for(*status)), 11, false, false);
        }
        break;
      }
      state.busy = true;
      auto& request = parser.get();
      bool keep_alive = request.keep_alive();
      bool head = request.method() == http::verb::head;
      unsigned version = request.version();
      reply.reset();
      bool waiting = false;
      handler_->dispatch(to_incoming(request), [&reply, &reply_signal, &waiting](HttpReply ready) {
        reply = std::move(ready);
        if (waiting) reply_signal.cancel();
      });
      bool answered_at_once = reply.has_value();
      waiting = true;
      while (!reply) co_await reply_signal.async_wait(kUseTaskTuple);
      if (reply->stream) {
        state.streaming = &reply_signal;
        co_await write_stream(stream, std::move(*reply), version, head, reply_signal);
        state.streaming = nullptr;
        break;
      }
      // Answer in phases: the post queues this write behind the handlers of every request that is
      // already ready, so handlers run back to back on warm caches, and so do the kernel's sends,
      // instead of each send's network stack evicting V8 between two handlers. A reply that came
      // later is already in such a phase (the replies of one kv commit arrive together).
      // Measured in docs/performance.md, "Answering in phases".
      if (answered_at_once) co_await asio::post(io_, asio::use_awaitable_t<Executor>{});
      keep_alive = keep_alive && !draining_;
      bool written = co_await write_reply(stream, std::move(*reply), version, keep_alive, head);
      state.busy = false;
      // Drain may have begun while we wrote: it skipped this (busy) connection, so close it here.
      if (!written || !keep_alive || draining_) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  // The head goes out as one contiguous buffer, the body beside it (one gathered write).
  Task<bool> write_reply(Stream& stream, HttpReply reply, unsigned version, bool keep_alive, bool head) {
    SecurityHeaderSet security = reply.security_headers;
    auto response = to_beast(std::move(reply), version, keep_alive, head);
    std::string wire;
    if (!append_head(wire, response, security_fields(security))) co_return false;
    stream.expires_after(config_.read_timeout);
    std::array<asio::const_buffer, 2> pieces{asio::buffer(wire), asio::buffer(response.body())};
    auto [ec, bytes] = co_await asio::async_write(stream, pieces, kUseTaskTuple);
    co_return !ec;
  }

  // The head, then each piece as a chunk until the body ends, the client goes, or drain begins.
  // HTTP/1.1 frames the pieces as chunks; HTTP/1.0 has no chunks, so there the body ends with the
  // connection. A HEAD request would get the head alone (no streamed endpoint allows HEAD today).
  Task<void> write_stream(Stream& stream, HttpReply reply, unsigned version, bool head_only, asio::steady_timer& signal) {
    std::shared_ptr<ReplyStream> body = std::move(reply.stream);
    struct CancelOnExit {
      ReplyStream& body;
      ~CancelOnExit() { body.cancel(); }
    } cancel_on_exit{*body};
    http::response<http::empty_body> head;
    fill_head(head, reply, version, /*keep_alive=*/false);
    bool chunked = version >= 11;
    head.chunked(chunked);
    std::string wire;
    if (!append_head(wire, head, security_fields(reply.security_headers))) co_return;
    stream.expires_after(config_.read_timeout);
    auto [ec, bytes] = co_await asio::async_write(stream, asio::buffer(wire), kUseTaskTuple);
    while (!ec && !draining_ && !head_only) {
      std::optional<std::optional<std::string>> piece;
      bool waiting = false;
      body->next([&piece, &signal, &waiting](std::optional<std::string> next) {
        piece = std::move(next);
        if (waiting) signal.cancel();
      });
      waiting = true;
      while (!piece && !draining_) co_await signal.async_wait(kUseTaskTuple);
      stream.expires_after(config_.read_timeout);
      if (!piece || !*piece) {  // drain, or the body is complete: end it cleanly
        if (chunked) std::tie(ec, bytes) = co_await asio::async_write(stream, http::make_chunk_last(), kUseTaskTuple);
        break;
      }
      if (chunked) {
        std::tie(ec, bytes) = co_await asio::async_write(stream, http::make_chunk(asio::buffer(**piece)), kUseTaskTuple);
      } else {
        std::tie(ec, bytes) = co_await asio::async_write(stream, asio::buffer(**piece), kUseTaskTuple);
      }
    }
  }

  // Malformed requests get an answer before the connection closes; idle or vanished clients do not.
  static std::optional<unsigned> status_for_read_error(const boost::system::error_code& ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof || ec == asio::error::bad_descriptor) {
      return std::nullopt;
    }
    if (ec == http::error::body_limit) return 413;
    if (ec == http::error::header_limit) return 431;
    return 400;
  }

  static std::string_view reason_for(unsigned status) {
    switch (status) {
      case 413: return "413 Payload Too Large: the request body exceeds the server's limit\n";
      case 431: return "431 Request Header Fields Too Large\n";
      default: return "400 Bad Request: malformed HTTP request\n";
    }
  }

  const ServeConfig& config_;
  asio::io_context io_;
  Acceptor acceptor_;
  AsioEventLoop loop_;
  std::unique_ptr<Fetcher> fetcher_;  // before handler_: the isolates' fetches go through it
  std::unique_ptr<RequestHandler> handler_;
  std::thread thread_;
  std::unordered_map<uint64_t, SessionState> sessions_;
  std::atomic<size_t> open_sessions_{0};
  uint64_t next_session_ = 0;
  bool draining_ = false;
};

Server::Server(const ServeConfig& config, const FetcherSettings& fetcher_settings, const HandlerFactory& make_handler)
    : config_(config) {
  for (unsigned i = 0; i < config.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(config, fetcher_settings, make_handler));
  }
}

Server::~Server() {
  for (auto& worker : workers_) worker->stop();
  workers_.clear();
}

Status Server::listen() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(config_.listen_host, ec);
  if (ec) return Error{"LISTEN_FAILED", "--listen: '" + config_.listen_host + "' is not an IP address"};
  tcp::endpoint endpoint(address, config_.listen_port);
  // SO_REUSEPORT would let us join a port another server already listens on and share its
  // traffic: first claim the port with a plain socket (this also picks an ephemeral port).
  {
    asio::io_context probe_io;
    tcp::acceptor probe(probe_io);
    probe.open(endpoint.protocol(), ec);
    if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) probe.bind(endpoint, ec);
    if (ec) {
      return Error{"LISTEN_FAILED", "cannot listen on " + address.to_string() + ":" + std::to_string(endpoint.port()) +
                                        ": " + ec.message()};
    }
    endpoint.port(probe.local_endpoint().port());
  }
  // Each worker's socket then joins the port through SO_REUSEPORT: the kernel spreads connections.
  for (auto& worker : workers_) {
    if (auto bound = worker->bind(endpoint); !bound) return bound;
    endpoint.port(worker->bound_port());
  }
  port_ = endpoint.port();
  return Ok{};
}

void Server::block_shutdown_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int Server::run() {
  for (size_t i = 0; i < workers_.size(); ++i) workers_[i]->start(i);

  // block_shutdown_signals() ran before any thread started, so a SIGTERM that arrived during
  // start-up is pending, and sigwait takes it here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int received = 0;
  while (sigwait(&signals, &received) != 0) {
  }
  log::info("received ", received == SIGTERM ? "SIGTERM" : "SIGINT", ": draining in-flight requests");

  for (auto& worker : workers_) worker->begin_drain();
  auto deadline = std::chrono::steady_clock::now() + config_.drain_timeout;
  for (auto& worker : workers_) {
    while (!worker->idle() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  for (auto& worker : workers_) worker->stop();
  for (auto& worker : workers_) worker->join();
  log::info("stopped");
  return 0;
}

}  // namespace agentgate
