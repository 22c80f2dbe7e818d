#include "tests/support/http_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>

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

HttpResult http_request(uint16_t port, const HttpRequestSpec& spec) {
  HttpResult result;
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(spec.timeout);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> request;
    request.method_string(spec.method);
    request.target(spec.target);
    request.version(11);
    request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    for (const auto& [name, value] : spec.headers) request.insert(name, value);
    request.body() = spec.body;
    if (!spec.body.empty() || spec.method == "POST" || spec.method == "PUT") request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    if (spec.method == "HEAD") parser.skip(true);
    http::read(stream, buffer, parser);
    auto& response = parser.get();
    result.status = static_cast<int>(response.result_int());
    for (const auto& field : response) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
      result.headers.emplace_back(name, std::string(field.value()));
    }
    result.body = response.body();
  } catch (const std::exception& e) {
    result.status = 0;
    result.error = e.what();
  }
  return result;
}

HttpResult http_get(uint16_t port, const std::string& target) {
  HttpRequestSpec spec;
  spec.target = target;
  return http_request(port, spec);
}

std::string raw_exchange(uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(timeout);
  std::string received;
  try {
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    asio::write(stream, asio::buffer(bytes));
    char chunk[4096];
    for (;;) {
      boost::system::error_code ec;
      size_t n = stream.read_some(asio::buffer(chunk), ec);
      received.append(chunk, n);
      if (ec) break;
    }
  } catch (const std::exception&) {
  }
  return received;
}

RawReply raw_exchange_until_close(uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(timeout);
  RawReply reply;
  try {
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    asio::write(stream, asio::buffer(bytes));
    char chunk[4096];
    for (;;) {
      boost::system::error_code ec;
      size_t n = stream.read_some(asio::buffer(chunk), ec);
      reply.bytes.append(chunk, n);
      if (ec) {
        reply.closed_by_server = ec != beast::error::timeout;
        break;
      }
    }
  } catch (const std::exception&) {
  }
  return reply;
}

}  // namespace agentgate::testing
