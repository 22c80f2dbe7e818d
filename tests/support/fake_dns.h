#pragma once
// A scripted DNS server for tests, on 127.0.0.1:53 (UDP): only ever run inside a test's own network
// and mount namespaces, where /etc/resolv.conf names it (see egress_namespace_test.cc). It answers
// A queries from a script that may change its answer from one query to the next, as a DNS
// rebinding attacker's server does; AAAA queries get no records, unknown names NXDOMAIN.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace agentgate::testing {

class FakeDns {
 public:
  using Ipv4 = std::array<uint8_t, 4>;
  // For each name (lower case, no final dot): the A records of the first query, of the second,
  // ...; queries past the end get the last entry again.
  using Script = std::map<std::string, std::vector<std::vector<Ipv4>>>;

  explicit FakeDns(Script script);
  ~FakeDns();
  FakeDns(const FakeDns&) = delete;
  FakeDns& operator=(const FakeDns&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  size_t a_queries(const std::string& name) const;  // A queries answered for `name` so far

 private:
  void serve();
  std::vector<uint8_t> answer(const uint8_t* query, size_t length);

  Script script_;
  std::string error_;
  int socket_ = -1;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::map<std::string, size_t> a_queries_;
  std::thread thread_;
};

}  // namespace agentgate::testing
