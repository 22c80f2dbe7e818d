#pragma once
// Agent ids are RFC 9562 UUIDs. The canonical text form (lower-case, hyphenated) is the only one
// used in URLs, cookie names and storage keys.
#include <optional>
#include <string>
#include <string_view>

namespace agentgate {

// A fresh random (version 4) UUID in canonical form.
std::string new_uuid_v4();

// The canonical form of `text` when it is a UUID in 8-4-4-4-12 hex form (any case), else nullopt.
std::optional<std::string> canonical_uuid(std::string_view text);

inline bool is_canonical_uuid(std::string_view text) {
  auto canonical = canonical_uuid(text);
  return canonical && *canonical == text;
}

}  // namespace agentgate
