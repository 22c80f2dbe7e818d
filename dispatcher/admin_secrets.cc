#include "dispatcher/admin_secrets.h"

#include <boost/json.hpp>

#include <mutex>

namespace agentgate {
namespace {

HttpReply store_error(const Error& error) {
  return json_error(error.code == "INVALID_ARGUMENT" ? 400 : 503, error.code, error.message);
}

}  // namespace

HttpReply handle_admin_secrets(std::string_view method, std::string_view sub, std::string_view body,
                               const AgentSpec& agent, SecretStore* secrets) {
  if (!secrets) return json_error(503, "SECRETS_UNAVAILABLE", "secrets are not configured on this server");
  if (sub.empty() || sub == "/") {
    if (method != "GET") return json_method_not_allowed("GET");
    auto list = secrets->list(agent.id);
    if (!list) return store_error(list.error());
    boost::json::array names;
    for (const auto& secret : *list) names.push_back({{"name", secret.name}, {"updatedAt", secret.updated_at_ms}});
    return json_reply(200, boost::json::object{{"secrets", std::move(names)}});
  }
  std::string name(sub.substr(1));
  if (!is_valid_secret_name(name)) {
    return json_error(400, "INVALID_ARGUMENT", "a secret name matches [A-Za-z0-9_.-]{1,128}");
  }
  if (method == "PUT") {
    if (auto set = secrets->set(agent.id, name, body); !set) return store_error(set.error());
    return json_reply(200, boost::json::object{{"name", name}, {"stored", true}});
  }
  if (method == "DELETE") {
    auto removed = secrets->remove(agent.id, name);
    if (!removed) return store_error(removed.error());
    if (!*removed) return json_error(404, "NOT_FOUND", "no secret '" + name + "'");
    return json_reply(200, boost::json::object{{"deleted", name}});
  }
  return json_method_not_allowed("PUT, DELETE");
}

HttpReply handle_secret_key_rotation(std::string_view method, SecretStore* secrets, const std::string& key_file) {
  if (method != "POST") return json_method_not_allowed("POST");
  if (!secrets) return json_error(503, "SECRETS_UNAVAILABLE", "secrets are not configured on this server");
  // One rotation at a time: two reading the key file before either wrote it would each write back
  // only their own new key, and records re-encrypted under the other one would become unreadable.
  static std::mutex rotation_mutex;
  std::lock_guard rotation(rotation_mutex);
  auto added = add_secret_key(key_file);
  if (!added) return json_error(500, added.error().code, added.error().message);
  auto keys = load_secret_keys(key_file, false);
  if (!keys) return json_error(500, keys.error().code, keys.error().message);
  auto rewritten = secrets->rotate(std::move(*keys));
  if (!rewritten) return store_error(rewritten.error());
  return json_reply(200, boost::json::object{{"keyId", *added}, {"reencrypted", *rewritten}});
}

}  // namespace agentgate
