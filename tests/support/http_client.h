#pragma once
// A blocking HTTP/1.1 client for tests (Beast), loopback only.
#include <chrono>
#include <cstdint>
#include <memory>
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
  std::vector<std::pair<std::string, std::string>> headers;  // a "host" entry replaces the default Host
  std::string body;
  std::chrono::milliseconds timeout{30'000};
};

HttpResult http_request(uint16_t port, const HttpRequestSpec& request);

// One persistent (keep-alive) connection: several requests in turn, then a look at whether the
// server has closed it. Not thread-safe; one test thread owns it.
class HttpConnection {
 public:
  explicit HttpConnection(uint16_t port);  // connects; connected() says whether it worked
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const;
  HttpResult request(const HttpRequestSpec& request);  // send() then receive()
  bool send(const HttpRequestSpec& request);
  HttpResult receive(bool head = false, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits up to `timeout` for the server to close the connection; true if it did.
  bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  struct State;
  std::unique_ptr<State> state_;
};
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

// Like raw_exchange_until_close, but reads while it is still sending, as browsers and curl do: a
// server may answer (413) before the request's body is through, then stop reading it.
RawReply raw_send_while_reading(uint16_t port, const std::string& bytes,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace agentgate::testing
