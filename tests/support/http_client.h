#pragma once
// A blocking HTTP/1.1 client for tests (Beast), loopback only.
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace agentgate::testing {

struct HttpResult {
  int status = 0;  // 0: no response (connection failed or closed)
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::string body;
  std::string error;  // why status is 0

  std::string header(const std::string& name) const;  // first value, "" if absent
  std::vector<std::string> headers_named(const std::string& name) const;
};

struct HttpRequestSpec {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{30'000};
};

HttpResult http_request(uint16_t port, const HttpRequestSpec& request);
HttpResult http_get(uint16_t port, const std::string& target);

// Sends raw bytes, then reads until the server closes or `timeout`; returns what came back.
std::string raw_exchange(uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// What a raw exchange saw: the bytes, and whether the server ended the connection (EOF or reset)
// before `timeout` ran out.
struct RawReply {
  std::string bytes;
  bool closed_by_server = false;
};
RawReply raw_exchange_until_close(uint16_t port, const std::string& bytes,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace agentgate::testing
