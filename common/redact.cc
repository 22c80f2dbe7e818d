#include "common/redact.h"

#include <algorithm>

namespace agentgate {

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  constexpr std::string_view kMark = "[redacted]";
  // Longest first: a secret containing another must not be left half visible.
  std::vector<const std::string*> ordered;
  for (const auto& secret : secrets) ordered.push_back(&secret);
  std::sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) { return a->size() > b->size(); });
  for (const std::string* entry : ordered) {
    const std::string& secret = *entry;
    if (secret.size() < kMinRedactedBytes) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + kMark.size())) {
      text.replace(at, secret.size(), kMark);
    }
  }
  return text;
}

std::vector<std::string> cookie_values(std::string_view cookie_header) {
  std::vector<std::string> values;
  while (!cookie_header.empty()) {
    size_t end = cookie_header.find(';');
    std::string_view pair = cookie_header.substr(0, end);
    cookie_header = end == std::string_view::npos ? std::string_view() : cookie_header.substr(end + 1);
    size_t equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    std::string_view value = pair.substr(equals + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (value.size() >= kMinRedactedBytes) values.emplace_back(value);
  }
  return values;
}

}  // namespace agentgate
