// `agentgate deploy`, `agentgate agents ...` and `agentgate kv ...`: thin clients of the admin API.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/params_ref.hpp>
#include <boost/url/url.hpp>

#include <cstdlib>
#include <ctime>
#include <functional>
#include <iterator>
#include <map>
#include <thread>
#include <iostream>

#include "deploy/bundle_files.h"
#include "dispatcher/admin_kv.h"
#include "dispatcher/admin_token.h"
#include "dispatcher/commands.h"

namespace agentgate {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct ClientOptions {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string token;
  std::vector<std::string> positional;
  std::map<std::string, std::string> named;  // the command's own flags ("--agent" -> value)
};

// Parses --server/--token-file and collects the other arguments. Prints the problem and returns
// nullopt on a usage error.
std::optional<ClientOptions> parse_client_args(const std::vector<std::string>& args,
                                               const std::vector<std::string>& command_flags = {}) {
  ClientOptions options;
  std::string server = std::getenv("AGENTGATE_SERVER") ? std::getenv("AGENTGATE_SERVER") : "http://127.0.0.1:8080";
  std::string token_file = "./data/admin.token";
  bool token_file_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--server" || arg == "--token-file") {
      if (i + 1 >= args.size()) {
        std::cerr << "agentgate: " << arg << " needs a value\n";
        return std::nullopt;
      }
      (arg == "--server" ? server : token_file) = args[++i];
      token_file_given = token_file_given || arg == "--token-file";
    } else if (std::find(command_flags.begin(), command_flags.end(), arg) != command_flags.end()) {
      if (i + 1 >= args.size()) {
        std::cerr << "agentgate: " << arg << " needs a value\n";
        return std::nullopt;
      }
      options.named[arg] = args[++i];
    } else if (arg.rfind("--", 0) == 0) {
      std::cerr << "agentgate: unknown flag " << arg << " (see agentgate --help)\n";
      return std::nullopt;
    } else {
      options.positional.push_back(arg);
    }
  }
  if (server.rfind("http://", 0) != 0) {
    std::cerr << "agentgate: --server must be an http:// URL such as http://127.0.0.1:8080\n";
    return std::nullopt;
  }
  std::string authority = server.substr(7);
  authority = authority.substr(0, authority.find('/'));
  size_t colon = authority.rfind(':');
  bool has_port = colon != std::string::npos && authority.find(']', colon) == std::string::npos;
  options.host = has_port ? authority.substr(0, colon) : authority;
  options.port = has_port ? authority.substr(colon + 1) : "80";
  if (options.host.size() > 2 && options.host.front() == '[') options.host = options.host.substr(1, options.host.size() - 2);

  const char* env_token = std::getenv("AGENTGATE_TOKEN");
  if (env_token && *env_token && !token_file_given) {
    options.token = env_token;
  } else {
    auto token = load_admin_token(token_file, false);
    if (!token) {
      std::cerr << "agentgate: " << token.error().message << " (use --token-file or AGENTGATE_TOKEN)\n";
      return std::nullopt;
    }
    options.token = *token;
  }
  return options;
}

// One request to the admin API. Prints a connection failure and returns nullopt.
std::optional<http::response<http::string_body>> call(const ClientOptions& options, http::verb method,
                                                      const std::string& target, std::string body = {},
                                                      std::string_view content_type = "application/json") {
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(60));
    stream.connect(resolver.resolve(options.host, options.port));
    http::request<http::string_body> request(method, target, 11);
    request.set(http::field::host, options.host);
    request.set(http::field::authorization, "Bearer " + options.token);
    if (!body.empty()) request.set(http::field::content_type, content_type);
    request.body() = std::move(body);
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    http::read(stream, buffer, parser);
    return parser.release();
  } catch (const std::exception& e) {
    std::cerr << "agentgate: cannot reach " << options.host << ":" << options.port << ": " << e.what() << "\n";
    return std::nullopt;
  }
}

