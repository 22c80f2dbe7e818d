// In-process cost of one handler invocation, without HTTP: the JS side of a workload, measured
// where the noise of sockets and of wrk sharing the cores cannot reach it. For each function of an
// agent bundle it invokes the handler many times on one isolate pool (as one worker does) and
// prints the median over rounds of the mean time per invocation.
//
//   handler_cost AGENT_DIR SEED_FUNCTION:COUNT [FUNCTION[:COOKIE_NAME]]...
//
// With HANDLER_COST_EVICT_KB=N in the environment, N KiB of unrelated memory are written before
// each invocation: in a server the network stack, the HTTP parser and other requests run between
// two invocations and leave the caches cold, which in-process loops otherwise hide (on this
// project's 2-core VM, N=768 brings the extra cost of the session read close to what wrk shows).
//
// SEED_FUNCTION is invoked once with ?from=0&to=COUNT (the sessions agent's "seed"). A function
// given a cookie name is invoked with `COOKIE_NAME=bench-session-<i>`, i drawn at random below COUNT.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "deploy/bundle_files.h"
#include "deploy/manifest.h"
#include "kv/rocks_kv_store.h"
#include "kv/rocks_store.h"
#include "sandbox/isolate_pool.h"
#include "sandbox/v8_runtime.h"
#include "sandbox/watchdog.h"

namespace agentgate {
namespace {

// Runs posted completions (the store's writes) on the calling thread; no timers are needed.
class PostedTasks final : public EventLoop {
 public:
  TimerId start_timer(std::chrono::milliseconds, std::function<void()>) override { return ++next_; }
  void cancel_timer(TimerId) override {}
  void post(std::function<void()> task) override {
    std::lock_guard lock(mutex_);
    posted_.push_back(std::move(task));
  }
  void run_ready() {
    std::vector<std::function<void()>> ready;
    {
      std::lock_guard lock(mutex_);
      ready.swap(posted_);
    }
    for (auto& task : ready) task();
  }

 private:
  TimerId next_ = 0;
  std::mutex mutex_;
  std::vector<std::function<void()>> posted_;
};

struct Target {
  size_t function_index;
  std::string name;
  std::string cookie_name;
};

HandlerRequest request_for(const AgentSpec& agent, size_t function_index, const std::string& query) {
  const FunctionSpec& function = agent.functions[function_index];
  HandlerRequest request;
  request.request_id = "bench";
  request.method = (function.methods & kGet) ? "GET" : "POST";
  request.origin = "http://127.0.0.1:8080";
  request.url = request.origin + "/agents/" + agent.id + "/" + function.name + "/" + query;
  request.headers = {{"host", "127.0.0.1:8080"}, {"user-agent", "wrk"}};
  return request;
}

int run(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: handler_cost AGENT_DIR SEED_FUNCTION:COUNT [FUNCTION[:COOKIE_NAME]]...\n");
    return 2;
  }
  auto files = read_bundle_dir(argv[1]);
  if (!files) return std::fprintf(stderr, "%s\n", files.error().message.c_str()), 1;
  auto parsed = parse_bundle(std::move(*files));
  if (!parsed) return std::fprintf(stderr, "%s\n", parsed.error().message.c_str()), 1;
  auto agent = std::make_shared<const AgentSpec>(std::move(*parsed));
  auto index_of = [&](const std::string& name) -> std::optional<size_t> {
    for (size_t i = 0; i < agent->functions.size(); ++i) {
      if (agent->functions[i].name == name) return i;
    }
    return std::nullopt;
  };

