#include "deploy/manifest.h"

#include <simdjson.h>

#include "common/uuid.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>

namespace agentgate {
namespace {

constexpr size_t kMaxFunctions = 64;
constexpr size_t kMaxFiles = 256;

struct MethodName {
  std::string_view name;
  uint32_t bit;
};
constexpr std::array<MethodName, 7> kMethods{{{"GET", kGet},
                                               {"HEAD", kHead},
                                               {"POST", kPost},
                                               {"PUT", kPut},
                                               {"PATCH", kPatch},
                                               {"DELETE", kDelete},
                                               {"OPTIONS", kOptions}}};

Error invalid(std::string_view field, std::string_view problem) {
  std::string message(kManifestFile);
  message += ": ";
  message += field;
  message += ": ";
  message += problem;
  return Error{"INVALID_BUNDLE", std::move(message)};
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_segment_char(char c) { return is_name_char(c) || c == '.' || c == '~'; }

// "/a/b/*" or "/*": segments of unreserved characters, no empty or dot segments.
std::optional<std::string> prefix_of_pattern(std::string_view path) {
  if (path.size() < 2 || path.substr(path.size() - 2) != "/*" || path.front() != '/') return std::nullopt;
  std::string_view prefix = path.substr(0, path.size() - 2);
  size_t pos = 0;
  while (pos < prefix.size()) {
    if (prefix[pos] != '/') return std::nullopt;
    size_t end = prefix.find('/', pos + 1);
    if (end == std::string_view::npos) end = prefix.size();
    std::string_view segment = prefix.substr(pos + 1, end - pos - 1);
    if (segment.empty() || segment == "." || segment == "..") return std::nullopt;
    if (!std::all_of(segment.begin(), segment.end(), is_segment_char)) return std::nullopt;
    pos = end;
  }
  return std::string(prefix);
}

bool is_safe_file_name(std::string_view name) {
  if (name.empty() || name.size() > 200 || name.front() == '/') return false;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t end = name.find('/', pos);
    if (end == std::string_view::npos) end = name.size();
    std::string_view segment = name.substr(pos, end - pos);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (!std::all_of(segment.begin(), segment.end(), is_segment_char)) return false;
    pos = end + 1;
  }
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string field_path(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}

// JSON allows repeated keys and parsers disagree on which one wins: we refuse them.
std::optional<Error> check_unique_keys(simdjson::dom::object object, std::string_view field) {
  std::set<std::string_view> seen;
  for (auto [key, value] : object) {
    if (!seen.insert(key).second) return invalid(field_path(field, key), "key appears more than once");
  }
  return std::nullopt;
}

// Rejects keys outside `allowed` (naming the first unknown one) and repeated keys.
std::optional<Error> check_keys(simdjson::dom::object object, std::string_view field,
                                std::initializer_list<std::string_view> allowed) {
  for (auto [key, value] : object) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return invalid(field_path(field, key), "unknown key");
    }
  }
  return check_unique_keys(object, field);
}

Result<Access> parse_access(simdjson::dom::element value, const std::string& field) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return invalid(field, "must be \"r\" or \"rw\"");
  if (text == "r") return Access::kRead;
  if (text == "rw") return Access::kReadWrite;
  return invalid(field, "must be \"r\" or \"rw\"");
}

