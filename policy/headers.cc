#include "policy/headers.h"

#include <algorithm>

namespace agentgate {
namespace {

bool has(const HeaderPairs& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& header) { return header.first == name; });
}

void replace(HeaderPairs& headers, std::string_view name, std::string_view value) {
  std::erase_if(headers, [&](const auto& header) { return header.first == name; });
  headers.emplace_back(std::string(name), std::string(value));
}

void add_unless_set(HeaderPairs& headers, std::string_view name, std::string_view value) {
  if (!has(headers, name)) headers.emplace_back(std::string(name), std::string(value));
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

void add_security_headers(HeaderPairs& headers, bool https_origin) {
  replace(headers, "x-content-type-options", "nosniff");
  if (https_origin) {
    replace(headers, "strict-transport-security", "max-age=31536000");
  } else {
    std::erase_if(headers, [](const auto& header) { return header.first == "strict-transport-security"; });
  }
  add_unless_set(headers, "referrer-policy", "strict-origin-when-cross-origin");
  add_unless_set(headers, "content-security-policy", "frame-ancestors 'self'");
  add_unless_set(headers, "cross-origin-opener-policy", "same-origin");
}

}  // namespace agentgate
