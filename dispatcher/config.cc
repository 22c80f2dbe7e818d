#include "dispatcher/config.h"

#include <algorithm>
#include <charconv>
#include <thread>

namespace agentgate {
namespace {

Error usage_error(std::string message) { return Error{"USAGE", std::move(message)}; }

std::optional<uint64_t> parse_number(std::string_view text, uint64_t min, uint64_t max) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) return std::nullopt;
  return value;
}

// A flag: its name, value description, help text, and how to apply a value.
struct Flag {
  std::string name;
  std::string value_name;
  std::string help;
  std::function<std::optional<std::string>(ServeConfig&, const std::string&)> apply;  // returns a problem
};

template <class Setter>
auto number_flag(uint64_t min, uint64_t max, Setter set) {
  return [=](ServeConfig& config, const std::string& value) -> std::optional<std::string> {
    auto number = parse_number(value, min, max);
    if (!number) return "expects an integer from " + std::to_string(min) + " to " + std::to_string(max);
    set(config, *number);
    return std::nullopt;
  };
}

template <class Member>
auto string_flag(Member member) {
  return [=](ServeConfig& config, const std::string& value) -> std::optional<std::string> {
    if (value.empty()) return "expects a non-empty value";
    config.*member = value;
    return std::nullopt;
  };
}

std::optional<std::string> apply_listen(ServeConfig& config, const std::string& value) {
  size_t colon = value.rfind(':');
  if (colon == std::string::npos) return "expects HOST:PORT, such as 127.0.0.1:8080 or [::1]:8080";
  std::string host = value.substr(0, colon);
  bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  auto port = parse_number(std::string_view(value).substr(colon + 1), 0, 65535);
  // An IPv6 address must be bracketed, or "::1" would read as host ":" port 1.
  bool ambiguous = !bracketed && host.find(':') != std::string::npos;
  if (host.empty() || !port || ambiguous) return "expects HOST:PORT, such as 127.0.0.1:8080 or [::1]:8080";
  config.listen_host = host;
  config.listen_port = static_cast<uint16_t>(*port);
  return std::nullopt;
}

std::optional<std::string> apply_origin(ServeConfig& config, const std::string& value) {
  bool scheme_ok = value.rfind("http://", 0) == 0 || value.rfind("https://", 0) == 0;
  size_t host_start = value.find("://") + 3;
  if (!scheme_ok || value.size() <= host_start || value.find('/', host_start) != std::string::npos ||
      value.find_first_of(" \t\r\n?#@") != std::string::npos) {
    return "expects an origin such as https://agents.example.com (scheme and host, no path)";
  }
  // An explicit port must be a number: "https://host:https" is not an origin.
  std::string_view authority = std::string_view(value).substr(host_start);
  size_t port_colon = authority.rfind(':');
  if (port_colon != std::string_view::npos && authority.find(']', port_colon) == std::string_view::npos &&
      !parse_number(authority.substr(port_colon + 1), 1, 65535)) {
    return "expects an origin such as https://agents.example.com:8443 (the port must be a number)";
  }
  config.public_origin = value;
  return std::nullopt;
}

// Repeatable; the environment variable may list several, separated by commas.
std::optional<std::string> apply_egress_allow(ServeConfig& config, const std::string& value) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = std::min(value.find(',', start), value.size());
    auto exception = parse_egress_exception(std::string_view(value).substr(start, comma - start));
    if (!exception) return exception.error().message;
    config.egress_allow.push_back(std::move(exception.value()));
    start = comma + 1;
  }
  return std::nullopt;
}

// Replaces the default list; the environment variable takes the same comma-separated list.
// Spaces around a name are dropped ("session, logged_in").
std::optional<std::string> apply_reserved_cookie_names(ServeConfig& config, const std::string& value) {
  ReservedCookies reserved = config.reserved_cookies;
  reserved.names.clear();
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = std::min(value.find(',', start), value.size());
    std::string_view name = std::string_view(value).substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    reserved.names.emplace_back(name);
    start = comma + 1;
  }
  if (auto problem = reserved_cookies_problem(reserved)) return "expects cookie names separated by commas: " + *problem;
  config.reserved_cookies = std::move(reserved);
  return std::nullopt;
}

std::optional<std::string> apply_reserved_cookie_prefix(ServeConfig& config, const std::string& value) {
  ReservedCookies reserved = config.reserved_cookies;
  reserved.prefix = value;
  if (auto problem = reserved_cookies_problem(reserved)) return "expects the start of a cookie name: " + *problem;
  config.reserved_cookies = std::move(reserved);
  return std::nullopt;
}

