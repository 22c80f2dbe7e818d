#pragma once
// Test helpers shared by the sandbox unit tests: an invocation outcome as one comparable line, and
// a gtest-safe test name from a table row's name.
#include <cctype>
#include <string>
#include <string_view>

#include "sandbox/handler_types.h"

namespace agentgate::testing {

inline std::string status_name(InvokeStatus status) {
  switch (status) {
    case InvokeStatus::kOk: return "kOk";
    case InvokeStatus::kHandlerError: return "kHandlerError";
    case InvokeStatus::kInvalidResponse: return "kInvalidResponse";
    case InvokeStatus::kStartupError: return "kStartupError";
    case InvokeStatus::kCpuLimit: return "kCpuLimit";
    case InvokeStatus::kWallLimit: return "kWallLimit";
    case InvokeStatus::kHeapLimit: return "kHeapLimit";
    case InvokeStatus::kIsolateRestarted: return "kIsolateRestarted";
  }
  return "InvokeStatus(" + std::to_string(static_cast<int>(status)) + ")";
}

// Printable ASCII as is, every other byte as \xNN.
inline std::string escaped(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(ch);
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

// "200 [content-type=text/html] <h1>hi</h1>" for kOk; the status name otherwise.
inline std::string response_text(const InvokeOutcome& outcome) {
  if (outcome.status != InvokeStatus::kOk) return status_name(outcome.status);
  std::string out = std::to_string(outcome.response.status) + " ";
  for (const auto& [name, value] : outcome.response.headers) out += "[" + escaped(name) + "=" + escaped(value) + "]";
  if (outcome.response.headers.empty()) out += "[]";
  return out + " " + escaped(outcome.response.body);
}

inline std::string row_name(std::string_view text) {
  std::string name;
  for (char c : text) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

}  // namespace agentgate::testing
