#include "policy/headers.h"

#include <algorithm>

namespace agentgate {
namespace {

bool has(const HeaderPairs& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& header) { return header.first == name; });
}

}  // namespace

bool is_token_char(unsigned char c) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         kSpecials.find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return is_token_char(static_cast<unsigned char>(c)); });
}

bool is_valid_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return is_token_char(static_cast<unsigned char>(c)) && !(c >= 'A' && c <= 'Z');
  });
}

bool is_valid_header_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
  });
}

bool is_hop_by_hop(std::string_view name) {
  static constexpr std::string_view kHopByHop[] = {"connection", "content-length", "keep-alive", "proxy-connection",
                                                   "te", "trailer", "transfer-encoding", "upgrade"};
  return std::find(std::begin(kHopByHop), std::end(kHopByHop), name) != std::end(kHopByHop);
}

bool is_origin_wide(std::string_view name) { return name == "clear-site-data" || name == "service-worker-allowed"; }

SecurityHeaderSet claim_security_headers(HeaderPairs& headers, bool https_origin) {
  // Only the platform speaks for the whole host: nosniff, and HSTS (which would bind every agent on it).
  std::erase_if(headers, [](const auto& header) {
    return header.first == "x-content-type-options" || header.first == "strict-transport-security";
  });
  SecurityHeaderSet chosen;
  for (size_t i = 0; i < kSecurityHeaders.size(); ++i) {
    std::string_view name = kSecurityHeaders[i].name;
    if (name == "strict-transport-security") {
      chosen[i] = https_origin;
    } else {
      chosen[i] = !has(headers, name);
    }
  }
  return chosen;
}

void add_security_headers(HeaderPairs& headers, bool https_origin) {
  SecurityHeaderSet chosen = claim_security_headers(headers, https_origin);
  for (size_t i = 0; i < kSecurityHeaders.size(); ++i) {
    if (chosen[i]) headers.emplace_back(std::string(kSecurityHeaders[i].name), std::string(kSecurityHeaders[i].value));
  }
}

}  // namespace agentgate
