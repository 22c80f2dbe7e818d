#include "tests/support/provider_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <exception>
#include <list>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>

namespace agentgate::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kChunkBytes = 16 * 1024;
constexpr uint64_t kMaxRequestBody = uint64_t{64} << 20;
constexpr uint64_t kMaxSleepMs = 60'000;
constexpr auto kHangLimit = std::chrono::seconds(60);

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// ---- Pure routing: a request in, a response out --------------------------------------------

// A request target split at '?', its query's values %XX-decoded (the last of repeated names wins).
struct Target {
  std::string path;
  std::map<std::string, std::string> query;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX becomes its byte; anything else (a malformed escape, '+') is kept as it is.
std::string percent_decode(std::string_view text) {
  std::string decoded;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      decoded.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      decoded.push_back(text[i]);
    }
  }
  return decoded;
}

Target parse_target(std::string_view target) {
  Target parsed;
  size_t question = target.find('?');
  parsed.path = std::string(target.substr(0, question));
  if (question == std::string_view::npos) return parsed;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t equals = pair.find('=');
    std::string name(pair.substr(0, equals));
    parsed.query[name] = equals == std::string_view::npos ? "" : percent_decode(pair.substr(equals + 1));
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return parsed;
}

// A whole non-negative decimal number, or nullopt.
std::optional<uint64_t> parse_number(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A status this server may answer with: 1xx are not final responses, and Beast stops at 999.
std::optional<unsigned> parse_status(std::string_view text) {
  auto number = parse_number(text);
  if (!number || *number < 200 || *number > 999) return std::nullopt;
  return static_cast<unsigned>(*number);
}

// `name`'s query value as a number; `fallback` when absent; nullopt when present but not a number.
std::optional<uint64_t> query_number(const Target& target, const std::string& name,
                                     std::optional<uint64_t> fallback = std::nullopt) {
  auto found = target.query.find(name);
  if (found == target.query.end()) return fallback;
  return parse_number(found->second);
}

Response make_response(const Request& request, unsigned status, std::string body = "",
                       std::string content_type = "text/plain; charset=utf-8") {
  Response response;
  response.version(request.version());
  response.result(status);
  if (!body.empty()) response.set(http::field::content_type, content_type);
  response.body() = std::move(body);
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return response;
}

Response echo(const Request& request) {
  boost::json::object headers;
  for (const auto& field : request) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value(field.value());
    if (auto* seen = headers.if_contains(name)) value = std::string(seen->as_string()) + ", " + value;
    headers[name] = value;
  }
  boost::json::object reply{{"method", std::string(request.method_string())},
                            {"target", std::string(request.target())},
                            {"headers", std::move(headers)},
                            {"body", request.body()}};
  return make_response(request, 200, boost::json::serialize(reply), "application/json");
}

// Every route whose answer is complete at once (not /slow, /hang, /bytes, /chunked).
Response route(const Request& request, const Target& target) {
  const std::string& path = target.path;
  if (path.starts_with("/echo")) return echo(request);
  if (path == "/json") {
    boost::json::object body{{"ok", true}, {"n", 42}, {"text", "h\xC3\xA9llo"}};
    return make_response(request, 200, boost::json::serialize(body), "application/json");
  }
  if (path.starts_with("/status/")) {
    auto status = parse_status(std::string_view(path).substr(8));
    if (!status) return make_response(request, 400, "bad status");
    bool bodiless = *status == 204 || *status == 304;
    return make_response(request, *status, bodiless ? "" : "status " + std::to_string(*status));
  }
  if (path == "/redirect") {
    auto to = target.query.find("to");
    auto status_text = target.query.find("status");
    auto status = status_text == target.query.end() ? std::optional<unsigned>(302) : parse_status(status_text->second);
    if (to == target.query.end() || !status) return make_response(request, 400, "redirect needs to= and a valid status=");
    Response response = make_response(request, *status);
    response.set(http::field::location, to->second);
    return response;
  }
  if (path.starts_with("/chain/")) {
    auto left = parse_number(std::string_view(path).substr(7));
    if (!left) return make_response(request, 400, "bad chain length");
    if (*left == 0) return make_response(request, 200, "end of chain");
    Response response = make_response(request, 302);
    response.set(http::field::location, "/chain/" + std::to_string(*left - 1));
    return response;
  }
  if (path == "/cookies") {
    Response response = make_response(request, 200, "cookies");
    response.insert(http::field::set_cookie, "a=1; Path=/");
    response.insert(http::field::set_cookie, "b=2");
    response.set("x-custom", "yes");
    return response;
  }
  return make_response(request, 404, "not found");
}

// ---- Writing to a connection (plain or TLS) -------------------------------------------------

