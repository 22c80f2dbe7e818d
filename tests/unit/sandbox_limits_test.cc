// Per-request limits, start-up failures, module loading, interleaving and isolation between agents,
// run in a real isolate pool with small limits. Every "next request works" case reuses the same
// AgentSpecPtr, as the dispatcher does for an agent whose version did not change.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "tests/support/sandbox_harness.h"
#include "tests/unit/outcome_text.h"

namespace agentgate::testing {
namespace {

using std::chrono::milliseconds;

SandboxLimits limits(milliseconds cpu, milliseconds wall, size_t heap_mib = 128, milliseconds startup_cpu = milliseconds(1000)) {
  SandboxLimits l;
  l.cpu_time = cpu;
  l.wall_time = wall;
  l.heap_bytes = heap_mib << 20;
  l.startup_cpu_time = startup_cpu;
  return l;
}

HandlerRequest request_with_method(std::string method) {
  HandlerRequest request = SandboxHarness::default_request();
  request.method = std::move(method);
  return request;
}

// POST runs `misbehaviour`; every other method answers "alive".
AgentSpecPtr agent_misbehaving_on_post(const std::string& misbehaviour) {
  return single_function_agent("export default async function (ctx) {\n"
                               "  if (ctx.request.method === 'POST') { " + misbehaviour + " }\n"
                               "  return { body: 'alive' };\n"
                               "}\n");
}

AgentSpecPtr agent_with_files(std::map<std::string, std::string> files, const std::string& id = "11111111-2222-4333-8444-555555555555") {
  auto spec = std::make_shared<AgentSpec>(*single_function_agent("", id));
  spec->files = std::move(files);
  return spec;
}

// ---- CPU ---------------------------------------------------------------------------------------------

struct CpuRow {
  std::string name;
  std::string misbehaviour;
};
void PrintTo(const CpuRow& row, std::ostream* os) { *os << row.name; }

class CpuLimit : public ::testing::TestWithParam<CpuRow> {};

TEST_P(CpuLimit, Stops) {
  SandboxHarness harness(limits(milliseconds(50), milliseconds(10'000)));
  EXPECT_EQ(status_name(harness.run(agent_misbehaving_on_post(GetParam().misbehaviour), request_with_method("POST")).status),
            "kCpuLimit");
}

TEST_P(CpuLimit, NextRequestToTheAgentWorks) {
  SandboxHarness harness(limits(milliseconds(50), milliseconds(10'000)));
  auto agent = agent_misbehaving_on_post(GetParam().misbehaviour);
  ASSERT_EQ(status_name(harness.run(agent, request_with_method("POST")).status), "kCpuLimit");
  EXPECT_EQ(response_text(harness.run(agent, request_with_method("GET"))), "200 [] alive");
}

INSTANTIATE_TEST_SUITE_P(
    Table, CpuLimit,
    ::testing::Values(CpuRow{"infinite loop", "for (;;) {}"},
                      CpuRow{"infinite loop after an await", "await null; for (;;) {}"},
                      CpuRow{"infinite loop in a timer callback",
                             "await new Promise((r) => setTimeout(() => { for (;;) {} }, 1));"},
                      CpuRow{"infinite loop in a microtask", "await new Promise(() => queueMicrotask(() => { for (;;) {} }));"},
                      CpuRow{"budget spent across awaits",
                             "for (let i = 0; i < 4; i++) { const end = Date.now() + 30; while (Date.now() < end) {}"
                             " await new Promise((r) => setTimeout(r, 1)); }"},
                      CpuRow{"loop inside try/finally", "try { for (;;) {} } finally { for (;;) {} }"}),
    [](const auto& info) { return row_name(info.param.name); });

// ---- wall time ---------------------------------------------------------------------------------------

struct WallRow {
  std::string name;
  std::string misbehaviour;
};
void PrintTo(const WallRow& row, std::ostream* os) { *os << row.name; }

class WallLimit : public ::testing::TestWithParam<WallRow> {};

TEST_P(WallLimit, Stops) {
  SandboxHarness harness(limits(milliseconds(50), milliseconds(200)));
  EXPECT_EQ(status_name(harness.run(agent_misbehaving_on_post(GetParam().misbehaviour), request_with_method("POST")).status),
            "kWallLimit");
}

TEST_P(WallLimit, NextRequestToTheAgentWorks) {
  SandboxHarness harness(limits(milliseconds(50), milliseconds(200)));
  auto agent = agent_misbehaving_on_post(GetParam().misbehaviour);
  ASSERT_EQ(status_name(harness.run(agent, request_with_method("POST")).status), "kWallLimit");
  EXPECT_EQ(response_text(harness.run(agent, request_with_method("GET"))), "200 [] alive");
}

INSTANTIATE_TEST_SUITE_P(
    Table, WallLimit,
    ::testing::Values(WallRow{"never-resolving promise", "await new Promise(() => {});"},
                      WallRow{"timer longer than the limit", "await new Promise((r) => setTimeout(r, 5000));"},
                      WallRow{"chain of short timers", "for (;;) await new Promise((r) => setTimeout(r, 20));"}),
    [](const auto& info) { return row_name(info.param.name); });

// ---- heap --------------------------------------------------------------------------------------------

// Generous CPU and wall time: only the heap limit may stop these.
SandboxLimits heap_limits() { return limits(milliseconds(10'000), milliseconds(30'000), 32); }

const std::string kExhaustHeap = "const keep = []; for (;;) keep.push(new Array(100000).fill(7));";

TEST(HeapLimit, ExhaustionIsHeapLimit) {
  SandboxHarness harness(heap_limits());
  EXPECT_EQ(status_name(harness.run(agent_misbehaving_on_post(kExhaustHeap), request_with_method("POST")).status), "kHeapLimit");
}

TEST(HeapLimit, NextRequestToTheSameSpecWorks) {
  SandboxHarness harness(heap_limits());
  auto agent = agent_misbehaving_on_post(kExhaustHeap);
  ASSERT_EQ(status_name(harness.run(agent, request_with_method("POST")).status), "kHeapLimit");
  EXPECT_EQ(response_text(harness.run(agent, request_with_method("GET"))), "200 [] alive");
}

TEST(HeapLimit, ExhaustionInTimerCallbackIsHeapLimit) {
  SandboxHarness harness(heap_limits());
  auto agent = agent_misbehaving_on_post("await new Promise(() => setTimeout(() => { " + kExhaustHeap + " }, 1));");
  EXPECT_EQ(status_name(harness.run(agent, request_with_method("POST")).status), "kHeapLimit");
}

TEST(HeapLimit, ReplacementIsolateStartsFresh) {
  SandboxHarness harness(heap_limits());
  auto agent = single_function_agent(
      "let requests = 0;\n"
      "export default async function (ctx) {\n"
      "  requests++;\n"
      "  if (ctx.request.method === 'POST') { " + kExhaustHeap + " }\n"
      "  return { body: String(requests) };\n"
      "}\n");
  ASSERT_EQ(response_text(harness.run(agent, request_with_method("GET"))), "200 [] 1");
  ASSERT_EQ(status_name(harness.run(agent, request_with_method("POST")).status), "kHeapLimit");
  EXPECT_EQ(response_text(harness.run(agent, request_with_method("GET"))), "200 [] 1");
}

// ---- start-up ------------------------------------------------------------------------------------------

struct StartupRow {
  std::string name;
  std::map<std::string, std::string> files;  // main.js is the function's module
};
void PrintTo(const StartupRow& row, std::ostream* os) { *os << row.name; }

class StartupFailure : public ::testing::TestWithParam<StartupRow> {};

TEST_P(StartupFailure, IsStartupError) {
  SandboxHarness harness(limits(milliseconds(50), milliseconds(10'000), 128, milliseconds(100)));
  EXPECT_EQ(status_name(harness.run(agent_with_files(GetParam().files)).status), "kStartupError");
}

const std::string kHandler = "export default async function () { return { body: 'ok' }; }\n";

INSTANTIATE_TEST_SUITE_P(
    Table, StartupFailure,
    ::testing::Values(
        StartupRow{"top level throws", {{"main.js", "throw new Error('top-level boom');\n" + kHandler}}},
        StartupRow{"syntax error", {{"main.js", "export default async function ( { return {}; }\n"}}},
        StartupRow{"no default export", {{"main.js", "export async function handler() { return {}; }\n"}}},
        StartupRow{"default export not a function", {{"main.js", "export default { body: 'x' };\n"}}},
        StartupRow{"top level infinite loop", {{"main.js", "for (;;) {}\n" + kHandler}}},
        StartupRow{"top-level await never settles", {{"main.js", "await new Promise(() => {});\n" + kHandler}}},
        StartupRow{"top-level await rejects", {{"main.js", "await Promise.reject(new Error('no'));\n" + kHandler}}},
        StartupRow{"bare specifier import", {{"main.js", "import _ from 'lodash';\n" + kHandler}}},
        StartupRow{"node builtin import", {{"main.js", "import fs from 'node:fs';\n" + kHandler}}},
        StartupRow{"absolute import", {{"main.js", "import { x } from '/lib.js';\n" + kHandler}, {"lib.js", "export const x = 1;\n"}}},
        StartupRow{"import of a missing file", {{"main.js", "import { x } from './missing.js';\n" + kHandler}}},
        StartupRow{"import escaping the bundle", {{"main.js", "import { x } from '../lib.js';\n" + kHandler}, {"lib.js", "export const x = 1;\n"}}},
        StartupRow{"import of a name the module lacks",
                   {{"main.js", "import { nope } from './lib.js';\n" + kHandler}, {"lib.js", "export const x = 1;\n"}}},
        StartupRow{"imported module throws", {{"main.js", "import './lib.js';\n" + kHandler}, {"lib.js", "throw new Error('lib boom');\n"}}}),
    [](const auto& info) { return row_name(info.param.name); });

TEST(Startup, ErrorDetailNamesModuleAndMessage) {
  SandboxHarness harness;
  auto outcome = harness.run(agent_with_files({{"main.js", "throw new Error('top-level boom');\n" + kHandler}}));
  bool named = outcome.detail.find("main.js") != std::string::npos && outcome.detail.find("top-level boom") != std::string::npos;
  EXPECT_TRUE(named) << outcome.detail;
}

TEST(Startup, FailedAgentKeepsFailing) {
  SandboxHarness harness;
  auto agent = agent_with_files({{"main.js", "throw new Error('boom');\n"}});
  ASSERT_EQ(status_name(harness.run(agent).status), "kStartupError");
  EXPECT_EQ(status_name(harness.run(agent).status), "kStartupError");
}

// ---- deploy-time check ---------------------------------------------------------------------------------

struct DeployCheckRow {
  std::string name;
  std::map<std::string, std::string> files;
  std::string expected;  // "ok", or the error code and the start of the message
};
void PrintTo(const DeployCheckRow& row, std::ostream* os) { *os << row.name; }

class DeployCheck : public ::testing::TestWithParam<DeployCheckRow> {};

TEST_P(DeployCheck, ReportsTheFile) {
  SandboxHarness harness(limits(milliseconds(50), milliseconds(10'000), 128, milliseconds(100)));
  Status loaded = harness.pool().check_loads(agent_with_files(GetParam().files));
  std::string verdict = loaded ? "ok" : loaded.error().code + " " + loaded.error().message;
  EXPECT_EQ(verdict.substr(0, GetParam().expected.size()), GetParam().expected) << verdict;
}

INSTANTIATE_TEST_SUITE_P(
    Table, DeployCheck,
    ::testing::Values(
        DeployCheckRow{"valid module", {{"main.js", kHandler}}, "ok"},
        DeployCheckRow{"syntax error", {{"main.js", "export default async function ( {\n"}}, "MODULE_ERROR main.js: does not compile"},
        DeployCheckRow{"syntax error in an imported file",
                       {{"main.js", "import './lib/bad.js';\n" + kHandler}, {"lib/bad.js", "let = ;\n"}},
                       "MODULE_ERROR lib/bad.js: does not compile"},
        DeployCheckRow{"bare import", {{"main.js", "import x from 'x';\n" + kHandler}}, "MODULE_ERROR main.js: import 'x'"},
        DeployCheckRow{"top level throws", {{"main.js", "throw new Error('t');\n" + kHandler}}, "MODULE_ERROR main.js: top-level code threw"},
        DeployCheckRow{"no default export", {{"main.js", "export const handler = () => ({});\n"}}, "MODULE_ERROR main.js: must `export default`"}),
    [](const auto& info) { return row_name(info.param.name); });

// ---- modules --------------------------------------------------------------------------------------------

struct ModuleRow {
  std::string name;
  std::map<std::string, std::string> files;
  std::string expected;
};
void PrintTo(const ModuleRow& row, std::ostream* os) { *os << row.name; }

class ModuleImports : public ::testing::TestWithParam<ModuleRow> {};

TEST_P(ModuleImports, Load) {
  SandboxHarness harness;
  EXPECT_EQ(response_text(harness.run(agent_with_files(GetParam().files))), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ModuleImports,
    ::testing::Values(
        ModuleRow{"sibling file",
                  {{"main.js", "import { greet } from './lib.js';\nexport default () => ({ body: greet('x') });\n"},
                   {"lib.js", "export const greet = (n) => 'hi ' + n;\n"}},
                  "200 [] hi x"},
        ModuleRow{"sub-folder and parent",
                  {{"main.js", "import { a } from './lib/a.js';\nexport default () => ({ body: a() });\n"},
                   {"lib/a.js", "import { b } from '../b.mjs';\nexport const a = () => 'a' + b;\n"},
                   {"b.mjs", "export const b = 'b';\n"}},
                  "200 [] ab"},
        ModuleRow{"dot segments inside a specifier",
                  {{"main.js", "import { v } from './lib/../lib/./v.js';\nexport default () => ({ body: v });\n"},
                   {"lib/v.js", "export const v = 'v';\n"}},
                  "200 [] v"},
        ModuleRow{"one instance per module",
                  {{"main.js",
                    "import { count } from './counter.js';\nimport { bump } from './bumper.js';\n"
                    "bump();\nexport default () => ({ body: String(count()) });\n"},
                   {"bumper.js", "import { inc } from './counter.js';\nexport const bump = () => inc();\n"},
                   {"counter.js", "let n = 0;\nexport const inc = () => n++;\nexport const count = () => n;\n"}},
                  "200 [] 1"},
        ModuleRow{"top-level await that settles",
                  {{"main.js", "const v = await Promise.resolve('tla');\nexport default () => ({ body: v });\n"}}, "200 [] tla"}),
    [](const auto& info) { return row_name(info.param.name); });

// ---- interleaving and isolation --------------------------------------------------------------------------

TEST(Interleaving, RequestsToOneAgentProceedWhileAnotherAwaits) {
  SandboxHarness harness;
  auto agent = single_function_agent(
      "export default async function (ctx) {\n"
      "  if (ctx.request.method === 'POST') { await new Promise((r) => setTimeout(r, 100)); return { body: 'slow' }; }\n"
      "  return { body: 'fast' };\n"
      "}\n");
  std::vector<std::string> completed;
  auto record = [&](InvokeOutcome outcome) { completed.push_back(response_text(outcome)); };
  harness.pool().invoke(agent, 0, request_with_method("POST"), record);
  harness.pool().invoke(agent, 0, request_with_method("GET"), record);
  harness.loop().run_until([&] { return completed.size() == 2; }, milliseconds(5'000));
  EXPECT_EQ(completed, (std::vector<std::string>{"200 [] fast", "200 [] slow"}));
}

// A CPU overrun terminates JS, which drops V8's pending promise jobs (possibly other requests'),
// so the isolate is replaced: requests in flight on it end at once with kIsolateRestarted instead
// of hanging until their wall limit, and the next request runs on a fresh isolate.
TEST(Interleaving, CpuLimitEndsAnAwaitingInvocationPromptlyAndTheNextOneWorks) {
  SandboxHarness harness(limits(milliseconds(50), milliseconds(10'000)));
  auto agent = single_function_agent(
      "export default async function (ctx) {\n"
      "  if (ctx.request.method === 'POST') { for (;;) {} }\n"
      "  await new Promise((r) => setTimeout(r, 100));\n"
      "  return { body: 'survived' };\n"
      "}\n");
  std::optional<InvokeOutcome> waiting;
  harness.pool().invoke(agent, 0, request_with_method("GET"), [&](InvokeOutcome o) { waiting = std::move(o); });
  InvokeOutcome looping = harness.run(agent, request_with_method("POST"));
  ASSERT_EQ(status_name(looping.status), "kCpuLimit");
  harness.loop().run_until([&] { return waiting.has_value(); }, milliseconds(5'000));
  EXPECT_EQ(waiting ? response_text(*waiting) : "not finished", "kIsolateRestarted");
  EXPECT_EQ(response_text(harness.run(agent, request_with_method("GET"))), "200 [] survived");
}

TEST(Interleaving, CpuLimitIsChargedToTheLoopingInvocation) {
  // Three requests await one module-level promise; PUT resolves it, POST then loops, GET returns.
  // Only POST overran its CPU budget and is reported so; the others end with the isolate.
  SandboxHarness harness(limits(milliseconds(50), milliseconds(1'000)));
  auto agent = single_function_agent(
      "let release; const gate = new Promise((r) => { release = r; });\n"
      "export default async function (ctx) {\n"
      "  if (ctx.request.method === 'POST') { await gate; for (;;) {} }\n"
      "  if (ctx.request.method === 'GET') { await gate; return { body: 'waited' }; }\n"
      "  release(); return { body: 'released' };\n"
      "}\n");
  std::map<std::string, std::string> by_method;
  for (std::string method : {"POST", "GET", "PUT"}) {
    harness.pool().invoke(agent, 0, request_with_method(method),
                          [&by_method, method](InvokeOutcome o) { by_method[method] = response_text(o); });
  }
  harness.loop().run_until([&] { return by_method.size() == 3; }, milliseconds(5'000));
  std::string summary;
  for (const auto& [method, outcome] : by_method) summary += method + ": " + outcome + "; ";
  EXPECT_EQ(summary, "GET: kIsolateRestarted; POST: kCpuLimit; PUT: 200 [] released; ");
}

TEST(Isolation, GlobalsAreNotSharedBetweenAgents) {
  SandboxHarness harness;
  auto writer = single_function_agent(
      "export default () => { globalThis.leak = 'A'; Object.prototype.polluted = 'A'; return { body: 'wrote' }; };\n",
      "aaaaaaaa-0000-4000-8000-000000000001");
  auto reader = single_function_agent(
      "export default () => ({ body: typeof globalThis.leak + ' ' + typeof ({}).polluted });\n",
      "bbbbbbbb-0000-4000-8000-000000000002");
  ASSERT_EQ(response_text(harness.run(writer)), "200 [] wrote");
  EXPECT_EQ(response_text(harness.run(reader)), "200 [] undefined undefined");
}

TEST(Isolation, CpuLimitOfOneAgentSparesAnother) {
  SandboxHarness harness(limits(milliseconds(50), milliseconds(10'000)));
  auto looping = single_function_agent("export default () => { for (;;) {} };\n", "aaaaaaaa-0000-4000-8000-000000000001");
  auto other = single_function_agent("export default () => ({ body: 'other' });\n", "bbbbbbbb-0000-4000-8000-000000000002");
  ASSERT_EQ(status_name(harness.run(looping).status), "kCpuLimit");
  EXPECT_EQ(response_text(harness.run(other)), "200 [] other");
}

}  // namespace
}  // namespace agentgate::testing

namespace agentgate::testing {
namespace {

TEST(IdleEviction, AnIsolateUnusedForTheIdleTimeoutIsDisposedAndRecreatedOnDemand) {
  SandboxLimits idle_limits;
  idle_limits.isolate_idle_timeout = std::chrono::milliseconds(1000);
  SandboxHarness harness(idle_limits);
  auto agent = single_function_agent("let calls = 0; export default () => ({ body: String(++calls) });");
  ASSERT_EQ(harness.run(agent).response.body, "1");
  ASSERT_EQ(harness.pool().isolate_count(), 1u);

  harness.pool().evict_idle(std::chrono::steady_clock::now());  // used just now: kept
  EXPECT_EQ(harness.pool().isolate_count(), 1u);
  harness.pool().evict_idle(std::chrono::steady_clock::now() + std::chrono::seconds(2));
  EXPECT_EQ(harness.pool().isolate_count(), 0u);
  // A fresh isolate: module state starts over.
  EXPECT_EQ(harness.run(agent).response.body, "1");
}

TEST(IdleEviction, AnIsolateWithARequestInFlightIsKept) {
  SandboxLimits idle_limits;
  idle_limits.isolate_idle_timeout = std::chrono::milliseconds(1000);
  SandboxHarness harness(idle_limits);
  auto agent = single_function_agent("export default async () => { await new Promise((r) => setTimeout(r, 50)); return { body: 'late' }; }");
  std::optional<InvokeOutcome> outcome;
  harness.pool().invoke(agent, 0, SandboxHarness::default_request(), [&](InvokeOutcome o) { outcome = std::move(o); });
  harness.pool().evict_idle(std::chrono::steady_clock::now() + std::chrono::seconds(2));
  EXPECT_EQ(harness.pool().isolate_count(), 1u);
  harness.loop().run_until([&] { return outcome.has_value(); }, std::chrono::milliseconds(5000));
  EXPECT_EQ(outcome ? outcome->response.body : "not finished", "late");
}

}  // namespace
}  // namespace agentgate::testing
