#include "dispatcher/admin_kv.h"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <charconv>
#include <future>
#include <map>
#include <optional>

#include "kv/encoding.h"
#include "sandbox/value_json.h"

namespace agentgate {
namespace {

// The admin handler is synchronous: wait for the store's callback (immediate for RocksDB reads,
// one group commit for a delete).
template <class T, class Start>
Result<T> wait_for(Start start) {
  std::promise<Result<T>> promise;
  auto future = promise.get_future();
  start([&promise](Result<T> result) { promise.set_value(std::move(result)); });
  return future.get();
}

HttpReply error_reply(const Error& error) {
  unsigned status = error.code == "INVALID_ARGUMENT" ? 400 : error.code == "VALUE_TOO_LARGE" ? 413 : 503;
  return json_error(status, error.code, error.message);
}

boost::json::value expires_json(int64_t expires_at_ms) {
  return expires_at_ms == 0 ? boost::json::value(nullptr) : boost::json::value(expires_at_ms);
}

// Renders values. The JSON comes from JSON.stringify, so it parses, but it may nest deeper than
// Boost.JSON's default limit of 32 levels (V8 stores values some thousands of levels deep); one
// deeper still renders as unreadable rather than failing the request.
Result<std::vector<boost::json::value>> render(const std::vector<std::string>& serialized) {
  auto texts = serialized_values_as_json(serialized);
  if (!texts) return texts.error();
  boost::json::parse_options options;
  options.max_depth = kMaxRenderedValueDepth;
  std::vector<boost::json::value> values;
  for (const auto& text : *texts) {
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(text, ec, {}, options);
    values.push_back(ec ? boost::json::value{{"$type", "Unreadable"}} : std::move(value));
  }
  return values;
}

std::optional<size_t> parse_size(std::string_view text) {
  size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

HttpReply handle_admin_kv(std::string_view method, std::string_view target, const AgentSpec& agent, KvStore* store,
                          const KvLimits& limits) {
  if (method != "GET" && method != "DELETE") return json_method_not_allowed("GET, DELETE");
  if (!store) return json_error(503, "KV_UNAVAILABLE", "storage is not configured on this server");
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return json_error(400, "BAD_REQUEST", "malformed query string");
  std::map<std::string, std::string> query;
  for (auto param : url->params()) {
    if (!query.emplace(param.key, param.value).second) {
      return json_error(400, "INVALID_ARGUMENT", "query parameter '" + param.key + "' is repeated");
    }
    if (param.key != "user_id" && param.key != "key" && param.key != "prefix" && param.key != "limit" &&
        param.key != "cursor") {
      return json_error(400, "INVALID_ARGUMENT", "unknown query parameter '" + param.key.substr(0, 64) +
                                                     "' (expected user_id, key, prefix, limit, cursor)");
    }
  }
  auto user_id = query.find("user_id");
  if (user_id == query.end() || user_id->second.empty() || user_id->second.size() > limits.max_user_id_bytes) {
    return json_error(400, "INVALID_ARGUMENT", "user_id is required (at most " + std::to_string(limits.max_user_id_bytes) + " bytes)");
  }
  auto key = query.find("key");
  if (key != query.end() && (key->second.empty() || key->second.size() > limits.max_key_bytes)) {
    return json_error(400, "INVALID_ARGUMENT", "key must be 1 to " + std::to_string(limits.max_key_bytes) + " bytes");
  }

  if (key != query.end()) {
    KvKey kv_key{agent.id, user_id->second, key->second};
    if (query.contains("prefix") || query.contains("limit") || query.contains("cursor")) {
      return json_error(400, "INVALID_ARGUMENT", "give either key, or prefix/limit/cursor to list");
    }
    if (method == "DELETE") {
      auto removed = wait_for<bool>([&](auto done) { store->remove(kv_key, std::move(done)); });
      if (!removed) return error_reply(removed.error());
      return json_reply(200, boost::json::object{{"deleted", *removed}});
    }
    auto value = wait_for<std::optional<KvValue>>([&](auto done) { store->get(kv_key, std::move(done)); });
    if (!value) return error_reply(value.error());
    if (!*value) return json_error(404, "NOT_FOUND", "no value for this user_id and key");
    auto rendered = render({(*value)->bytes});
    if (!rendered) return error_reply(rendered.error());
    return json_reply(200, boost::json::object{{"user_id", user_id->second},
                                               {"key", key->second},
                                               {"value", std::move(rendered->front())},
                                               {"expiresAt", expires_json((*value)->expires_at_ms)}});
  }
  if (method == "DELETE") return json_error(400, "INVALID_ARGUMENT", "DELETE needs a key");

  KvListQuery list{agent.id, user_id->second, "", std::nullopt, limits.default_list_limit, limits.max_list_page_bytes};
  if (auto prefix = query.find("prefix"); prefix != query.end()) list.prefix = prefix->second;
  if (list.prefix.size() > limits.max_key_bytes) return json_error(400, "INVALID_ARGUMENT", "prefix is too long");
  if (auto limit = query.find("limit"); limit != query.end()) {
    auto parsed = parse_size(limit->second);
    if (!parsed || *parsed < 1 || *parsed > limits.max_list_limit) {
      return json_error(400, "INVALID_ARGUMENT", "limit must be an integer from 1 to " + std::to_string(limits.max_list_limit));
    }
    list.limit = *parsed;
  }
  if (auto cursor = query.find("cursor"); cursor != query.end()) {
    auto after = kv_encoding::list_cursor(cursor->second, list.prefix, limits.max_key_bytes);
    if (!after) {
      return json_error(400, "INVALID_ARGUMENT", "cursor must be one that a list returned for this user_id and prefix");
    }
    list.start_after = std::move(after);
  }
  auto page = wait_for<KvPage>([&](auto done) { store->list(list, std::move(done)); });
  if (!page) return error_reply(page.error());
  std::vector<std::string> serialized;
  for (const auto& item : page->items) serialized.push_back(item.value.bytes);
  auto rendered = render(serialized);
  if (!rendered) return error_reply(rendered.error());
  boost::json::array items;
  for (size_t i = 0; i < page->items.size(); ++i) {
    items.push_back(boost::json::object{{"key", page->items[i].key},
                                        {"value", std::move((*rendered)[i])},
                                        {"expiresAt", expires_json(page->items[i].value.expires_at_ms)}});
  }
  boost::json::value cursor = page->next_after ? boost::json::value(kv_encoding::encode_cursor(*page->next_after))
                                               : boost::json::value(nullptr);
  return json_reply(200, boost::json::object{{"items", std::move(items)}, {"cursor", std::move(cursor)}});
}

}  // namespace agentgate