// Sends `response`, only its header when answering HEAD. False when the connection failed.
template <class Stream, class Body>
bool send(Stream& stream, http::response<Body>& response, bool head) {
  boost::system::error_code ec;
  http::response_serializer<Body> serializer(response);
  if (head) {
    http::write_header(stream, serializer, ec);
  } else {
    http::write(stream, serializer, ec);
  }
  return !ec;
}

// 200 with `size` 'x' bytes, in pieces of kChunkBytes: with Content-Length, or as HTTP chunks.
// Streamed, so a large body costs no memory and a client that stops reading just ends it.
template <class Stream>
bool send_x_bytes(Stream& stream, const Request& request, uint64_t size, bool chunked) {
  http::response<http::empty_body> response(http::status::ok, request.version());
  response.set(http::field::content_type, "application/octet-stream");
  response.keep_alive(request.keep_alive());
  if (chunked) {
    response.chunked(true);
  } else {
    response.content_length(size);
  }
  if (!send(stream, response, true)) return false;
  if (request.method() == http::verb::head) return true;
  static const std::string piece(kChunkBytes, 'x');
  boost::system::error_code ec;
  for (uint64_t left = size; left > 0 && !ec;) {
    auto buffer = asio::buffer(piece.data(), static_cast<size_t>(std::min<uint64_t>(left, kChunkBytes)));
    left -= buffer.size();
    if (chunked) {
      asio::write(stream, http::make_chunk(buffer), ec);
    } else {
      asio::write(stream, buffer, ec);
    }
  }
  if (chunked && !ec) asio::write(stream, http::make_chunk_last(), ec);
  return !ec;
}

}  // namespace

// ---- The server --------------------------------------------------------------------------

struct ProviderServer::State {
  // One accepted TCP connection. `fd` stays valid while `open` (guarded by `mutex`): the serving
  // thread closes the socket and clears `open` under that mutex, so the destructor never shuts down a
  // descriptor number the kernel has handed to someone else.
  struct Connection {
    int fd = -1;
    bool open = true;
    std::atomic<bool> finished{false};
    std::thread thread;
  };

  asio::io_context io;  // never run: every socket operation here is synchronous
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor{io};
  uint16_t port = 0;
  std::atomic<size_t> requests{0};
  std::atomic<size_t> accepted{0};

  std::mutex mutex;
  std::condition_variable stop_signal;  // wakes /slow sleepers when `stopping` is set
  std::atomic<bool> stopping{false};
  std::list<std::unique_ptr<Connection>> connections;  // guarded by mutex; only accept_loop adds or removes
  std::thread accept_thread;

  void accept_loop();
  void serve(Connection& connection, tcp::socket socket);
  template <class Stream>
  bool serve_requests(Stream& stream, Connection& connection);
  // Answers one request; false when the connection must end without a graceful close.
  template <class Stream>
  bool respond(Stream& stream, Connection& connection, const Request& request);
  bool sleep_unless_stopped(std::chrono::milliseconds duration);
  void wait_for_hang_up(const Connection& connection);
};

void ProviderServer::State::accept_loop() {
  while (!stopping) {
    tcp::socket socket(io);
    boost::system::error_code ec;
    acceptor.accept(socket, ec);
    if (stopping) return;
    if (ec) {
      // The destructor shuts the listening socket down (accept fails with EINVAL); anything else
      // (EMFILE, a reset in the backlog) is retried after a pause.
      if (ec == asio::error::invalid_argument || ec == asio::error::bad_descriptor) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    ++accepted;
    auto connection = std::make_unique<Connection>();
    connection->fd = socket.native_handle();
    std::lock_guard lock(mutex);
    for (auto it = connections.begin(); it != connections.end();) {
      if (!(*it)->finished) {
        ++it;
        continue;
      }
      (*it)->thread.join();
      it = connections.erase(it);
    }
    Connection& ref = *connection;
    connections.push_back(std::move(connection));
    ref.thread = std::thread([this, &ref, socket = std::move(socket)]() mutable { serve(ref, std::move(socket)); });
  }
}

void ProviderServer::State::serve(Connection& connection, tcp::socket socket) {
  auto close_under_lock = [&](tcp::socket& lowest) {
    std::lock_guard lock(mutex);
    boost::system::error_code ignored;
    lowest.close(ignored);
    connection.open = false;
  };
  if (tls) {
    beast::ssl_stream<tcp::socket> stream(std::move(socket), *tls);
    boost::system::error_code ec;
    stream.handshake(ssl::stream_base::server, ec);  // fails for clients that do not trust us
    if (!ec && serve_requests(stream, connection)) stream.shutdown(ec);
    close_under_lock(beast::get_lowest_layer(stream));
  } else {
    if (serve_requests(socket, connection)) {
      boost::system::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_send, ignored);
    }
    close_under_lock(socket);
  }
  connection.finished = true;
}

