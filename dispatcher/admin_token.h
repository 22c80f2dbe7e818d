#pragma once
// The admin API's bearer token lives in a file (mode 0600). `serve` creates one on first start when
// the file does not exist; the CLI reads the same file.
#include <string>

#include "common/result.h"

namespace agentgate {

// Reads the token in `path` (surrounding whitespace ignored), creating the file with a fresh random
// token first when `create` is set and it does not exist.
Result<std::string> load_admin_token(const std::string& path, bool create);

}  // namespace agentgate
