#include "dispatcher/admin_token.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/random.h"

namespace agentgate {

Result<std::string> load_admin_token(const std::string& path, bool create) {
  if (create && !std::filesystem::exists(path)) {
    std::string token = random_hex(32) + "\n";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 && errno != EEXIST) {
      return Error{"CONFIG", "cannot create admin token file " + path + ": " + std::strerror(errno)};
    }
    if (fd >= 0) {
      bool written = ::write(fd, token.data(), token.size()) == static_cast<ssize_t>(token.size());
      ::close(fd);
      if (!written) return Error{"CONFIG", "cannot write admin token file " + path};
    }
  }
  std::ifstream in(path);
  if (!in) return Error{"CONFIG", "cannot read admin token file " + path};
  std::stringstream content;
  content << in.rdbuf();
  std::string token = content.str();
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  token.erase(token.begin(), std::find_if(token.begin(), token.end(), not_space));
  token.erase(std::find_if(token.rbegin(), token.rend(), not_space).base(), token.end());
  if (token.size() < 16) return Error{"CONFIG", "admin token in " + path + " is shorter than 16 characters"};
  return token;
}

}  // namespace agentgate
