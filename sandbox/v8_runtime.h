#pragma once
// The process-wide V8 platform: the one piece of global state the sandbox has. Construct exactly one
// in main() (or a test's main) before creating any isolate, and destroy it after the last one.
#include <memory>

namespace v8 {
class Platform;
}

namespace agentgate {

class V8Runtime {
 public:
  V8Runtime();
  ~V8Runtime();
  V8Runtime(const V8Runtime&) = delete;
  V8Runtime& operator=(const V8Runtime&) = delete;

 private:
  std::unique_ptr<v8::Platform> platform_;
};

}  // namespace agentgate
