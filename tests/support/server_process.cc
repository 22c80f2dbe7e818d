#include "tests/support/server_process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace agentgate::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "agentgate-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_files(const std::string& directory, const std::map<std::string, std::string>& files) {
  for (const auto& [name, content] : files) {
    fs::path path = fs::path(directory) / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
  }
}

std::string manifest_json(const std::string& id, const std::string& slug, const std::string& function_name,
                          const std::string& path, const std::vector<std::string>& methods, const std::string& module) {
  boost::json::array method_array;
  for (const auto& method : methods) method_array.emplace_back(method);
  boost::json::object function{{"name", function_name},
                               {"endpoint", {{"methods", method_array}, {"path", path}}},
                               {"module", module},
                               {"auth", "none"}};
  boost::json::object manifest{{"slug", slug}, {"functions", boost::json::array{function}}};
  if (!id.empty()) manifest["id"] = id;
  return boost::json::serialize(manifest);
}

ServerProcess::ServerProcess(const std::string& data_dir, std::vector<std::string> extra_args) : data_dir_(data_dir) {
  fs::create_directories(data_dir);
  log_path_ = data_dir + "/server.log";
  int out_pipe[2];
  if (pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args = {AGENTGATE_BINARY, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir,
                                   "--workers", "2"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = fork();
  if (pid_ == 0) {
    // A test binary that crashes must not leave its servers running (holding ports, data dirs, and
    // any lock the test run held): the kernel kills the server when the thread that started it ends,
    // so a ServerProcess must be made on the thread that lives as long as it (the test's).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(out_pipe[1], STDOUT_FILENO);
    int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(log_fd, STDERR_FILENO);
    close(out_pipe[0]);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  // Read stdout until the "listening on" line (or 30 s pass).
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  std::string output;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const std::string marker = "listening on http://127.0.0.1:";
  while (std::chrono::steady_clock::now() < give_up) {
    char chunk[1024];
    ssize_t n = read(out_pipe[0], chunk, sizeof chunk);
    if (n > 0) output.append(chunk, static_cast<size_t>(n));
    size_t at = output.find(marker);
    if (at != std::string::npos && output.find('\n', at) != std::string::npos) {
      port_ = static_cast<uint16_t>(std::stoi(output.substr(at + marker.size())));
      break;
    }
    if (n == 0) break;  // the process exited
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  close(out_pipe[0]);
  std::ifstream token_file(data_dir + "/admin.token");
  std::getline(token_file, token_);
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) terminate(std::chrono::seconds(10));
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

int ServerProcess::terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  auto give_up = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (std::chrono::steady_clock::now() < give_up) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill9();
  return -1;
}

void ServerProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

HttpResult ServerProcess::admin(const std::string& method, const std::string& target, const std::string& body) {
  HttpRequestSpec spec;
  spec.method = method;
  spec.target = target;
  spec.body = body;
  spec.headers = {{"authorization", "Bearer " + token_}};
  if (!body.empty()) spec.headers.emplace_back("content-type", "application/json");
  return http_request(port_, spec);
}

HttpResult ServerProcess::deploy(const std::map<std::string, std::string>& files) {
  boost::json::object file_map;
  for (const auto& [name, content] : files) file_map[name] = content;
  return admin("POST", "/_admin/v1/agents", boost::json::serialize(boost::json::object{{"files", file_map}}));
}

}  // namespace agentgate::testing
