#pragma once
// Cryptographically secure randomness (OpenSSL RAND_bytes). Aborts if the CSPRNG fails, because
// every caller (ids, tokens, crypto.getRandomValues) would otherwise hand out predictable values.
#include <cstddef>
#include <string>

namespace agentgate {

void fill_random(unsigned char* out, size_t size);

// `bytes` random bytes as lower-case hex (2 * bytes characters).
std::string random_hex(size_t bytes);

}  // namespace agentgate
