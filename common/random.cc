#include "common/random.h"

#include <openssl/rand.h>

#include <climits>
#include <cstdlib>
#include <vector>

#include "common/log.h"

namespace agentgate {

void fill_random(unsigned char* out, size_t size) {
  while (size > 0) {
    int chunk = size > INT_MAX ? INT_MAX : static_cast<int>(size);
    if (RAND_bytes(out, chunk) != 1) {
      log::error("RAND_bytes failed: refusing to continue without a working CSPRNG");
      std::abort();
    }
    out += chunk;
    size -= static_cast<size_t>(chunk);
  }
}

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  fill_random(raw.data(), raw.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char b : raw) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0f]);
  }
  return out;
}

}  // namespace agentgate