// Prints an error reply as "agentgate: CODE: message" and returns 1.
int report_failure(const http::response<http::string_body>& response) {
  boost::system::error_code ec;
  auto json = boost::json::parse(response.body(), ec);
  if (!ec && json.is_object() && json.as_object().contains("error")) {
    const auto& error = json.at("error");
    std::cerr << "agentgate: " << error.at("code").as_string().c_str() << ": " << error.at("message").as_string().c_str()
              << "\n";
  } else {
    std::cerr << "agentgate: server answered " << response.result_int() << "\n";
  }
  return 1;
}

}  // namespace

// Runs `print` on a success body; a body that is not what the admin API sends is reported, not fatal.
int print_reply(const std::string& body, const std::function<void(const boost::json::value&)>& print) {
  try {
    boost::json::parse_options options;
    options.max_depth = kMaxRenderedValueDepth + 8;  // kv values nest deeper than the default 32
    print(boost::json::parse(body, {}, options));
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "agentgate: unexpected answer from the server (" << e.what() << ")\n";
    return 1;
  }
}

int run_deploy(const std::vector<std::string>& args) {
  auto options = parse_client_args(args);
  if (!options) return 2;
  if (options->positional.size() != 1) {
    std::cerr << "usage: agentgate deploy DIR [--server URL] [--token-file FILE]\n";
    return 2;
  }
  auto files = read_bundle_dir(options->positional[0]);
  if (!files) {
    std::cerr << "agentgate: " << files.error().message << "\n";
    return 1;
  }
  boost::json::object file_map;
  for (const auto& [name, content] : *files) file_map[name] = content;
  auto response = call(*options, http::verb::post, "/_admin/v1/agents",
                       boost::json::serialize(boost::json::object{{"files", std::move(file_map)}}));
  if (!response) return 1;
  if (response->result_int() >= 300) return report_failure(*response);
  return print_reply(response->body(), [&](const boost::json::value& agent) {
    std::cout << "deployed " << agent.at("slug").as_string().c_str() << " version " << agent.at("version").as_int64()
              << "\n  id:  " << agent.at("id").as_string().c_str() << "\n  url: http://" << options->host << ":"
              << options->port << agent.at("url").as_string().c_str() << "\n";
  });
}

int run_agents(const std::vector<std::string>& args) {
  auto options = parse_client_args(args);
  if (!options) return 2;
  const auto& positional = options->positional;
  if (positional.size() == 1 && positional[0] == "list") {
    auto response = call(*options, http::verb::get, "/_admin/v1/agents");
    if (!response) return 1;
    if (response->result_int() >= 300) return report_failure(*response);
    return print_reply(response->body(), [](const boost::json::value& list) {
      std::cout << "ID                                    SLUG                 VERSION  FUNCTIONS\n";
      for (const auto& agent : list.at("agents").as_array()) {
        std::string slug = agent.at("slug").as_string().c_str();
        std::string version = std::to_string(agent.at("version").as_int64());
        slug.resize(std::max<size_t>(slug.size(), 20), ' ');
        version.resize(std::max<size_t>(version.size(), 8), ' ');
        std::cout << agent.at("id").as_string().c_str() << "  " << slug << " " << version << " "
                  << agent.at("functions").as_array().size() << "\n";
      }
    });
  }
  if (positional.size() == 2 && positional[0] == "delete") {
    auto response = call(*options, http::verb::delete_, "/_admin/v1/agents/" + positional[1]);
    if (!response) return 1;
    if (response->result_int() >= 300) return report_failure(*response);
    std::cout << "deleted " << positional[1] << "\n";
    return 0;
  }
  std::cerr << "usage: agentgate agents list | agentgate agents delete ID  [--server URL] [--token-file FILE]\n";
  return 2;
}

