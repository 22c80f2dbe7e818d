#include "dispatcher/admin_api.h"

#include "dispatcher/admin_console.h"
#include "dispatcher/admin_kv.h"
#include "dispatcher/admin_secrets.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <simdjson.h>

#include <boost/json.hpp>

#include "common/uuid.h"

namespace agentgate {
namespace {

constexpr std::string_view kAgentsPath = "/_admin/v1/agents";

unsigned status_for(std::string_view code) {
  if (code == "INVALID_BUNDLE" || code == "BAD_REQUEST") return 400;
  if (code == "NOT_FOUND") return 404;
  if (code == "SLUG_TAKEN") return 409;
  if (code == "KV_UNAVAILABLE") return 503;
  return 500;
}

boost::json::object function_json(const FunctionSpec& function) {
  boost::json::array methods;
  std::string allow = allow_header(function.methods);
  for (size_t start = 0; start < allow.size();) {
    size_t end = allow.find(", ", start);
    if (end == std::string::npos) end = allow.size();
    methods.emplace_back(allow.substr(start, end - start));
    start = end + 2;
  }
  return {{"name", function.name},
          {"endpoint", {{"methods", std::move(methods)}, {"path", function.path}}},
          {"module", function.module},
          {"auth", function.auth == AuthMode::kNone ? "none" : "visitor_session"}};
}

boost::json::object agent_json(const AgentSpec& agent) {
  boost::json::array functions;
  for (const auto& function : agent.functions) functions.push_back(function_json(function));
  return {{"id", agent.id},
          {"slug", agent.slug},
          {"version", agent.version},
          {"deployedAtMs", agent.deployed_at_ms},
          {"url", "/agents/" + agent.id + "/"},
          {"functions", std::move(functions)}};
}

}  // namespace

std::string sha256_bytes(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

AdminApi::AdminApi(DeployService& deploys, AgentRegistry& registry, std::string token, KvStore* kv, KvLimits kv_limits,
                   ConsoleLog* console, SecretStore* secrets, std::string secrets_key_file)
    : deploys_(deploys),
      registry_(registry),
      kv_(kv),
      console_(console),
      secrets_(secrets),
      secrets_key_file_(std::move(secrets_key_file)),
      kv_limits_(kv_limits),
      token_digest_(sha256_bytes(token)) {}

bool AdminApi::authorized(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != kScheme[i]) return false;
  }
  std::string presented = sha256_bytes(authorization.substr(kScheme.size()));
  return CRYPTO_memcmp(presented.data(), token_digest_.data(), token_digest_.size()) == 0;
}

HttpReply AdminApi::handle(const AdminRequest& request, IsolatePool& checker, EventLoop& loop) {
  if (!authorized(request.authorization)) {
    HttpReply reply = json_error(401, "UNAUTHORIZED", "send Authorization: Bearer <admin token>");
    reply.headers.emplace_back("www-authenticate", "Bearer");
    return reply;
  }
  std::string_view path = request.target.substr(0, request.target.find('?'));
  if (path == "/_admin/v1/secrets/rotate-key") return handle_secret_key_rotation(request.method, secrets_, secrets_key_file_);
  std::string_view rest = path.substr(std::min(path.size(), kAgentsPath.size()));
  if (path.substr(0, kAgentsPath.size()) != kAgentsPath || (!rest.empty() && rest.front() != '/')) {
    return json_error(404, "NOT_FOUND", "no such admin endpoint");
  }
  if (rest.empty() || rest == "/") {
    if (request.method == "GET") {
      boost::json::array agents;
      auto snapshot = registry_.snapshot();
      std::vector<AgentSpecPtr> sorted;
      for (const auto& [id, agent] : snapshot->by_id) sorted.push_back(agent);
      std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a->slug < b->slug; });
      for (const auto& agent : sorted) agents.push_back(agent_json(*agent));
      return json_reply(200, boost::json::object{{"agents", std::move(agents)}});
    }
    if (request.method == "POST") return deploy(request.body, std::nullopt, checker);
    return json_method_not_allowed("GET, POST");
  }

  std::string_view reference = rest.substr(1);
  std::string_view sub;
  if (size_t slash = reference.find('/'); slash != std::string_view::npos) {
    sub = reference.substr(slash);
    reference = reference.substr(0, slash);
  }
  auto snapshot = registry_.snapshot();
  auto uuid = canonical_uuid(reference);
  AgentSpecPtr agent = uuid ? snapshot->find_by_id(*uuid) : snapshot->find_by_slug(std::string(reference));

  if (sub.empty() && request.method == "PUT") {
    if (!uuid) return json_error(400, "BAD_REQUEST", "deploy to /_admin/v1/agents/<uuid>");
    return deploy(request.body, *uuid, checker);
  }
  if (!agent) return json_error(404, "NOT_FOUND", "no agent '" + std::string(reference.substr(0, 100)) + "'");
  if (sub.empty() && request.method == "GET") return json_reply(200, agent_json(*agent));
  if (sub.empty() && request.method == "DELETE") {
    if (auto removed = deploys_.remove(agent->id); !removed) {
      return json_error(status_for(removed.error().code), removed.error().code, removed.error().message);
    }
    return json_reply(200, boost::json::object{{"deleted", agent->id}});
  }
  if (sub == "/kv") return handle_admin_kv(request.method, request.target, *agent, kv_, kv_limits_);
  if (sub == "/console") return handle_admin_console(request.method, request.target, *agent, console_, loop);
  if (sub == "/secrets" || sub.rfind("/secrets/", 0) == 0) {
    return handle_admin_secrets(request.method, sub.substr(8), request.body, *agent, secrets_);
  }
  if (sub == "/functions" && request.method == "GET") {
    boost::json::array functions;
    for (const auto& function : agent->functions) functions.push_back(function_json(function));
    return json_reply(200, boost::json::object{{"functions", std::move(functions)}});
  }
  return json_error(sub.empty() ? 405 : 404, sub.empty() ? "METHOD_NOT_ALLOWED" : "NOT_FOUND",
                    sub.empty() ? "use GET, PUT or DELETE" : "no such admin endpoint");
}

HttpReply AdminApi::deploy(std::string_view body, const std::optional<std::string>& agent_id, IsolatePool& checker) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object files_object;
  if (parser.parse(simdjson::padded_string(body)).get(root) != simdjson::SUCCESS ||
      root["files"].get_object().get(files_object) != simdjson::SUCCESS) {
    return json_error(400, "BAD_REQUEST", "body must be JSON: {\"files\": {\"agent.json\": \"...\", \"<module>.js\": \"...\"}}");
  }
  std::map<std::string, std::string> files;
  for (auto [name, content] : files_object) {
    std::string_view text;
    if (content.get_string().get(text) != simdjson::SUCCESS) {
      return json_error(400, "BAD_REQUEST", "files." + std::string(name) + ": must be the file's text");
    }
    files.emplace(std::string(name), std::string(text));
  }
  bool existed = agent_id && registry_.snapshot()->find_by_id(*agent_id);
  auto deployed = deploys_.deploy(std::move(files), agent_id, checker);
  if (!deployed) return json_error(status_for(deployed.error().code), deployed.error().code, deployed.error().message);
  existed = existed || (*deployed)->version > 1;
  return json_reply(existed ? 200 : 201, agent_json(**deployed));
}

}  // namespace agentgate
