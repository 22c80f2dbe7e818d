// `agentgate serve` settings (dispatcher/config.h): defaults, every flag, AGENTGATE_* variables,
// flags over environment, and USAGE errors that name the flag or variable.
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "dispatcher/config.h"

namespace agentgate {
namespace {

using Env = std::map<std::string, std::string>;

EnvLookup lookup(Env env) {
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

Result<ServeConfig> parse(std::vector<std::string> args, Env env = {}) { return parse_serve_args(args, lookup(std::move(env))); }

std::string ms(std::chrono::milliseconds value) { return std::to_string(value.count()) + "ms"; }

std::string test_name(std::string text) {
  std::string name;
  for (char c : text) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

TEST(ServeConfig, Defaults) {
  auto config = parse({});
  ASSERT_TRUE(config) << config.error().message;
  std::string summary = config->listen_host + ":" + std::to_string(config->listen_port) + " data=" + config->data_dir +
                        " origin=" + config->public_origin + " agents=" + config->agents_dir +
                        " token=" + config->admin_token_file + " cpu=" + ms(config->limits.cpu_time) +
                        " wall=" + ms(config->limits.wall_time) + " heap=" + std::to_string(config->limits.heap_bytes) +
                        " body=" + std::to_string(config->max_body_bytes) + " quiet=" + std::to_string(config->quiet);
  EXPECT_EQ(summary, "127.0.0.1:8080 data=./data origin= agents= token= cpu=50ms wall=30000ms heap=134217728 body=1048576 quiet=0");
}

TEST(ServeConfig, FetchDefaults) {
  auto config = parse({});
  ASSERT_TRUE(config) << config.error().message;
  const FetchLimits& fetch = config->limits.fetch;
  std::string summary = "timeout=" + ms(fetch.timeout) + " response=" + std::to_string(fetch.max_response_bytes) +
                        " request=" + std::to_string(fetch.max_request_bytes) + " per-request=" +
                        std::to_string(fetch.max_per_invocation) + " redirects=" + std::to_string(fetch.max_redirects) + " in-flight=" + std::to_string(fetch.max_in_flight_per_worker) +
                        " allow=" + std::to_string(config->egress_allow.size()) + " ca=" + config->extra_ca_file;
  EXPECT_EQ(summary, "timeout=10000ms response=10485760 request=10485760 per-request=50 redirects=5 in-flight=100 allow=0 ca=");
}

TEST(ServeConfig, WorkersDefaultToCores) {
  auto config = parse({});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->workers, std::max(1u, std::thread::hardware_concurrency()));
}

// One setting, read back as text.
struct SettingRow {
  std::string name;
  std::vector<std::string> args;
  Env env;
  std::function<std::string(const ServeConfig&)> read;
  std::string expected;
};
void PrintTo(const SettingRow& row, std::ostream* os) { *os << row.name; }

class ServeSetting : public ::testing::TestWithParam<SettingRow> {};

TEST_P(ServeSetting, Applies) {
  const SettingRow& row = GetParam();
  auto config = parse(row.args, row.env);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(row.read(*config), row.expected);
}

std::string listen_of(const ServeConfig& c) { return c.listen_host + " " + std::to_string(c.listen_port); }
std::string reserved_of(const ServeConfig& c) {
  std::string out;
  for (const auto& name : c.reserved_cookies.names) out += name + ",";
  return out + " prefix=" + c.reserved_cookies.prefix;
}
std::string egress_of(const ServeConfig& c) {
  std::string out;
  for (const auto& allowed : c.egress_allow) out += (out.empty() ? "" : " ") + allowed.host + ":" + std::to_string(allowed.port);
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ServeSetting,
    ::testing::Values(
        // Each flag.
        SettingRow{"listen", {"--listen", "0.0.0.0:9000"}, {}, listen_of, "0.0.0.0 9000"},
        SettingRow{"listen with equals", {"--listen=10.1.2.3:81"}, {}, listen_of, "10.1.2.3 81"},
        SettingRow{"listen IPv6 in brackets", {"--listen", "[::1]:8080"}, {}, listen_of, "::1 8080"},
        SettingRow{"listen host name", {"--listen", "localhost:1"}, {}, listen_of, "localhost 1"},
        SettingRow{"listen port 0 picks a free one", {"--listen", "127.0.0.1:0"}, {}, listen_of, "127.0.0.1 0"},
        SettingRow{"listen port 65535", {"--listen", "127.0.0.1:65535"}, {}, listen_of, "127.0.0.1 65535"},
        SettingRow{"data-dir", {"--data-dir", "/var/lib/agentgate"}, {}, [](auto& c) { return c.data_dir; }, "/var/lib/agentgate"},
        SettingRow{"public-origin https", {"--public-origin", "https://agents.example.com"}, {},
                   [](auto& c) { return c.public_origin; }, "https://agents.example.com"},
        SettingRow{"public-origin http with port", {"--public-origin", "http://localhost:8080"}, {},
                   [](auto& c) { return c.public_origin; }, "http://localhost:8080"},
        SettingRow{"agents-dir", {"--agents-dir", "agents"}, {}, [](auto& c) { return c.agents_dir; }, "agents"},
        SettingRow{"admin-token-file", {"--admin-token-file", "/run/token"}, {}, [](auto& c) { return c.admin_token_file; },
                   "/run/token"},
        SettingRow{"workers", {"--workers", "3"}, {}, [](auto& c) { return std::to_string(c.workers); }, "3"},
        SettingRow{"cpu-limit-ms", {"--cpu-limit-ms", "75"}, {}, [](auto& c) { return ms(c.limits.cpu_time); }, "75ms"},
        SettingRow{"wall-limit-ms", {"--wall-limit-ms", "1000"}, {}, [](auto& c) { return ms(c.limits.wall_time); }, "1000ms"},
        SettingRow{"startup-cpu-limit-ms", {"--startup-cpu-limit-ms", "200"}, {},
                   [](auto& c) { return ms(c.limits.startup_cpu_time); }, "200ms"},
        SettingRow{"heap-limit-mb", {"--heap-limit-mb", "64"}, {}, [](auto& c) { return std::to_string(c.limits.heap_bytes); },
                   "67108864"},
        SettingRow{"max-body-bytes", {"--max-body-bytes", "10"}, {}, [](auto& c) { return std::to_string(c.max_body_bytes); }, "10"},
        SettingRow{"max-header-bytes", {"--max-header-bytes", "2048"}, {},
                   [](auto& c) { return std::to_string(c.max_header_bytes); }, "2048"},
        SettingRow{"read-timeout-ms", {"--read-timeout-ms", "500"}, {}, [](auto& c) { return ms(c.read_timeout); }, "500ms"},
        SettingRow{"drain-timeout-ms", {"--drain-timeout-ms", "0"}, {}, [](auto& c) { return ms(c.drain_timeout); }, "0ms"},
        SettingRow{"quiet", {"--quiet"}, {}, [](auto& c) { return std::to_string(c.quiet); }, "1"},
        SettingRow{"fetch-timeout-ms", {"--fetch-timeout-ms", "2500"}, {}, [](auto& c) { return ms(c.limits.fetch.timeout); },
                   "2500ms"},
        SettingRow{"fetch-max-response-bytes", {"--fetch-max-response-bytes", "4096"}, {},
                   [](auto& c) { return std::to_string(c.limits.fetch.max_response_bytes); }, "4096"},
        SettingRow{"fetch-max-request-bytes", {"--fetch-max-request-bytes", "1024"}, {},
                   [](auto& c) { return std::to_string(c.limits.fetch.max_request_bytes); }, "1024"},
        SettingRow{"fetch-max-per-request", {"--fetch-max-per-request", "3"}, {},
                   [](auto& c) { return std::to_string(c.limits.fetch.max_per_invocation); }, "3"},
        SettingRow{"fetch-max-in-flight", {"--fetch-max-in-flight", "7"}, {},
                   [](auto& c) { return std::to_string(c.limits.fetch.max_in_flight_per_worker); }, "7"},
        SettingRow{"fetch-max-redirects", {"--fetch-max-redirects", "0"}, {},
                   [](auto& c) { return std::to_string(c.limits.fetch.max_redirects); }, "0"},
        SettingRow{"kv-max-key-bytes", {"--kv-max-key-bytes", "64"}, {},
                   [](auto& c) { return std::to_string(c.limits.kv.max_key_bytes); }, "64"},
        SettingRow{"kv-max-user-id-bytes", {"--kv-max-user-id-bytes", "32"}, {},
                   [](auto& c) { return std::to_string(c.limits.kv.max_user_id_bytes); }, "32"},
        SettingRow{"kv-max-value-bytes", {"--kv-max-value-bytes", "4096"}, {},
                   [](auto& c) { return std::to_string(c.limits.kv.max_value_bytes); }, "4096"},
        SettingRow{"kv-max-list-limit also lowers the default page", {"--kv-max-list-limit", "10"}, {},
                   [](auto& c) {
                     return std::to_string(c.limits.kv.max_list_limit) + " " + std::to_string(c.limits.kv.default_list_limit);
                   },
                   "10 10"},
        SettingRow{"kv-max-list-limit above the default page keeps it", {"--kv-max-list-limit", "5000"}, {},
                   [](auto& c) {
                     return std::to_string(c.limits.kv.max_list_limit) + " " + std::to_string(c.limits.kv.default_list_limit);
                   },
                   "5000 100"},
        SettingRow{"extra-ca-file", {"--extra-ca-file", "/etc/test-ca.pem"}, {}, [](auto& c) { return c.extra_ca_file; },
                   "/etc/test-ca.pem"},
        SettingRow{"egress-allow repeats", {"--egress-allow", "127.0.0.1:8443", "--egress-allow", "[::1]:80"}, {},
                   egress_of, "127.0.0.1:8443 ::1:80"},
        SettingRow{"egress-allow host name, lower-cased", {"--egress-allow=Auth.Internal:443"}, {}, egress_of,
                   "auth.internal:443"},
        SettingRow{"AGENTGATE_EGRESS_ALLOW lists several", {}, {{"AGENTGATE_EGRESS_ALLOW", "a.test:1,10.0.0.5:2"}}, egress_of,
                   "a.test:1 10.0.0.5:2"},
        SettingRow{"egress-allow flag adds to the environment's", {"--egress-allow", "b.test:3"},
                   {{"AGENTGATE_EGRESS_ALLOW", "a.test:1"}}, egress_of, "a.test:1 b.test:3"},
        SettingRow{"reserved cookies by default", {}, {}, reserved_of, "session,logged_in, prefix=_agentgate_"},
        SettingRow{"reserved-cookie-names replaces the list", {"--reserved-cookie-names", "sid,__platform"}, {}, reserved_of,
                   "sid,__platform, prefix=_agentgate_"},
        SettingRow{"AGENTGATE_RESERVED_COOKIE_NAMES", {}, {{"AGENTGATE_RESERVED_COOKIE_NAMES", "sid"}}, reserved_of,
                   "sid, prefix=_agentgate_"},
        SettingRow{"reserved-cookie-names with spaces after the commas", {"--reserved-cookie-names", "sid, pref ,x"}, {},
                   reserved_of, "sid,pref,x, prefix=_agentgate_"},
        SettingRow{"reserved-cookie-prefix", {"--reserved-cookie-prefix", "_platform_"}, {}, reserved_of,
                   "session,logged_in, prefix=_platform_"},
        SettingRow{"several flags together", {"--workers", "2", "--data-dir=d", "--listen", "127.0.0.1:1"}, {},
                   [](auto& c) { return std::to_string(c.workers) + " " + c.data_dir + " " + listen_of(c); },
                   "2 d 127.0.0.1 1"},

        // The same settings from the environment.
        SettingRow{"AGENTGATE_LISTEN", {}, {{"AGENTGATE_LISTEN", "0.0.0.0:7000"}}, listen_of, "0.0.0.0 7000"},
        SettingRow{"AGENTGATE_DATA_DIR", {}, {{"AGENTGATE_DATA_DIR", "/env/data"}}, [](auto& c) { return c.data_dir; }, "/env/data"},
        SettingRow{"AGENTGATE_PUBLIC_ORIGIN", {}, {{"AGENTGATE_PUBLIC_ORIGIN", "https://a.example"}},
                   [](auto& c) { return c.public_origin; }, "https://a.example"},
        SettingRow{"AGENTGATE_AGENTS_DIR", {}, {{"AGENTGATE_AGENTS_DIR", "/env/agents"}}, [](auto& c) { return c.agents_dir; },
                   "/env/agents"},
        SettingRow{"AGENTGATE_ADMIN_TOKEN_FILE", {}, {{"AGENTGATE_ADMIN_TOKEN_FILE", "/env/token"}},
                   [](auto& c) { return c.admin_token_file; }, "/env/token"},
        SettingRow{"AGENTGATE_WORKERS", {}, {{"AGENTGATE_WORKERS", "5"}}, [](auto& c) { return std::to_string(c.workers); }, "5"},
        SettingRow{"AGENTGATE_CPU_LIMIT_MS", {}, {{"AGENTGATE_CPU_LIMIT_MS", "20"}}, [](auto& c) { return ms(c.limits.cpu_time); },
                   "20ms"},
        SettingRow{"AGENTGATE_HEAP_LIMIT_MB", {}, {{"AGENTGATE_HEAP_LIMIT_MB", "32"}},
                   [](auto& c) { return std::to_string(c.limits.heap_bytes); }, "33554432"},
        SettingRow{"AGENTGATE_QUIET=1", {}, {{"AGENTGATE_QUIET", "1"}}, [](auto& c) { return std::to_string(c.quiet); }, "1"},
        SettingRow{"AGENTGATE_QUIET=0", {}, {{"AGENTGATE_QUIET", "0"}}, [](auto& c) { return std::to_string(c.quiet); }, "0"},
        SettingRow{"unrelated variables are ignored", {}, {{"DATA_DIR", "/x"}, {"AGENTGATE_data_dir", "/y"}},
                   [](auto& c) { return c.data_dir; }, "./data"},

        // Flags win over the environment.
        SettingRow{"flag over AGENTGATE_DATA_DIR", {"--data-dir", "/flag"}, {{"AGENTGATE_DATA_DIR", "/env"}},
                   [](auto& c) { return c.data_dir; }, "/flag"},
        SettingRow{"flag over AGENTGATE_LISTEN", {"--listen", "127.0.0.1:1"}, {{"AGENTGATE_LISTEN", "0.0.0.0:2"}}, listen_of,
                   "127.0.0.1 1"},
        SettingRow{"flag over AGENTGATE_WORKERS", {"--workers=4"}, {{"AGENTGATE_WORKERS", "7"}},
                   [](auto& c) { return std::to_string(c.workers); }, "4"},
        SettingRow{"environment fills what flags leave", {"--workers", "4"}, {{"AGENTGATE_DATA_DIR", "/env"}},
                   [](auto& c) { return std::to_string(c.workers) + " " + c.data_dir; }, "4 /env"}),
    [](const auto& info) { return test_name(info.param.name); });

// A rejected command line: the error code and the text the message must contain.
struct UsageRow {
  std::string name;
  std::vector<std::string> args;
  Env env;
  std::string must_name;
};
void PrintTo(const UsageRow& row, std::ostream* os) { *os << row.name; }

class ServeUsageError : public ::testing::TestWithParam<UsageRow> {};

TEST_P(ServeUsageError, NamesTheCulprit) {
  const UsageRow& row = GetParam();
  auto config = parse(row.args, row.env);
  std::string verdict = config ? "accepted" : config.error().code;
  if (!config && config.error().message.find(row.must_name) == std::string::npos) {
    verdict += " without naming " + row.must_name + ": " + config.error().message;
  }
  EXPECT_EQ(verdict, "USAGE");
}

INSTANTIATE_TEST_SUITE_P(
    Table, ServeUsageError,
    ::testing::Values(
        UsageRow{"unknown flag", {"--bogus", "1"}, {}, "--bogus"},
        UsageRow{"unknown flag with equals", {"--data_dir=/x"}, {}, "--data_dir"},
        UsageRow{"single-dash flag", {"-listen", "1.2.3.4:5"}, {}, "-listen"},
        UsageRow{"positional argument", {"extra"}, {}, "extra"},
        UsageRow{"flag without its value", {"--data-dir"}, {}, "--data-dir"},
        UsageRow{"empty value", {"--data-dir="}, {}, "--data-dir"},
        UsageRow{"port out of range", {"--listen", "127.0.0.1:70000"}, {}, "--listen"},
        UsageRow{"listen without port", {"--listen", "127.0.0.1"}, {}, "--listen"},
        UsageRow{"listen with empty port", {"--listen", "127.0.0.1:"}, {}, "--listen"},
        UsageRow{"listen with empty host", {"--listen", ":8080"}, {}, "--listen"},
        UsageRow{"listen with a negative port", {"--listen", "127.0.0.1:-1"}, {}, "--listen"},
        UsageRow{"listen with trailing junk", {"--listen", "127.0.0.1:80x"}, {}, "--listen"},
        UsageRow{"listen IPv6 without brackets or port", {"--listen", "::1"}, {}, "--listen"},
        UsageRow{"workers 0", {"--workers", "0"}, {}, "--workers"},
        UsageRow{"workers not a number", {"--workers", "two"}, {}, "--workers"},
        UsageRow{"workers negative", {"--workers", "-1"}, {}, "--workers"},
        UsageRow{"workers too many", {"--workers", "257"}, {}, "--workers"},
        UsageRow{"cpu limit 0", {"--cpu-limit-ms", "0"}, {}, "--cpu-limit-ms"},
        UsageRow{"kv key limit 0", {"--kv-max-key-bytes", "0"}, {}, "--kv-max-key-bytes"},
        UsageRow{"kv user_id limit past the encoding's 65535", {"--kv-max-user-id-bytes", "65536"}, {}, "--kv-max-user-id-bytes"},
        UsageRow{"heap below the minimum", {"--heap-limit-mb", "15"}, {}, "--heap-limit-mb"},
        UsageRow{"number with a unit", {"--wall-limit-ms", "30s"}, {}, "--wall-limit-ms"},
        UsageRow{"public-origin without scheme", {"--public-origin", "agents.example.com"}, {}, "--public-origin"},
        UsageRow{"public-origin with another scheme", {"--public-origin", "ftp://agents.example.com"}, {}, "--public-origin"},
        UsageRow{"public-origin with a path", {"--public-origin", "https://agents.example.com/app"}, {}, "--public-origin"},
        UsageRow{"public-origin with a query", {"--public-origin", "https://agents.example.com?x=1"}, {}, "--public-origin"},
        UsageRow{"public-origin with user info", {"--public-origin", "https://user@agents.example.com"}, {}, "--public-origin"},
        UsageRow{"public-origin with no host", {"--public-origin", "https://"}, {}, "--public-origin"},
        UsageRow{"public-origin with a non-numeric port", {"--public-origin", "https://agents.example.com:https"}, {}, "--public-origin"},
        UsageRow{"public-origin with a space", {"--public-origin", "https://a b.example"}, {}, "--public-origin"},
        UsageRow{"egress-allow without a port", {"--egress-allow", "127.0.0.1"}, {}, "--egress-allow"},
        UsageRow{"egress-allow with port 0", {"--egress-allow", "127.0.0.1:0"}, {}, "--egress-allow"},
        UsageRow{"egress-allow IPv6 without brackets", {"--egress-allow", "::1:80"}, {}, "--egress-allow"},
        UsageRow{"egress-allow with a path", {"--egress-allow", "a.test/x:80"}, {}, "--egress-allow"},
        UsageRow{"egress-allow with a scheme", {"--egress-allow", "https://a.test:443"}, {}, "--egress-allow"},
        UsageRow{"egress-allow empty item in the environment", {}, {{"AGENTGATE_EGRESS_ALLOW", "a.test:1,"}},
                 "AGENTGATE_EGRESS_ALLOW"},
        UsageRow{"reserved-cookie-names with an empty name", {"--reserved-cookie-names", "sid,,x"}, {}, "--reserved-cookie-names"},
        UsageRow{"reserved-cookie-names with a separator", {"--reserved-cookie-names", "a;b"}, {}, "--reserved-cookie-names"},
        UsageRow{"reserved-cookie-names in the agents' namespace", {"--reserved-cookie-names", "agt_x"}, {},
                 "--reserved-cookie-names"},
        UsageRow{"reserved-cookie-prefix taking in every agent", {"--reserved-cookie-prefix", "agt"}, {},
                 "--reserved-cookie-prefix"},
        UsageRow{"reserved-cookie-prefix inside the agents' namespace", {"--reserved-cookie-prefix", "agt_1"}, {},
                 "--reserved-cookie-prefix"},
        UsageRow{"reserved-cookie-prefix with a space", {"--reserved-cookie-prefix", "a b"}, {}, "--reserved-cookie-prefix"},
        UsageRow{"fetch-max-redirects over 20", {"--fetch-max-redirects", "21"}, {}, "--fetch-max-redirects"},
        UsageRow{"fetch-timeout-ms 0", {"--fetch-timeout-ms", "0"}, {}, "--fetch-timeout-ms"},
        UsageRow{"bad value in the environment", {}, {{"AGENTGATE_WORKERS", "0"}}, "AGENTGATE_WORKERS"},
        UsageRow{"bad listen in the environment", {}, {{"AGENTGATE_LISTEN", "nowhere"}}, "AGENTGATE_LISTEN"},
        UsageRow{"bad origin in the environment", {}, {{"AGENTGATE_PUBLIC_ORIGIN", "example.com"}}, "AGENTGATE_PUBLIC_ORIGIN"}),
    [](const auto& info) { return test_name(info.param.name); });

TEST(ServeConfig, UsageListsEveryFlag) {
  std::string usage = serve_usage();
  std::string missing;
  for (const char* flag : {"--listen", "--data-dir", "--public-origin", "--agents-dir", "--admin-token-file", "--workers",
                           "--cpu-limit-ms", "--wall-limit-ms", "--heap-limit-mb", "--max-body-bytes", "--quiet", "--help"}) {
    if (usage.find(flag) == std::string::npos) missing += std::string(flag) + " ";
  }
  EXPECT_EQ(missing, "");
}

}  // namespace
}  // namespace agentgate
