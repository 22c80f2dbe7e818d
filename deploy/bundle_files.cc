#include "deploy/bundle_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace agentgate {

namespace fs = std::filesystem;

Result<std::map<std::string, std::string>> read_bundle_dir(const std::string& directory) {
  constexpr size_t kMaxFiles = 256;
  constexpr uintmax_t kMaxFileBytes = uintmax_t{1} << 20;
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(directory) / "agent.json", ec)) {
    return Error{"INVALID_BUNDLE", directory + ": no agent.json in this folder"};
  }
  std::map<std::string, std::string> files;
  fs::recursive_directory_iterator it(directory, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.starts_with(".") || name == "node_modules") {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    std::string relative = fs::relative(it->path(), directory).generic_string();
    std::string extension = it->path().extension().string();
    if (relative != "agent.json" && extension != ".js" && extension != ".mjs") continue;
    if (files.size() >= kMaxFiles) return Error{"INVALID_BUNDLE", directory + ": more than 256 files"};
    if (it->file_size() > kMaxFileBytes) return Error{"INVALID_BUNDLE", relative + ": larger than 1 MiB"};
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in) return Error{"INVALID_BUNDLE", relative + ": cannot read"};
    files.emplace(relative, content.str());
  }
  if (ec) return Error{"INVALID_BUNDLE", directory + ": " + ec.message()};
  return files;
}

}  // namespace agentgate
