// gtest main for every test binary: one V8 platform for the whole process (V8 allows only one).
#include <gtest/gtest.h>

#include "sandbox/v8_runtime.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  agentgate::V8Runtime v8_runtime;
  return RUN_ALL_TESTS();
}