Result<KvPermissions> parse_permissions(simdjson::dom::element value, const std::string& field) {
  simdjson::dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) return invalid(field, "must be an object");
  if (auto error = check_keys(object, field, {"kv"})) return *error;
  KvPermissions permissions;
  simdjson::dom::element kv_value;
  if (object["kv"].get(kv_value) != simdjson::SUCCESS) return permissions;
  std::string kv_field = field + ".kv";
  simdjson::dom::object kv;
  if (kv_value.get_object().get(kv) != simdjson::SUCCESS) return invalid(kv_field, "must be an object");
  if (auto error = check_keys(kv, kv_field, {"self", "visitor", "subjects"})) return *error;
  for (auto [key, entry] : kv) {
    std::string entry_field = kv_field + "." + std::string(key);
    if (key == "subjects") {
      simdjson::dom::object subjects;
      if (entry.get_object().get(subjects) != simdjson::SUCCESS) return invalid(entry_field, "must be an object");
      if (auto error = check_unique_keys(subjects, entry_field)) return *error;
      for (auto [pattern, access_value] : subjects) {
        std::string subject_field = entry_field + "." + std::string(pattern);
        bool wildcard_only_at_end = pattern.find('*') == std::string_view::npos || pattern.find('*') == pattern.size() - 1;
        if (pattern.empty() || pattern == "*" || pattern.size() > 256 || !wildcard_only_at_end) {
          return invalid(subject_field, "a subject pattern is an id or a prefix ending in '*', such as \"google:*\"");
        }
        auto access = parse_access(access_value, subject_field);
        if (!access) return access.error();
        permissions.subjects.emplace_back(std::string(pattern), *access);
      }
      continue;
    }
    auto access = parse_access(entry, entry_field);
    if (!access) return access.error();
    (key == "self" ? permissions.self : permissions.visitor) = *access;
  }
  return permissions;
}

Result<FunctionSpec> parse_function(simdjson::dom::element value, const std::string& field,
                                    const std::map<std::string, std::string>& files) {
  simdjson::dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) return invalid(field, "must be an object");
  if (auto error = check_keys(object, field, {"name", "endpoint", "module", "auth", "permissions"})) return *error;
  FunctionSpec spec;

  std::string_view name;
  if (object["name"].get_string().get(name) != simdjson::SUCCESS) return invalid(field + ".name", "required string");
  if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), is_name_char)) {
    return invalid(field + ".name", "must match [A-Za-z0-9_-]{1,64}");
  }
  spec.name = name;

  simdjson::dom::object endpoint;
  if (object["endpoint"].get_object().get(endpoint) != simdjson::SUCCESS) {
    return invalid(field + ".endpoint", "required object with \"methods\" and \"path\"");
  }
  if (auto error = check_keys(endpoint, field + ".endpoint", {"methods", "path"})) return *error;
  simdjson::dom::array methods;
  if (endpoint["methods"].get_array().get(methods) != simdjson::SUCCESS || methods.size() == 0) {
    return invalid(field + ".endpoint.methods", "required non-empty array such as [\"GET\", \"POST\"]");
  }
  size_t index = 0;
  for (auto method_value : methods) {
    std::string method_field = field + ".endpoint.methods[" + std::to_string(index++) + "]";
    std::string_view method;
    uint32_t bit = 0;
    if (method_value.get_string().get(method) == simdjson::SUCCESS) bit = method_bit(method);
    if (bit == 0) return invalid(method_field, "must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    if (spec.methods & bit) return invalid(method_field, "listed twice");
    spec.methods |= bit;
  }
  std::string_view path;
  if (endpoint["path"].get_string().get(path) != simdjson::SUCCESS) {
    return invalid(field + ".endpoint.path", "required string such as \"/webapp/*\"");
  }
  auto prefix = prefix_of_pattern(path);
  if (!prefix) {
    return invalid(field + ".endpoint.path",
                   "must be a /prefix/* pattern (\"/*\" or segments of [A-Za-z0-9._~-] ending in /*), got \"" +
                       std::string(path.substr(0, 200)) + "\"");
  }
  spec.path = path;
  spec.prefix = *prefix;

  std::string_view module;
  if (object["module"].get_string().get(module) != simdjson::SUCCESS) {
    return invalid(field + ".module", "required string naming a .js file of the bundle");
  }
  if (!(ends_with(module, ".js") || ends_with(module, ".mjs")) || !is_safe_file_name(module)) {
    return invalid(field + ".module", "must be a relative .js or .mjs file name inside the bundle");
  }
  if (!files.contains(std::string(module))) {
    return invalid(field + ".module", "file \"" + std::string(module) + "\" is not in the bundle");
  }
  spec.module = module;

  simdjson::dom::element auth_value;
  if (object["auth"].get(auth_value) == simdjson::SUCCESS) {
    std::string_view auth;
    if (auth_value.get_string().get(auth) != simdjson::SUCCESS || (auth != "none" && auth != "visitor_session")) {
      return invalid(field + ".auth", "must be \"none\" or \"visitor_session\"");
    }
    spec.auth = auth == "none" ? AuthMode::kNone : AuthMode::kVisitorSession;
  }

  simdjson::dom::element permissions_value;
  if (object["permissions"].get(permissions_value) == simdjson::SUCCESS) {
    auto permissions = parse_permissions(permissions_value, field + ".permissions");
    if (!permissions) return permissions.error();
    spec.kv = std::move(*permissions);
  }
  return spec;
}

}  // namespace

