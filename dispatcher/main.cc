// agentgate: serves web handlers written by AI agents, each agent in its own V8 isolate.
#include <iostream>
#include <string>
#include <vector>

#include "dispatcher/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: agentgate <command> [flags]\n\n"
    "commands:\n"
    "  serve                 run the server (agentgate serve --help for its flags)\n"
    "  deploy DIR            deploy the agent bundle in DIR (agent.json + modules)\n"
    "  agents list           list deployed agents\n"
    "  agents delete ID      delete an agent (and its kv data)\n"
    "  kv get|list|delete    read or delete an agent's ctx.kv data: --agent ID --user-id U\n"
    "                        [--key K | --prefix P [--limit N] [--cursor C]]\n"
    "  console --agent ID    an agent's owner console: policy warnings, errors, console.log\n"
    "                        [--since CURSOR] [--limit N] [--follow]\n"
    "  secret set|list|delete|rotate-key   an agent's secrets (set reads the value from stdin)\n\n"
    "client flags (deploy, agents, kv, console, secret): --server URL (default http://127.0.0.1:8080, or AGENTGATE_SERVER),\n"
    "  --token-file FILE (default ./data/admin.token; or the token itself in AGENTGATE_TOKEN)\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "serve") return agentgate::run_serve(args);
  if (command == "deploy") return agentgate::run_deploy(args);
  if (command == "agents") return agentgate::run_agents(args);
  if (command == "kv") return agentgate::run_kv(args);
  if (command == "console") return agentgate::run_console(args);
  if (command == "secret") return agentgate::run_secret(args);
  std::cerr << "agentgate: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}
