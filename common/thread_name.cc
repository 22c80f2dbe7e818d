#include "common/thread_name.h"

#include <pthread.h>

namespace agentgate {

void name_this_thread(std::string name) {
  constexpr size_t kMaxBytes = 15;  // TASK_COMM_LEN, less its NUL
  if (name.size() > kMaxBytes) name.resize(kMaxBytes);
  pthread_setname_np(pthread_self(), name.c_str());  // fails only for a too-long name: cut above
}

}  // namespace agentgate
