// The egress guard against destinations that are not loopback: private, link-local with the cloud
// metadata address, CGNAT, unique-local, public. These cases run only inside a fresh network
// namespace that has nothing but loopback, so a broken guard can never send a packet to a real
// private or metadata address: EgressNamespace.RunsTheCasesInALoopbackOnlyNamespace re-runs this
// binary under `unshare --net` for them; run any other way they skip, saying why.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "tests/support/agent_fixtures.h"
#include "tests/support/command_runner.h"
#include "tests/support/fake_dns.h"
#include "tests/support/fetch_agent.h"
#include "tests/support/provider_server.h"

namespace agentgate::testing {
namespace {

using boost::json::value;

constexpr const char* kInNamespace = "AGENTGATE_TEST_IN_LOOPBACK_NETNS";
constexpr const char* kOwnResolvConf = "AGENTGATE_TEST_OWN_RESOLV_CONF";  // /etc/resolv.conf names 127.0.0.1

bool marked(const char* variable) {
  const char* mark = std::getenv(variable);
  return mark && std::string(mark) == "1";
}
bool marked_as_in_namespace() { return marked(kInNamespace); }

// The network interfaces of this process's namespace (/proc/self/net/dev follows the namespace;
// /sys/class/net shows the one sysfs was mounted in).
std::vector<std::string> interfaces() {
  std::vector<std::string> names;
  std::ifstream dev("/proc/self/net/dev");
  std::string line;
  for (int skip = 0; skip < 2 && std::getline(dev, line); ++skip) {
  }
  while (std::getline(dev, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t start = line.find_first_not_of(' ');
    names.push_back(line.substr(start, colon - start));
  }
  return names;
}

std::string find_program(const std::vector<std::string>& candidates) {
  for (const auto& path : candidates) {
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

TEST(EgressNamespace, RunsTheCasesInALoopbackOnlyNamespace) {
  if (marked_as_in_namespace()) GTEST_SKIP() << "already inside the namespace";
  std::string unshare = find_program({"/usr/bin/unshare", "/bin/unshare"});
  std::string ip = find_program({"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"});
  if (unshare.empty() || ip.empty()) {
    GTEST_SKIP() << "unshare or ip (util-linux, iproute2) is missing: the non-loopback egress cases were NOT run";
  }
  auto probe = run_command({unshare, "--net", ip, "link", "set", "lo", "up"});
  if (probe.exit_code != 0) {
    GTEST_SKIP() << "cannot create a network namespace here (needs root or user namespaces): the non-loopback "
                    "egress cases were NOT run. "
                 << probe.err;
  }
  char self[4096];
  ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  ASSERT_GT(length, 0);
  self[length] = '\0';
  // A mount namespace too, when it can be had, so that /etc/resolv.conf can name the test's own
  // DNS server (the rebinding case); otherwise those cases skip.
  TempDir dir;
  std::string resolv_conf = dir.path() + "/resolv.conf";
  write_files(dir.path(), {{"resolv.conf", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"}});
  std::string mount = find_program({"/usr/bin/mount", "/bin/mount"});
  bool own_dns = !mount.empty() && run_command({unshare, "--net", "--mount", mount, "--bind", resolv_conf, "/etc/resolv.conf"}).exit_code == 0;
  std::vector<std::string> command = {unshare, "--net"};
  if (own_dns) command.push_back("--mount");
  command.insert(command.end(), {"/bin/sh", "-c",
                                 own_dns ? "\"$0\" link set lo up && \"$3\" --bind \"$4\" /etc/resolv.conf && exec \"$1\" \"$2\""
                                         : "\"$0\" link set lo up && exec \"$1\" \"$2\"",
                                 ip, self, "--gtest_filter=EgressGuardInNamespace.*", mount, resolv_conf});
  auto run = run_command(command, {{kInNamespace, "1"}, {kOwnResolvConf, own_dns ? "1" : "0"}}, std::chrono::seconds(120));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("[  PASSED  ]"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("[  FAILED  ]"), std::string::npos) << run.out;
  if (own_dns) {
    EXPECT_EQ(run.out.find("[  SKIPPED ]"), std::string::npos) << run.out;
  } else {
    std::cout << "no mount namespace: the DNS rebinding case was skipped\n";
  }
}

class EgressGuardInNamespace : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!marked_as_in_namespace()) {
      GTEST_SKIP() << "runs only inside a loopback-only network namespace (EgressNamespace.* starts it)";
    }
    // Never run these where a real network is reachable.
    ASSERT_EQ(interfaces(), std::vector<std::string>{"lo"}) << "not a loopback-only namespace: refusing to run";
    server = std::make_unique<ServerProcess>(dir.path() + "/data",
                                             std::vector<std::string>{"--egress-allow", "127.0.0.1:" + port(),
                                                                      "--egress-allow", "10.0.0.1:80",
                                                                      "--fetch-timeout-ms", "2000"});
    ASSERT_TRUE(server->started()) << server->log();
    ASSERT_EQ(deploy_fetch_agent(*server), 201);
  }

  std::string port() const { return std::to_string(provider.port()); }
  value fetch(const std::string& url) { return fetch_through_agent(*server, "get", url); }
  std::string redirect_to(const std::string& url) {
    return "http://127.0.0.1:" + port() + "/redirect?to=" + percent_encode(url);
  }

  ProviderServer provider;  // admitted: where the redirects come from
  TempDir dir;
  std::unique_ptr<ServerProcess> server;
};

TEST_F(EgressGuardInNamespace, RefusesPrivateLinkLocalMetadataCgnatAndUniqueLocalDestinations) {
  for (const std::string& url : std::vector<std::string>{"http://10.0.0.2/", "http://10.0.0.1:81/", "http://169.254.169.254/latest/meta-data/",
                                "http://172.16.0.1/", "http://192.168.1.1/", "http://100.64.0.1/", "http://[fd00::1]/",
                                "http://[fe80::1]/", "http://[::ffff:10.0.0.1]/", "http://[::ffff:169.254.169.254]/",
                                "http://224.0.0.1/", "http://0.0.0.0:" + port() + "/"}) {
    value result = fetch(url);
    EXPECT_EQ(fetch_error_code(result), "EGRESS_DENIED") << url << ": " << result;
    EXPECT_NE(json_string(result.at("error"), "message").find("not allowed"), std::string::npos) << url;
  }
}

TEST_F(EgressGuardInNamespace, RefusesARedirectToAnyOfThem) {
  for (const std::string url : {"http://10.0.0.2/", "http://169.254.169.254/latest/meta-data/", "http://[fd00::1]/",
                                "http://[::ffff:169.254.169.254]/"}) {
    value result = fetch(redirect_to(url));
    EXPECT_EQ(fetch_error_code(result), "EGRESS_DENIED") << url << ": " << result;
  }
}

TEST_F(EgressGuardInNamespace, AdmitsPublicAddressesAndExactlyTheNamedException) {
  // Admitted, so the fetch tries to connect; this namespace has no route, so it fails there.
  for (const std::string url : {"http://93.184.216.34/", "http://[2606:4700::1111]/", "http://10.0.0.1/"}) {
    value result = fetch(url);
    EXPECT_EQ(fetch_error_code(result), "NETWORK_ERROR") << url << ": " << result;
  }
  EXPECT_EQ(json_int(fetch("http://127.0.0.1:" + port() + "/json"), "status"), 200);
}

TEST_F(EgressGuardInNamespace, ConnectsOnlyToTheAddressItCheckedSoDnsRebindingFails) {
  if (!marked(kOwnResolvConf)) GTEST_SKIP() << "needs a mount namespace for its own /etc/resolv.conf";
  const FakeDns::Ipv4 kPublic = {93, 184, 216, 34};
  const FakeDns::Ipv4 kLoopback = {127, 0, 0, 1};
  FakeDns dns({
      {"rebind.test", {{kPublic}, {kLoopback}}},  // public when checked, loopback for any second lookup
      {"mixed.test", {{kPublic, kLoopback}}},     // both at once
      {"inside.test", {{kLoopback}}},
  });
  ASSERT_TRUE(dns.ok()) << dns.error();
  std::string where = ":" + port() + "/echo";
  size_t connections = provider.connections_seen();

  // The public address passed the check, so that is where it connects (and, with no route here,
  // fails): never to the loopback provider a second answer points at.
  value rebound = fetch("http://rebind.test" + where);
  EXPECT_EQ(fetch_error_code(rebound), "NETWORK_ERROR") << rebound;
  EXPECT_EQ(dns.a_queries("rebind.test"), 1u) << "one lookup per hop";
  value again = fetch("http://rebind.test" + where);  // the next fetch looks up again: loopback now
  EXPECT_EQ(fetch_error_code(again), "EGRESS_DENIED") << again;

  value mixed = fetch("http://mixed.test" + where);
  EXPECT_EQ(fetch_error_code(mixed), "NETWORK_ERROR") << mixed;

  value inside = fetch("http://inside.test" + where);
  EXPECT_EQ(fetch_error_code(inside), "EGRESS_DENIED") << inside;
  EXPECT_NE(json_string(inside.at("error"), "message").find("inside.test resolves to a loopback"), std::string::npos);

  EXPECT_EQ(provider.connections_seen(), connections) << "a fetch reached the loopback provider";
}

}  // namespace
}  // namespace agentgate::testing
