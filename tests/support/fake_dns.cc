#include "tests/support/fake_dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

namespace agentgate::testing {
namespace {

constexpr uint16_t kTypeA = 1;
constexpr size_t kHeaderBytes = 12;

uint16_t read16(const uint8_t* at) { return static_cast<uint16_t>(at[0] << 8 | at[1]); }
void put16(std::vector<uint8_t>& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value & 0xff));
}

}  // namespace

FakeDns::FakeDns(Script script) : script_(std::move(script)) {
  socket_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(53);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (socket_ < 0 || ::bind(socket_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    error_ = std::string("cannot listen on 127.0.0.1:53: ") + std::strerror(errno);
    return;
  }
  thread_ = std::thread([this] { serve(); });
}

FakeDns::~FakeDns() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (socket_ >= 0) ::close(socket_);
}

size_t FakeDns::a_queries(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = a_queries_.find(name);
  return it == a_queries_.end() ? 0 : it->second;
}

void FakeDns::serve() {
  while (!stop_) {
    pollfd ready{socket_, POLLIN, 0};
    if (::poll(&ready, 1, 50) <= 0) continue;  // wakes up to see stop_
    uint8_t query[512];
    sockaddr_in peer{};
    socklen_t peer_length = sizeof peer;
    ssize_t length = ::recvfrom(socket_, query, sizeof query, 0, reinterpret_cast<sockaddr*>(&peer), &peer_length);
    if (length <= 0) continue;
    auto reply = answer(query, static_cast<size_t>(length));
    if (!reply.empty()) {
      ::sendto(socket_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), peer_length);
    }
  }
}

std::vector<uint8_t> FakeDns::answer(const uint8_t* query, size_t length) {
  if (length < kHeaderBytes || read16(query + 4) != 1) return {};  // exactly one question
  // The question: labels up to the root, then type and class.
  std::string name;
  size_t at = kHeaderBytes;
  while (at < length && query[at] != 0) {
    size_t label = query[at++];
    if (label > 63 || at + label > length) return {};
    if (!name.empty()) name += '.';
    for (size_t i = 0; i < label; ++i) name += static_cast<char>(std::tolower(query[at + i]));
    at += label;
  }
  if (at + 5 > length) return {};
  size_t question_end = at + 5;  // the root label, type, class
  uint16_t type = read16(query + at + 1);

  std::vector<Ipv4> records;
  uint8_t rcode = 0;
  auto entry = script_.find(name);
  if (entry == script_.end() || entry->second.empty()) {
    rcode = 3;  // NXDOMAIN
  } else if (type == kTypeA) {
    std::lock_guard lock(mutex_);
    size_t turn = a_queries_[name]++;
    records = entry->second[std::min(turn, entry->second.size() - 1)];
  }

  std::vector<uint8_t> reply(query, query + 2);  // the query's id
  put16(reply, static_cast<uint16_t>(0x8180 | (query[2] & 0x01) << 8 | rcode));  // response, RD echoed, RA
  put16(reply, 1);
  put16(reply, static_cast<uint16_t>(records.size()));
  put16(reply, 0);
  put16(reply, 0);
  reply.insert(reply.end(), query + kHeaderBytes, query + question_end);
  for (const Ipv4& address : records) {
    put16(reply, 0xc00c);  // the name: a pointer to the question's
    put16(reply, kTypeA);
    put16(reply, 1);  // class IN
    put16(reply, 0);  // TTL 0: nothing may cache it
    put16(reply, 0);
    put16(reply, 4);
    reply.insert(reply.end(), address.begin(), address.end());
  }
  return reply;
}

}  // namespace agentgate::testing