uint32_t method_bit(std::string_view method) {
  for (const auto& m : kMethods) {
    if (m.name == method) return m.bit;
  }
  return 0;
}

std::string allow_header(uint32_t methods) {
  std::string out;
  for (const auto& m : kMethods) {
    if (!(methods & m.bit)) continue;
    if (!out.empty()) out += ", ";
    out += m.name;
  }
  return out;
}

bool is_valid_slug(std::string_view slug) {
  if (slug.size() < 2 || slug.size() > 63) return false;
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_alnum(slug.front())) return false;
  return std::all_of(slug.begin(), slug.end(), [&](char c) { return lower_alnum(c) || c == '-'; });
}

Result<AgentSpec> parse_bundle(std::map<std::string, std::string> files) {
  if (files.size() > kMaxFiles) {
    return Error{"INVALID_BUNDLE", "bundle: at most " + std::to_string(kMaxFiles) + " files"};
  }
  for (const auto& [name, content] : files) {
    if (!is_safe_file_name(name)) {
      return Error{"INVALID_BUNDLE", "bundle: file name \"" + name.substr(0, 200) +
                                         "\" must be a relative path of [A-Za-z0-9._~-] segments"};
    }
  }
  auto manifest_file = files.find(std::string(kManifestFile));
  if (manifest_file == files.end()) return Error{"INVALID_BUNDLE", "bundle: agent.json is missing"};

  simdjson::dom::parser parser;
  simdjson::padded_string json(manifest_file->second);
  simdjson::dom::element root;
  if (auto error = parser.parse(json).get(root); error != simdjson::SUCCESS) {
    return Error{"INVALID_BUNDLE", std::string(kManifestFile) + ": not valid JSON (" +
                                       simdjson::error_message(error) + ")"};
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) return invalid("(root)", "must be an object");
  if (auto error = check_keys(object, "", {"id", "slug", "functions"})) return *error;

  AgentSpec spec;
  simdjson::dom::element id_value;
  if (object["id"].get(id_value) == simdjson::SUCCESS) {
    std::string_view id;
    if (id_value.get_string().get(id) != simdjson::SUCCESS || !is_canonical_uuid(id)) {
      return invalid("id", "must be a UUID in canonical lower-case form, such as "
                           "\"8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21\" (omit it to have one assigned)");
    }
    spec.id = id;
  }
  std::string_view slug;
  if (object["slug"].get_string().get(slug) != simdjson::SUCCESS) return invalid("slug", "required string");
  if (!is_valid_slug(slug) || canonical_uuid(slug)) {
    return invalid("slug", "must match [a-z0-9][a-z0-9-]{1,62} and not be a UUID");
  }
  spec.slug = slug;

  simdjson::dom::array functions;
  if (object["functions"].get_array().get(functions) != simdjson::SUCCESS || functions.size() == 0) {
    return invalid("functions", "required non-empty array");
  }
  if (functions.size() > kMaxFunctions) {
    return invalid("functions", "at most " + std::to_string(kMaxFunctions) + " functions");
  }
  std::set<std::string> names;
  size_t index = 0;
  for (auto function_value : functions) {
    std::string field = "functions[" + std::to_string(index++) + "]";
    auto function = parse_function(function_value, field, files);
    if (!function) return function.error();
    if (!names.insert(function->name).second) return invalid(field + ".name", "duplicate function name");
    for (const auto& other : spec.functions) {
      if (other.prefix == function->prefix && (other.methods & function->methods)) {
        return invalid(field + ".endpoint", "same path and method as function \"" + other.name + "\"");
      }
    }
    spec.functions.push_back(std::move(*function));
  }
  spec.files = std::move(files);
  return spec;
}

}  // namespace agentgate