  auto data_dir = std::filesystem::temp_directory_path() / ("handler_cost." + std::to_string(::getpid()));
  auto db = RocksStore::open(data_dir.string());
  if (!db) return std::fprintf(stderr, "%s\n", db.error().message.c_str()), 1;
  {
    RocksKvStore kv(**db);
    V8Runtime v8_runtime;
    PostedTasks loop;
    Watchdog watchdog(std::chrono::milliseconds(1));
    IsolatePool pool(SandboxLimits{}, loop, watchdog.new_slot(), SandboxServices{.kv = &kv});

    auto invoke = [&](size_t function, HandlerRequest request) {
      std::optional<InvokeOutcome> outcome;
      pool.invoke(agent, function, std::move(request), [&](InvokeOutcome result) { outcome = std::move(result); });
      while (!outcome) loop.run_ready();
      return std::move(*outcome);
    };

    std::string seed(argv[2]);
    auto colon = seed.find(':');
    int count = std::atoi(seed.substr(colon + 1).c_str());
    auto seed_index = index_of(seed.substr(0, colon));
    if (!seed_index || count < 1) return std::fprintf(stderr, "bad seed %s\n", argv[2]), 2;
    for (int from = 0; from < count; from += 250) {
      auto query = "?from=" + std::to_string(from) + "&to=" + std::to_string(std::min(count, from + 250));
      auto outcome = invoke(*seed_index, request_for(*agent, *seed_index, query));
      if (outcome.status != InvokeStatus::kOk) return std::fprintf(stderr, "seed failed: %s\n", outcome.detail.c_str()), 1;
    }

    std::vector<Target> targets;
    for (int i = 3; i < argc; ++i) {
      std::string arg(argv[i]);
      auto split = arg.find(':');
      std::string name = arg.substr(0, split);
      auto index = index_of(name);
      if (!index) return std::fprintf(stderr, "no function %s\n", name.c_str()), 2;
      targets.push_back({*index, name, split == std::string::npos ? "" : arg.substr(split + 1)});
    }

    const char* evict_kb = std::getenv("HANDLER_COST_EVICT_KB");
    std::vector<char> evict(evict_kb ? static_cast<size_t>(std::atoi(evict_kb)) * 1024 : 0);
    constexpr int kRounds = 15;
    constexpr int kPerRound = 20000;
    std::vector<std::vector<double>> micros(targets.size());
    std::mt19937 pick(42);  // random sessions, as wrk's session_read.lua picks them
    std::uniform_int_distribution<int> session(0, count - 1);
    for (int round = 0; round < kRounds; ++round) {
      for (size_t t = 0; t < targets.size(); ++t) {
        std::vector<HandlerRequest> requests;
        requests.reserve(kPerRound);
        for (int i = 0; i < kPerRound; ++i) {
          HandlerRequest request = request_for(*agent, targets[t].function_index, "");
          if (!targets[t].cookie_name.empty()) {
            request.headers.emplace_back("cookie", targets[t].cookie_name + "=bench-session-" +
                                                       std::to_string(session(pick)));
          }
          requests.push_back(std::move(request));
        }
        auto start = std::chrono::steady_clock::now();
        for (auto& request : requests) {
          for (size_t i = 0; i < evict.size(); i += 64) evict[i]++;  // one write per cache line
          auto outcome = invoke(targets[t].function_index, std::move(request));
          if (outcome.status != InvokeStatus::kOk || outcome.response.status != 200) {
            std::fprintf(stderr, "%s failed: %d %s\n", targets[t].name.c_str(), outcome.response.status,
                         outcome.detail.c_str());
            return 1;
          }
        }
        std::chrono::duration<double, std::micro> elapsed = std::chrono::steady_clock::now() - start;
        micros[t].push_back(elapsed.count() / kPerRound);
      }
    }
    for (size_t t = 0; t < targets.size(); ++t) {
      std::sort(micros[t].begin(), micros[t].end());
      std::printf("%-12s median %.2f us  min %.2f us\n", targets[t].name.c_str(), micros[t][kRounds / 2], micros[t][0]);
    }
    kv.close();
  }
  db->reset();
  std::filesystem::remove_all(data_dir);
  return 0;
}

}  // namespace
}  // namespace agentgate

int main(int argc, char** argv) { return agentgate::run(argc, argv); }
