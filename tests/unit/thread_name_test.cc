// name_this_thread: the name the kernel keeps is what `top -H` and perf show.
#include <gtest/gtest.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

#include "common/thread_name.h"

namespace agentgate {
namespace {

std::string kernel_name_of_this_thread() {
  std::ifstream comm("/proc/self/task/" + std::to_string(syscall(SYS_gettid)) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

std::string name_on_a_new_thread(const std::string& name) {
  std::string seen;
  std::thread([&] {
    name_this_thread(name);
    seen = kernel_name_of_this_thread();
  }).join();
  return seen;
}

TEST(ThreadName, IsWhatTheKernelShows) { EXPECT_EQ(name_on_a_new_thread("kv-writer"), "kv-writer"); }

TEST(ThreadName, LongerThanTheKernelKeepsIsCutToFifteenBytes) {
  EXPECT_EQ(name_on_a_new_thread("http-worker-12345"), "http-worker-123");
}

}  // namespace
}  // namespace agentgate
