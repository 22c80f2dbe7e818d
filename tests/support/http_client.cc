#include "tests/support/http_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace agentgate::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string HttpResult::header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

std::vector<std::string> HttpResult::headers_named(const std::string& name) const {
  std::vector<std::string> values;
  for (const auto& [key, value] : headers) {
    if (key == name) values.push_back(value);
  }
  return values;
}

namespace {

// Runs one asynchronous operation to completion on `io` and throws its error. Beast's timeouts
// (tcp_stream::expires_after) only apply to asynchronous operations, so every step goes this way:
// a server that stops answering fails the call instead of hanging the test.
template <class Initiate>
size_t run_async(asio::io_context& io, Initiate initiate) {
  boost::system::error_code result = asio::error::would_block;
  size_t transferred = 0;
  initiate([&](boost::system::error_code ec, size_t n = 0) {
    result = ec;
    transferred = n;
  });
  io.restart();
  io.run();
  if (result) throw boost::system::system_error(result);
  return transferred;
}

void connect(asio::io_context& io, beast::tcp_stream& stream, uint16_t port, std::chrono::milliseconds timeout) {
  stream.expires_after(timeout);
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  run_async(io, [&](auto handler) {
    stream.async_connect(endpoint, [handler](boost::system::error_code ec) mutable { handler(ec, 0); });
  });
}

void write_request(asio::io_context& io, beast::tcp_stream& stream, uint16_t port, const HttpRequestSpec& spec) {
  stream.expires_after(spec.timeout);
  http::request<http::string_body> request;
  request.method_string(spec.method);
  request.target(spec.target);
  request.version(11);
  request.set(http::field::host, "127.0.0.1:" + std::to_string(port));  // unless the spec names one
  for (const auto& [name, value] : spec.headers) {
    if (beast::iequals(name, "host")) request.erase(http::field::host);
    request.insert(name, value);
  }
  request.body() = spec.body;
  if (!spec.body.empty() || spec.method == "POST" || spec.method == "PUT") request.prepare_payload();
  run_async(io, [&](auto handler) { http::async_write(stream, request, handler); });
}

HttpResult read_response(asio::io_context& io, beast::tcp_stream& stream, beast::flat_buffer& buffer, bool head,
                         std::chrono::milliseconds timeout) {
  HttpResult result;
  stream.expires_after(timeout);
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  if (head) parser.skip(true);
  run_async(io, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
  auto& response = parser.get();
  result.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
    result.headers.emplace_back(name, std::string(field.value()));
  }
  result.body = response.body();
  return result;
}

// Reads until the peer ends the connection or the stream's deadline passes; true if the peer did.
bool read_until_closed(asio::io_context& io, beast::tcp_stream& stream, std::string& received) {
  char chunk[4096];
  for (;;) {
    try {
      size_t n = run_async(io, [&](auto handler) { stream.async_read_some(asio::buffer(chunk), handler); });
      received.append(chunk, n);
    } catch (const boost::system::system_error& e) {
      return e.code() != beast::error::timeout;
    }
  }
}

}  // namespace

HttpResult http_request(uint16_t port, const HttpRequestSpec& spec) {
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    connect(io, stream, port, spec.timeout);
    write_request(io, stream, port, spec);
    beast::flat_buffer buffer;
    return read_response(io, stream, buffer, spec.method == "HEAD", spec.timeout);
  } catch (const std::exception& e) {
    HttpResult result;
    result.error = e.what();
    return result;
  }
}

struct HttpConnection::State {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  uint16_t port = 0;
  bool connected = false;
};

HttpConnection::HttpConnection(uint16_t port) : state_(std::make_unique<State>()) {
  state_->port = port;
  try {
    connect(state_->io, state_->stream, port, std::chrono::seconds(10));
    state_->connected = true;
  } catch (const std::exception&) {
  }
}

HttpConnection::~HttpConnection() = default;

bool HttpConnection::connected() const { return state_->connected; }

HttpResult HttpConnection::request(const HttpRequestSpec& spec) {
  if (!send(spec)) return HttpResult{0, {}, {}, "send failed"};
  return receive(spec.method == "HEAD", spec.timeout);
}

bool HttpConnection::send(const HttpRequestSpec& spec) {
  try {
    write_request(state_->io, state_->stream, state_->port, spec);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

HttpResult HttpConnection::receive(bool head, std::chrono::milliseconds timeout) {
  try {
    return read_response(state_->io, state_->stream, state_->buffer, head, timeout);
  } catch (const std::exception& e) {
    HttpResult result;
    result.error = e.what();
    return result;
  }
}

bool HttpConnection::closed_by_server(std::chrono::milliseconds timeout) {
  state_->stream.expires_after(timeout);
  std::string ignored;
  return read_until_closed(state_->io, state_->stream, ignored);
}

HttpResult http_get(uint16_t port, const std::string& target) {
  HttpRequestSpec spec;
  spec.target = target;
  return http_request(port, spec);
}

RawReply raw_exchange_until_close(uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  RawReply reply;
  try {
    connect(io, stream, port, timeout);
  } catch (const std::exception&) {
    return reply;
  }
  try {
    stream.expires_after(timeout);
    run_async(io, [&](auto handler) { asio::async_write(stream, asio::buffer(bytes), handler); });
  } catch (const boost::system::system_error& e) {
    // A server may answer and close before taking all of a malformed request: read what it sent.
    if (e.code() == beast::error::timeout) return reply;
  }
  stream.expires_after(timeout);
  reply.closed_by_server = read_until_closed(io, stream, reply.bytes);
  return reply;
}

std::string raw_exchange(uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  return raw_exchange_until_close(port, bytes, timeout).bytes;
}

RawReply raw_send_while_reading(uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  RawReply reply;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return reply;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return reply;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  size_t sent = 0;
  bool sending = true;
  auto give_up = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd poll_fd{fd, static_cast<short>(POLLIN | (sending ? POLLOUT : 0)), 0};
    if (::poll(&poll_fd, 1, static_cast<int>(left.count())) < 0) break;
    if (poll_fd.revents & (POLLIN | POLLHUP | POLLERR)) {
      char chunk[4096];
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n > 0) {
        reply.bytes.append(chunk, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        reply.closed_by_server = true;
        break;
      }
    }
    if (sending && (poll_fd.revents & POLLOUT)) {
      ssize_t n = ::send(fd, bytes.data() + sent, std::min<size_t>(bytes.size() - sent, 64 * 1024), MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || sent == bytes.size()) sending = false;
    }
  }
  ::close(fd);
  return reply;
}

}  // namespace agentgate::testing