// Reads and answers requests until the client or a response ends the connection. True when the
// connection should be closed gracefully (a response said so), false when it broke or was abandoned.
template <class Stream>
bool ProviderServer::State::serve_requests(Stream& stream, Connection& connection) try {
  beast::flat_buffer buffer;
  while (!stopping) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxRequestBody);
    boost::system::error_code ec;
    http::read_header(stream, buffer, parser, ec);
    if (ec) return false;
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> proceed(http::status::continue_, 11);
      http::write(stream, proceed, ec);
      if (ec) return false;
    }
    http::read(stream, buffer, parser, ec);
    if (ec) return false;
    ++requests;
    Request request = parser.release();
    if (!respond(stream, connection, request)) return false;
    if (!request.keep_alive()) return true;
  }
  return false;
} catch (const std::exception&) {
  return false;  // only allocation can throw here; the connection is dropped
}

template <class Stream>
bool ProviderServer::State::respond(Stream& stream, Connection& connection, const Request& request) {
  Target target = parse_target(request.target());
  bool head = request.method() == http::verb::head;
  if (target.path == "/hang") {
    wait_for_hang_up(connection);
    return false;
  }
  if (target.path == "/slow") {
    auto ms = query_number(target, "ms", 0);
    if (!ms || *ms > kMaxSleepMs) {
      Response bad = make_response(request, 400, "slow needs ms=0..60000");
      return send(stream, bad, head);
    }
    if (!sleep_unless_stopped(std::chrono::milliseconds(*ms))) return false;
    Response slow = make_response(request, 200, "slow");
    return send(stream, slow, head);
  }
  if (target.path == "/bytes" || target.path == "/chunked") {
    auto size = query_number(target, "n");
    if (!size) {
      Response bad = make_response(request, 400, "needs n=<bytes>");
      return send(stream, bad, head);
    }
    return send_x_bytes(stream, request, *size, target.path == "/chunked");
  }
  Response response = route(request, target);
  return send(stream, response, head);
}

// False when the server is being destroyed before `duration` has passed.
bool ProviderServer::State::sleep_unless_stopped(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex);
  return !stop_signal.wait_for(lock, duration, [&] { return stopping.load(); });
}

// Returns when the client shuts its side (FIN, reset), the destructor shuts the socket down (which
// raises POLLHUP), or kHangLimit passes. Bytes the client sends meanwhile are left unread.
void ProviderServer::State::wait_for_hang_up(const Connection& connection) {
  auto give_up = std::chrono::steady_clock::now() + kHangLimit;
  while (!stopping) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd watch{connection.fd, POLLRDHUP, 0};
    int ready = poll(&watch, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    return;
  }
}

ProviderServer::ProviderServer(std::optional<TlsIdentity> tls, std::string host) : state_(std::make_unique<State>()) {
  if (tls) {
    state_->tls.emplace(ssl::context::tls_server);
    state_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
    state_->tls->use_certificate_chain_file(tls->cert_file);
    state_->tls->use_private_key_file(tls->key_file, ssl::context::pem);
  }
  tcp::endpoint endpoint(asio::ip::make_address(host), 0);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(asio::socket_base::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen();
  state_->port = state_->acceptor.local_endpoint().port();
  state_->accept_thread = std::thread([state = state_.get()] { state->accept_loop(); });
}

ProviderServer::~ProviderServer() {
  State& state = *state_;
  {
    std::lock_guard lock(state.mutex);
    state.stopping = true;
  }
  state.stop_signal.notify_all();
  // On Linux, shutting a listening socket down wakes a thread blocked in accept() (EINVAL).
  ::shutdown(state.acceptor.native_handle(), SHUT_RDWR);
  state.accept_thread.join();
  {
    // Wakes every serving thread blocked in a handshake, a read, a write or /hang's poll.
    std::lock_guard lock(state.mutex);
    for (const auto& connection : state.connections) {
      if (connection->open) ::shutdown(connection->fd, SHUT_RDWR);
    }
  }
  // No lock: only the (finished) accept thread changes the list; serving threads need the mutex to end.
  for (const auto& connection : state.connections) connection->thread.join();
  boost::system::error_code ignored;
  state.acceptor.close(ignored);
}

uint16_t ProviderServer::port() const { return state_->port; }
size_t ProviderServer::requests_seen() const { return state_->requests; }
size_t ProviderServer::connections_seen() const { return state_->accepted; }

size_t ProviderServer::open_connections() const {
  std::lock_guard lock(state_->mutex);
  size_t open = 0;
  for (const auto& connection : state_->connections) open += connection->open ? 1 : 0;
  return open;
}

}  // namespace agentgate::testing
