// The egress guard's address rule (policy/egress.h): what fetch may never connect to, in every
// form an address can take.
#include "policy/egress.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>

namespace agentgate {
namespace {

IpAddress parse(const std::string& text) {
  std::array<uint8_t, 16> v6{};
  std::array<uint8_t, 4> v4{};
  if (inet_pton(AF_INET, text.c_str(), v4.data()) == 1) return IpAddress::v4(v4);
  EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), v6.data()), 1) << text;
  return IpAddress::v6(v6);
}

struct EgressCase {
  const char* address;
  bool refused;
};

class EgressRule : public ::testing::TestWithParam<EgressCase> {};

TEST_P(EgressRule, RefusesExactlyTheNonPublicAddresses) {
  auto refusal = egress_refusal(parse(GetParam().address));
  EXPECT_EQ(refusal.has_value(), GetParam().refused) << GetParam().address << ": " << refusal.value_or("allowed");
}

INSTANTIATE_TEST_SUITE_P(
    Addresses, EgressRule,
    ::testing::Values(
        // IPv4 refused
        EgressCase{"0.0.0.0", true}, EgressCase{"127.0.0.1", true}, EgressCase{"127.255.255.254", true},
        EgressCase{"10.0.0.1", true}, EgressCase{"10.255.255.255", true}, EgressCase{"172.16.0.1", true},
        EgressCase{"172.31.255.255", true}, EgressCase{"192.168.1.1", true}, EgressCase{"169.254.169.254", true},
        EgressCase{"169.254.0.1", true}, EgressCase{"100.64.0.1", true}, EgressCase{"100.127.255.255", true},
        EgressCase{"224.0.0.1", true}, EgressCase{"239.255.255.250", true}, EgressCase{"255.255.255.255", true},
        EgressCase{"240.0.0.1", true}, EgressCase{"192.0.2.10", true}, EgressCase{"198.18.0.1", true},
        EgressCase{"192.0.0.8", true},
        // IPv4 allowed: just outside each range
        EgressCase{"8.8.8.8", false}, EgressCase{"1.1.1.1", false}, EgressCase{"172.15.255.255", false},
        EgressCase{"172.32.0.0", false}, EgressCase{"100.63.255.255", false}, EgressCase{"100.128.0.0", false},
        EgressCase{"169.253.255.255", false}, EgressCase{"192.169.0.1", false}, EgressCase{"11.0.0.1", false},
        EgressCase{"223.255.255.255", false}, EgressCase{"142.250.74.46", false},
        // IPv6 refused
        EgressCase{"::", true}, EgressCase{"::1", true}, EgressCase{"fe80::1", true}, EgressCase{"febf::1", true},
        EgressCase{"fc00::1", true}, EgressCase{"fd12:3456::1", true}, EgressCase{"ff02::1", true},
        EgressCase{"fec0::1", true}, EgressCase{"2001:db8::1", true}, EgressCase{"100::1", true},
        EgressCase{"64:ff9b:1::a00:1", true}, EgressCase{"::ffff:0:a9fe:a9fe", true}, EgressCase{"2001:0:4136:e378::1", true},
        // IPv4 inside IPv6, judged as the IPv4 it carries
        EgressCase{"::ffff:127.0.0.1", true}, EgressCase{"::ffff:169.254.169.254", true},
        EgressCase{"::ffff:10.1.2.3", true}, EgressCase{"::ffff:8.8.8.8", false},
        EgressCase{"64:ff9b::127.0.0.1", true}, EgressCase{"64:ff9b::8.8.8.8", false},
        EgressCase{"2002:7f00:1::", true}, EgressCase{"2002:a9fe:a9fe::1", true}, EgressCase{"2002:808:808::1", false},
        EgressCase{"::127.0.0.1", true}, EgressCase{"::10.0.0.1", true},
        // IPv6 allowed
        EgressCase{"2001:4860:4860::8888", false}, EgressCase{"2606:4700:4700::1111", false}),
    [](const auto& info) {
      std::string name = info.param.address;
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

TEST(EgressRule, TheReasonNamesTheRange) {
  EXPECT_EQ(egress_refusal(parse("169.254.169.254")).value_or(""), "link-local, cloud metadata (169.254.0.0/16)");
  EXPECT_EQ(egress_refusal(parse("::ffff:192.168.0.1")).value_or(""), "private (192.168.0.0/16)");
}

TEST(BlockedPorts, AreTheFetchStandardsBadPorts) {
  for (uint16_t port : {0, 1, 22, 25, 53, 110, 143, 465, 587, 993, 6667, 10080}) EXPECT_TRUE(is_blocked_port(port)) << port;
  for (uint16_t port : {80, 443, 8080, 8443, 3000, 5000, 9000, 10079, 10081, 65535}) EXPECT_FALSE(is_blocked_port(port)) << port;
}

}  // namespace
}  // namespace agentgate
