#pragma once
// The subcommands of the agentgate binary. Each returns the process exit code
// (0 success, 1 failure, 2 usage error).
#include <string>
#include <vector>

namespace agentgate {

int run_serve(const std::vector<std::string>& args);
int run_deploy(const std::vector<std::string>& args);
int run_agents(const std::vector<std::string>& args);
int run_kv(const std::vector<std::string>& args);
int run_console(const std::vector<std::string>& args);
int run_secret(const std::vector<std::string>& args);

}  // namespace agentgate
