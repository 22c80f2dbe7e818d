#pragma once
// Small helpers shared by the integration tests: bundles with one function, JSON reading, and
// bounded polling. Header-only; pure test code, no product headers.
#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/server_process.h"

namespace agentgate::testing {

using Files = std::map<std::string, std::string>;

// A bundle with one function `app` serving `path` with `methods`, its module `app.js` = `source`.
inline Files one_function_bundle(const std::string& id, const std::string& slug, const std::string& source,
                                 const std::string& path = "/app/*",
                                 const std::vector<std::string>& methods = {"GET"}) {
  return {{"agent.json", manifest_json(id, slug, "app", path, methods, "app.js")}, {"app.js", source}};
}

// A module whose handler answers 200 with `body` as text.
inline std::string text_handler(const std::string& body) {
  return "export default async () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: " +
         boost::json::serialize(boost::json::value(body)) + " });";
}

// Parses a JSON body; a null value when it is not JSON (so assertions on fields fail readably).
inline boost::json::value parse_json(const std::string& text) {
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  return ec ? boost::json::value() : value;
}

// The string at `key` of a JSON object body, "" when absent or not a string.
inline std::string json_string(const boost::json::value& value, const std::string& key) {
  if (!value.is_object()) return "";
  const auto* field = value.as_object().if_contains(key);
  return field && field->is_string() ? std::string(field->as_string()) : "";
}

inline int64_t json_int(const boost::json::value& value, const std::string& key) {
  if (!value.is_object()) return -1;
  const auto* field = value.as_object().if_contains(key);
  return field && field->is_int64() ? field->as_int64() : -1;
}

// The error message of an admin API error body {"error": {"code", "message"}}.
inline std::string error_message(const std::string& body) {
  auto value = parse_json(body);
  if (!value.is_object() || !value.as_object().contains("error")) return "";
  return json_string(value.at("error"), "message");
}
inline std::string error_code(const std::string& body) {
  auto value = parse_json(body);
  if (!value.is_object() || !value.as_object().contains("error")) return "";
  return json_string(value.at("error"), "code");
}

// Polls `condition` every 10 ms until it holds or `limit` passes; returns its last value.
inline bool wait_until(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto give_up = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= give_up) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace agentgate::testing
