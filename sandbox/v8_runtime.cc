#include "sandbox/v8_runtime.h"

#include <libplatform/libplatform.h>
#include <v8.h>

#include <string_view>

namespace agentgate {

V8Runtime::V8Runtime() : platform_(v8::platform::NewDefaultPlatform()) {
  // Agents' code is untrusted: no string-to-code beyond what the language requires, no wasm
  // threads, and a stack small enough that deep recursion throws RangeError instead of crashing.
  constexpr std::string_view kFlags = "--stack-size=900 --no-expose-wasm";
  v8::V8::SetFlagsFromString(kFlags.data(), kFlags.size());
  v8::V8::InitializePlatform(platform_.get());
  v8::V8::Initialize();
}

V8Runtime::~V8Runtime() {
  v8::V8::Dispose();
  v8::V8::DisposePlatform();
}

}  // namespace agentgate