const std::vector<Flag>& flags() {
  using std::chrono::milliseconds;
  static const std::vector<Flag> kFlags = {
      {"listen", "HOST:PORT", "address to serve HTTP on (default 127.0.0.1:8080; port 0 picks a free one)", apply_listen},
      {"data-dir", "DIR", "where RocksDB and the admin token live (default ./data)", string_flag(&ServeConfig::data_dir)},
      {"public-origin", "URL", "the shared domain visitors use, e.g. https://agents.example.com", apply_origin},
      {"agents-dir", "DIR", "deploy every agent bundle (DIR/<slug>/agent.json) found here at start-up",
       string_flag(&ServeConfig::agents_dir)},
      {"admin-token-file", "FILE", "bearer token for /_admin/v1 (default DATA_DIR/admin.token, created if absent)",
       string_flag(&ServeConfig::admin_token_file)},
      {"secrets-key-file", "FILE", "master keys for agents' secrets (default DATA_DIR/secrets.key; created, mode 0600, if absent)",
       string_flag(&ServeConfig::secrets_key_file)},
      {"workers", "N", "worker threads, each with its own isolates (default: number of cores)",
       number_flag(1, 256, [](ServeConfig& c, uint64_t v) { c.workers = static_cast<unsigned>(v); })},
      {"cpu-limit-ms", "MS", "JS CPU time per request (default 50)",
       number_flag(1, 600'000, [](ServeConfig& c, uint64_t v) { c.limits.cpu_time = milliseconds(v); })},
      {"wall-limit-ms", "MS", "wall time per request, awaits included (default 30000)",
       number_flag(1, 3'600'000, [](ServeConfig& c, uint64_t v) { c.limits.wall_time = milliseconds(v); })},
      {"startup-cpu-limit-ms", "MS", "JS CPU time for evaluating an agent's modules (default 1000)",
       number_flag(1, 600'000, [](ServeConfig& c, uint64_t v) { c.limits.startup_cpu_time = milliseconds(v); })},
      {"heap-limit-mb", "MB", "heap per isolate (default 128)",
       number_flag(16, 16384, [](ServeConfig& c, uint64_t v) { c.limits.heap_bytes = v << 20; })},
      {"isolate-idle-timeout-s", "S", "dispose an agent's isolate after this long without requests (default 300)",
       number_flag(1, 86'400, [](ServeConfig& c, uint64_t v) { c.limits.isolate_idle_timeout = std::chrono::seconds(v); })},
      {"kv-max-key-bytes", "N", "largest ctx.kv key, in UTF-8 bytes (default 512)",
       number_flag(1, 65'535, [](ServeConfig& c, uint64_t v) { c.limits.kv.max_key_bytes = v; })},
      {"kv-max-user-id-bytes", "N", "largest ctx.kv user_id, in UTF-8 bytes (default 256)",
       number_flag(1, 65'535, [](ServeConfig& c, uint64_t v) { c.limits.kv.max_user_id_bytes = v; })},
      {"kv-max-value-bytes", "N", "largest ctx.kv value, serialized (default 1048576)",
       number_flag(1, uint64_t{64} << 20, [](ServeConfig& c, uint64_t v) { c.limits.kv.max_value_bytes = v; })},
      {"kv-max-list-limit", "N", "most items one kv.list call may return (default 1000)",
       number_flag(1, 100'000, [](ServeConfig& c, uint64_t v) { c.limits.kv.max_list_limit = v; })},
      {"console-max-entries", "N", "owner-console entries kept per agent, oldest dropped first (default 10000)",
       number_flag(10, 10'000'000, [](ServeConfig& c, uint64_t v) { c.console_max_entries = v; })},
      {"fetch-timeout-ms", "MS", "fetch: time for one outbound request, redirects included (default 10000)",
       number_flag(1, 600'000, [](ServeConfig& c, uint64_t v) { c.limits.fetch.timeout = milliseconds(v); })},
      {"fetch-max-response-bytes", "N", "fetch: largest response body (default 10485760)",
       number_flag(0, uint64_t{1} << 32, [](ServeConfig& c, uint64_t v) { c.limits.fetch.max_response_bytes = v; })},
      {"fetch-max-request-bytes", "N", "fetch: largest request body (default 10485760)",
       number_flag(0, uint64_t{1} << 32, [](ServeConfig& c, uint64_t v) { c.limits.fetch.max_request_bytes = v; })},
      {"fetch-max-per-request", "N", "fetch: most outbound requests one handler invocation may make (default 50)",
       number_flag(0, 100'000, [](ServeConfig& c, uint64_t v) { c.limits.fetch.max_per_invocation = static_cast<uint32_t>(v); })},
      {"fetch-max-in-flight", "N", "fetch: most outbound requests in flight per worker, all agents together (default 100)",
       number_flag(1, 100'000, [](ServeConfig& c, uint64_t v) { c.limits.fetch.max_in_flight_per_worker = static_cast<uint32_t>(v); })},
      {"fetch-max-redirects", "N", "fetch: most redirects one fetch follows (default 5)",
       number_flag(0, 20, [](ServeConfig& c, uint64_t v) { c.limits.fetch.max_redirects = static_cast<uint32_t>(v); })},
      {"egress-allow", "HOST:PORT", "let fetch reach HOST:PORT even if it is a loopback or private address (repeatable)",
       apply_egress_allow},
      {"extra-ca-file", "FILE", "PEM file of CAs fetch trusts besides the system's (verification is always on)",
       string_flag(&ServeConfig::extra_ca_file)},
      {"reserved-cookie-names", "LIST", "cookie names only the platform may set, comma-separated (default session,logged_in)",
       apply_reserved_cookie_names},
      {"reserved-cookie-prefix", "PREFIX", "cookie names starting with PREFIX are the platform's too (default _agentgate_)",
       apply_reserved_cookie_prefix},
      {"max-body-bytes", "N", "largest request body; larger gets 413 (default 1048576)",
       number_flag(0, uint64_t{1} << 32, [](ServeConfig& c, uint64_t v) { c.max_body_bytes = v; })},
      {"max-deploy-bytes", "N", "largest admin API body (a deployed bundle) (default 33554432)",
       number_flag(1024, uint64_t{1} << 32, [](ServeConfig& c, uint64_t v) { c.max_deploy_bytes = v; })},
      {"max-header-bytes", "N", "largest request head; larger gets 431 (default 16384)",
       number_flag(1024, 1 << 20, [](ServeConfig& c, uint64_t v) { c.max_header_bytes = v; })},
      {"read-timeout-ms", "MS", "time a client has to send a whole request (default 15000)",
       number_flag(100, 3'600'000, [](ServeConfig& c, uint64_t v) { c.read_timeout = milliseconds(v); })},
      {"drain-timeout-ms", "MS", "on SIGTERM, how long in-flight requests may finish (default 35000)",
       number_flag(0, 3'600'000, [](ServeConfig& c, uint64_t v) { c.drain_timeout = milliseconds(v); })},
  };
  return kFlags;
}

std::string env_name(const std::string& flag) {
  std::string name = "AGENTGATE_";
  for (char c : flag) name.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return name;
}

}  // namespace

std::string serve_usage() {
  std::string text =
      "usage: agentgate serve [flags]\n\n"
      "Serves deployed agents on /agents/<agent-id>/... and the admin API on /_admin/v1.\n"
      "Every flag can also be set with an environment variable, e.g. --data-dir as AGENTGATE_DATA_DIR.\n\n"
      "flags:\n";
  for (const Flag& flag : flags()) {
    std::string left = "  --" + flag.name + " " + flag.value_name;
    left.resize(std::max<size_t>(left.size() + 2, 32), ' ');
    text += left + flag.help + "\n";
  }
  text += "  --quiet                       log warnings and errors only (AGENTGATE_QUIET=1)\n";
  text += "  --help                        show this help\n";
  return text;
}

Result<ServeConfig> parse_serve_args(const std::vector<std::string>& args, const EnvLookup& env) {
  ServeConfig config;
  auto apply = [&](const Flag& flag, const std::string& value, const std::string& source) -> Status {
    if (auto problem = flag.apply(config, value)) return usage_error(source + ": " + *problem);
    return Ok{};
  };
  for (const Flag& flag : flags()) {
    std::string name = env_name(flag.name);
    if (auto value = env(name)) {
      if (auto applied = apply(flag, *value, name); !applied) return applied.error();
    }
  }
  if (auto quiet = env("AGENTGATE_QUIET"); quiet && *quiet != "0" && !quiet->empty()) config.quiet = true;

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--quiet") {
      config.quiet = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) return usage_error("unexpected argument '" + arg + "' (see agentgate serve --help)");
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto flag = std::find_if(flags().begin(), flags().end(), [&](const Flag& f) { return f.name == name; });
    if (flag == flags().end()) return usage_error("unknown flag --" + name + " (see agentgate serve --help)");
    if (!value) {
      if (i + 1 >= args.size()) return usage_error("--" + name + " needs a value: --" + name + " " + flag->value_name);
      value = args[++i];
    }
    if (auto applied = apply(*flag, *value, "--" + name); !applied) return applied.error();
  }
  if (config.workers == 0) config.workers = std::max(1u, std::thread::hardware_concurrency());
  config.limits.kv.default_list_limit = std::min(config.limits.kv.default_list_limit, config.limits.kv.max_list_limit);
  return config;
}

}  // namespace agentgate
