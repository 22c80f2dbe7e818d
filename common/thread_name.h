#pragma once
// Names the calling thread as `top -H`, perf and gdb show it, so an operator can tell the HTTP
// workers, the kv writer and the watchdog apart. Linux keeps at most 15 bytes; longer is cut.
#include <string>

namespace agentgate {

void name_this_thread(std::string name);

}  // namespace agentgate
