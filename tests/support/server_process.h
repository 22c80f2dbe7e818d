#pragma once
// Starts the real agentgate binary (`serve`) on an ephemeral loopback port with a fresh data dir,
// and stops it (SIGTERM, then SIGKILL after a grace period) when destroyed.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "tests/support/http_client.h"

namespace agentgate::testing {

// A temporary directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes files (relative name -> content) under `directory`, creating folders.
void write_files(const std::string& directory, const std::map<std::string, std::string>& files);

// agent.json text for a bundle with one function.
std::string manifest_json(const std::string& id, const std::string& slug, const std::string& function_name,
                          const std::string& path, const std::vector<std::string>& methods, const std::string& module);

class ServerProcess {
 public:
  // `data_dir` persists between processes when the same path is passed again.
  ServerProcess(const std::string& data_dir, std::vector<std::string> extra_args = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool started() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& admin_token() const { return token_; }
  // Everything the server wrote to stderr (its log) so far.
  std::string log() const;

  // SIGTERM and wait; returns the exit status (or -1 if it had to be killed).
  int terminate(std::chrono::milliseconds grace = std::chrono::seconds(20));
  void kill9();

  // Admin API helpers (authorised with the server's token).
  HttpResult admin(const std::string& method, const std::string& target, const std::string& body = "");
  // Deploys files (relative name -> content) through POST /_admin/v1/agents.
  HttpResult deploy(const std::map<std::string, std::string>& files);

 private:
  std::string data_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string token_;
};

}  // namespace agentgate::testing