namespace {

constexpr const char* kKvUsage =
    "usage: agentgate kv get    --agent ID --user-id U --key K\n"
    "       agentgate kv list   --agent ID --user-id U [--prefix P] [--limit N] [--cursor C]\n"
    "       agentgate kv delete --agent ID --user-id U --key K\n"
    "       [--server URL] [--token-file FILE]\n";

std::string json_text(const boost::json::value& value) { return boost::json::serialize(value); }

std::string expiry_text(const boost::json::value& item) {
  const auto& expires = item.at("expiresAt");
  return expires.is_null() ? "never" : std::to_string(expires.to_number<int64_t>());
}

}  // namespace

int run_kv(const std::vector<std::string>& args) {
  auto options = parse_client_args(args, {"--agent", "--user-id", "--key", "--prefix", "--limit", "--cursor"});
  if (!options) return 2;
  const auto& named = options->named;
  std::string command = options->positional.size() == 1 ? options->positional[0] : "";
  bool keyed = command == "get" || command == "delete";
  bool valid = (keyed || command == "list") && named.contains("--agent") && named.contains("--user-id") &&
               named.contains("--key") == keyed &&
               (keyed ? !named.contains("--prefix") && !named.contains("--limit") && !named.contains("--cursor") : true);
  if (!valid) {
    std::cerr << kKvUsage;
    return 2;
  }
  // Built with Boost.URL so any user_id or key (":", "&", spaces, UTF-8) survives the trip.
  boost::urls::url target("/_admin/v1/agents");
  target.segments().push_back(named.at("--agent"));
  target.segments().push_back("kv");
  target.params().append({"user_id", named.at("--user-id")});
  for (const auto& [flag, name] : {std::pair{"--key", "key"}, {"--prefix", "prefix"}, {"--limit", "limit"}, {"--cursor", "cursor"}}) {
    if (auto it = named.find(flag); it != named.end()) target.params().append({name, it->second});
  }
  auto response = call(*options, command == "delete" ? http::verb::delete_ : http::verb::get, std::string(target.buffer()));
  if (!response) return 1;
  if (response->result_int() >= 300) return report_failure(*response);
  return print_reply(response->body(), [&](const boost::json::value& reply) {
    if (command == "delete") {
      std::cout << (reply.at("deleted").as_bool() ? "deleted\n" : "no such key\n");
    } else if (command == "get") {
      std::cout << json_text(reply.at("value")) << "\n";
      if (!reply.at("expiresAt").is_null()) std::cerr << "expires at " << expiry_text(reply) << " (unix ms)\n";
    } else {
      for (const auto& item : reply.at("items").as_array()) {
        std::cout << json_text(item.at("key")) << "\t" << json_text(item.at("value")) << "\texpires=" << expiry_text(item)
                  << "\n";
      }
      if (!reply.at("cursor").is_null()) {
        std::cerr << "more: --cursor " << reply.at("cursor").as_string().c_str() << "\n";
      }
    }
  });
}

namespace {

constexpr const char* kConsoleUsage =
    "usage: agentgate console --agent ID [--since CURSOR] [--limit N] [--follow] [--server URL] [--token-file FILE]\n";

// One line per entry: time (UTC), level, code, function, request id, message.
void print_console_entry(const boost::json::value& entry) {
  auto text = [&](const char* name) { return std::string(entry.at(name).as_string().c_str()); };
  std::time_t seconds = static_cast<std::time_t>(entry.at("time").to_number<int64_t>() / 1000);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&seconds));
  std::cout << when << " " << text("level") << " " << text("code") << " fn=" << text("function")
            << " req=" << text("requestId") << " " << text("message") << "\n";
}

}  // namespace

