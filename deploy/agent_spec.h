#pragma once
// The validated, immutable description of one deployed agent version: what agent.json declared plus
// the module sources. Built only by parse_bundle (manifest.h); shared read-only across threads.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentgate {

// HTTP methods a function may declare, as bits so a route check is one AND.
enum MethodBit : uint32_t {
  kGet = 1u << 0,
  kHead = 1u << 1,
  kPost = 1u << 2,
  kPut = 1u << 3,
  kPatch = 1u << 4,
  kDelete = 1u << 5,
  kOptions = 1u << 6,
};
// The bit for an upper-case method name, or 0 for a method functions cannot declare.
uint32_t method_bit(std::string_view method);
// "GET, POST" for an Allow header, in a fixed order.
std::string allow_header(uint32_t methods);

enum class AuthMode { kNone, kVisitorSession };

enum class Access { kNone, kRead, kReadWrite };

struct KvPermissions {
  Access self = Access::kNone;
  Access visitor = Access::kNone;
  // Agent-defined identity namespaces: pattern ("google:*" or an exact id) -> access.
  std::vector<std::pair<std::string, Access>> subjects;
};

struct FunctionSpec {
  std::string name;
  uint32_t methods = 0;
  std::string path;    // as declared: "/webapp/*"
  std::string prefix;  // what it matches: "/webapp" ("" for "/*")
  std::string module;  // file name inside the bundle
  AuthMode auth = AuthMode::kNone;
  KvPermissions kv;
};

struct AgentSpec {
  std::string id;    // canonical UUID
  std::string slug;
  uint64_t version = 0;           // assigned by the registry, 1 for the first deploy
  int64_t deployed_at_ms = 0;     // unix time, assigned by the registry
  std::vector<FunctionSpec> functions;
  std::map<std::string, std::string> files;  // every bundle file, agent.json included
};

using AgentSpecPtr = std::shared_ptr<const AgentSpec>;

}  // namespace agentgate
