#pragma once
// ASCII case folding for protocol text (header names, schemes, hosts, methods): locale-independent,
// and bytes outside A-Z (UTF-8 included) are left as they are.
#include <string>
#include <string_view>

namespace agentgate {

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

inline bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

inline void lower_ascii(std::string& text) {
  for (char& c : text) c = ascii_lower(c);
}

inline std::string lowered_ascii(std::string_view text) {
  std::string out(text);
  lower_ascii(out);
  return out;
}

}  // namespace agentgate