int run_console(const std::vector<std::string>& args) {
  std::vector<std::string> rest;
  bool follow = false;
  for (const auto& arg : args) {
    if (arg == "--follow") {
      follow = true;
    } else {
      rest.push_back(arg);
    }
  }
  auto options = parse_client_args(rest, {"--agent", "--since", "--limit"});
  if (!options) return 2;
  if (!options->positional.empty() || !options->named.contains("--agent")) {
    std::cerr << kConsoleUsage;
    return 2;
  }
  std::string cursor = options->named.contains("--since") ? options->named.at("--since") : "0";
  for (;;) {
    boost::urls::url target("/_admin/v1/agents");
    target.segments().push_back(options->named.at("--agent"));
    target.segments().push_back("console");
    target.params().append({"since", cursor});
    if (auto limit = options->named.find("--limit"); limit != options->named.end()) {
      target.params().append({"limit", limit->second});
    }
    auto response = call(*options, http::verb::get, std::string(target.buffer()));
    if (!response) return 1;
    if (response->result_int() >= 300) return report_failure(*response);
    size_t printed = 0;
    int status = print_reply(response->body(), [&](const boost::json::value& reply) {
      for (const auto& entry : reply.at("entries").as_array()) {
        print_console_entry(entry);
        ++printed;
      }
      cursor = reply.at("cursor").as_string().c_str();
    });
    std::cout.flush();
    if (status != 0) return status;
    // The server has no live stream yet: --follow polls, at once while pages come back full.
    if (!follow) return 0;
    if (printed == 0) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

namespace {

constexpr const char* kSecretUsage =
    "usage: agentgate secret set --agent ID NAME      (the value is read from standard input)\n"
    "       agentgate secret list --agent ID\n"
    "       agentgate secret delete --agent ID NAME\n"
    "       agentgate secret rotate-key\n"
    "       [--server URL] [--token-file FILE]\n";

std::string secrets_target(const std::string& agent, const std::string& name = {}) {
  boost::urls::url target("/_admin/v1/agents");
  target.segments().push_back(agent);
  target.segments().push_back("secrets");
  if (!name.empty()) target.segments().push_back(name);
  return std::string(target.buffer());
}

}  // namespace

int run_secret(const std::vector<std::string>& args) {
  auto options = parse_client_args(args, {"--agent"});
  if (!options) return 2;
  const auto& words = options->positional;
  std::string command = words.empty() ? "" : words[0];
  bool has_agent = options->named.contains("--agent");
  if (command == "rotate-key" && words.size() == 1 && !has_agent) {
    auto response = call(*options, http::verb::post, "/_admin/v1/secrets/rotate-key");
    if (!response) return 1;
    if (response->result_int() >= 300) return report_failure(*response);
    return print_reply(response->body(), [](const boost::json::value& reply) {
      std::cout << "now encrypting with key " << reply.at("keyId").as_string().c_str() << "; re-encrypted "
                << reply.at("reencrypted").to_number<int64_t>() << " secrets\n";
    });
  }
  if (command == "list" && words.size() == 1 && has_agent) {
    auto response = call(*options, http::verb::get, secrets_target(options->named.at("--agent")));
    if (!response) return 1;
    if (response->result_int() >= 300) return report_failure(*response);
    return print_reply(response->body(), [](const boost::json::value& reply) {
      for (const auto& secret : reply.at("secrets").as_array()) {
        std::time_t seconds = static_cast<std::time_t>(secret.at("updatedAt").to_number<int64_t>() / 1000);
        char when[32];
        std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&seconds));
        std::cout << secret.at("name").as_string().c_str() << "\tupdated " << when << "\n";
      }
    });
  }
  if ((command == "set" || command == "delete") && words.size() == 2 && has_agent) {
    std::string target = secrets_target(options->named.at("--agent"), words[1]);
    if (command == "delete") {
      auto response = call(*options, http::verb::delete_, target);
      if (!response) return 1;
      if (response->result_int() >= 300) return report_failure(*response);
      std::cout << "deleted " << words[1] << "\n";
      return 0;
    }
    // From standard input, never from argv (which other users can read in the process list).
    std::string value((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (!value.empty() && value.back() == '\n') value.pop_back();  // `echo value |` adds one
    auto response = call(*options, http::verb::put, target, std::move(value), "application/octet-stream");
    if (!response) return 1;
    if (response->result_int() >= 300) return report_failure(*response);
    std::cout << "stored " << words[1] << "\n";
    return 0;
  }
  std::cerr << kSecretUsage;
  return 2;
}

}  // namespace agentgate
