#pragma once
// Web APIs must behave as their standards say: these run one JS expression in Node.js (the
// reference) and in agentgate's sandbox, so a test can compare what comes out.
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <ostream>
#include <string>

#include "tests/support/sandbox_harness.h"

namespace agentgate::testing {

// String(await expression) in Node, after `prologue`; "threw <ErrorName>" when it throws.
inline std::string in_node(const std::string& prologue, const std::string& expression) {
  std::string script = prologue + "(async () => { try { console.log(String(await (" + expression +
                       "))); } catch (e) { console.log('threw ' + e.name); } })();\n";
  char path[] = "/tmp/agentgate-node-compare-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return "cannot write the node script";
  bool written = write(fd, script.data(), script.size()) == static_cast<ssize_t>(script.size());
  close(fd);
  std::string out = written ? "" : "cannot write the node script";
  if (written) {
    std::unique_ptr<FILE, decltype(&pclose)> pipe(popen((std::string("node ") + path).c_str(), "r"), &pclose);
    std::array<char, 4096> buffer;
    while (pipe && !feof(pipe.get())) {
      size_t n = fread(buffer.data(), 1, buffer.size(), pipe.get());
      if (n == 0) break;
      out.append(buffer.data(), n);
    }
  }
  unlink(path);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// The same in a handler; errors reduced to "threw <ErrorName>" like Node's side.
inline std::string in_agentgate(SandboxHarness& harness, const std::string& prologue, const std::string& expression) {
  std::string result = harness.eval("(async () => {" + prologue + "return await (" + expression + "); })()");
  if (result.rfind("threw ", 0) == 0) result = result.substr(0, result.find(':'));
  return result;
}

// One row of a "same result as Node" table: a test name and a JS expression.
struct NodeCase {
  const char* name;
  const char* expression;
};
inline void PrintTo(const NodeCase& row, std::ostream* os) { *os << row.name; }
inline std::string node_case_name(const ::testing::TestParamInfo<NodeCase>& info) { return info.param.name; }

// `expression` (after `prologue`, on both sides) must give here what it gives in Node.
inline void expect_same_as_node(const std::string& prologue, const std::string& expression) {
  SandboxHarness harness;
  std::string expected = in_node(prologue, expression);
  ASSERT_FALSE(expected.empty()) << "node printed nothing";
  EXPECT_EQ(in_agentgate(harness, prologue, expression), expected);
}

}  // namespace agentgate::testing
