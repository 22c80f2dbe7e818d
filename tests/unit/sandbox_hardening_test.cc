// Agent code may replace any built-in the prelude relies on; the native side must stay safe and the
// response checks must hold anyway. Each case would corrupt memory, abort the process, or let a
// handler set framing headers if a check were missing.
#include <gtest/gtest.h>

#include "common/log.h"
#include "tests/support/sandbox_harness.h"
#include "tests/unit/outcome_text.h"

namespace agentgate::testing {
namespace {

using std::chrono::milliseconds;

SandboxLimits small_limits(milliseconds cpu = milliseconds(50), size_t heap_mib = 128) {
  SandboxLimits limits;
  limits.cpu_time = cpu;
  limits.wall_time = milliseconds(10'000);
  limits.heap_bytes = heap_mib << 20;
  return limits;
}

struct EvalCase {
  const char* name;
  const char* expression;
  const char* expected;
};

class NativeArguments : public ::testing::TestWithParam<EvalCase> {};

TEST_P(NativeArguments, AreCheckedInCpp) {
  SandboxHarness harness;
  EXPECT_EQ(harness.eval(GetParam().expression), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Hardening, NativeArguments,
    ::testing::Values(
        EvalCase{"getRandomValues_with_a_forged_type_check",
                 "(Array.prototype.some = () => true, crypto.getRandomValues({}))",
                 "threw TypeError: getRandomValues: the argument must be an integer TypedArray"},
        EvalCase{"getRandomValues_over_64KiB_with_a_forged_length_check",
                 "(Object.defineProperty(Uint8Array.prototype, 'byteLength', { get: () => 1 }), "
                 "crypto.getRandomValues(new Uint8Array(65537)))",
                 "threw TypeError: getRandomValues: at most 65536 bytes per call"},
        EvalCase{"TextEncoder_with_String_replaced", "(globalThis.String = () => 42, new TextEncoder().encode('a'))",
                 "threw TypeError: TextEncoder.encode: expected a string"},
        EvalCase{"TextDecoder_with_Uint8Array_replaced",
                 "(globalThis.Uint8Array = function () { return {}; }, new TextDecoder().decode(new ArrayBuffer(4)))",
                 "threw TypeError: TextDecoder.decode: expected bytes"},
        EvalCase{"setTimeout_with_a_NaN_delay_from_a_forged_Math_max",
                 "new Promise((resolve) => { Math.max = () => NaN; setTimeout(() => resolve('fired'), 5); })", "fired"},
        // Natives define properties on the objects they return; a setter agent code put on a
        // prototype must neither run nor abort the process (Set(...).Check() would).
        EvalCase{"encodeInto_with_throwing_setters_on_Object_prototype",
                 "(Object.defineProperty(Object.prototype, 'written', { set() { throw 1; } }), "
                 "JSON.stringify(new TextEncoder().encodeInto('ab', new Uint8Array(4))))",
                 "{\"read\":2,\"written\":2}"},
        EvalCase{"structuredClone_error_with_a_throwing_name_setter",
                 "(Object.defineProperty(Error.prototype, 'name', { set() { throw 1; } }), "
                 "(() => { try { structuredClone(() => 1); } catch (e) { return e.name; } })())",
                 "DataCloneError"},
        EvalCase{"setTimeout_limit_error_with_a_throwing_code_setter",
                 "(Object.defineProperty(Object.prototype, 'code', { set() { throw 1; } }), "
                 "(() => { try { for (let i = 0; i < 1001; i++) setTimeout(() => {}, 100000); } catch (e) { return e.code; } })())",
                 "LIMIT_EXCEEDED"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Hardening, EncodingPastTheArrayBufferCapThrowsRangeError) {
  SandboxHarness harness(small_limits(milliseconds(2000), 32));
  auto outcome = harness.run_source(
      "export default () => { const hog = new Uint8Array(30 << 20);\n"
      "  try { new TextEncoder().encode('x'.repeat(4 << 20)); return { body: 'allocated' }; }\n"
      "  catch (e) { return { body: e.name + ' ' + hog.length }; } }\n");
  EXPECT_EQ(response_text(outcome), "200 [] RangeError 31457280");
}

TEST(Hardening, FramingHeadersAreDroppedEvenWithSetHasReplaced) {
  SandboxHarness harness;
  auto outcome = harness.run_source(
      "export default () => { Set.prototype.has = () => false;\n"
      "  return { headers: { 'transfer-encoding': 'gzip', connection: 'upgrade', 'x-kept': '1' }, body: 'b' }; }\n");
  EXPECT_EQ(response_text(outcome), "200 [x-kept=1] b");
}

TEST(Hardening, HeaderValueOver16KiBIsRefused) {
  SandboxHarness harness;
  auto outcome = harness.run_source("export default () => ({ headers: { 'x-a': 'a'.repeat(70000) } });");
  EXPECT_EQ(status_name(outcome.status), "kInvalidResponse");
}

TEST(Hardening, NonFiniteStatusIsRefused) {
  SandboxHarness harness;
  EXPECT_EQ(status_name(harness.run_source("export default () => ({ status: NaN });").status), "kInvalidResponse");
  EXPECT_EQ(status_name(harness.run_source("export default () => ({ status: 1e300 });").status), "kInvalidResponse");
}

TEST(Hardening, CpuSpentInSlicesBetweenAwaitsStillHitsTheLimit) {
  SandboxHarness harness(small_limits(milliseconds(50)));
  auto outcome = harness.run_source(
      "export default async () => {\n"
      "  for (let i = 0; i < 1000; i++) {\n"
      "    const end = Date.now() + 5; while (Date.now() < end) {}\n"
      "    await new Promise((r) => setTimeout(r, 0));\n"
      "  }\n"
      "  return { body: 'escaped the limit' };\n"
      "}\n");
  EXPECT_EQ(status_name(outcome.status), "kCpuLimit");
}

TEST(Hardening, TheTimerLimitCountsPendingTimersNotTimersEverStarted) {
  SandboxHarness harness;
  auto outcome = harness.run_source(
      "export default async () => {\n"
      "  for (let i = 0; i < 1200; i++) await new Promise((r) => setTimeout(r, 0));\n"
      "  return { body: 'done' };\n"
      "}\n");
  EXPECT_EQ(response_text(outcome), "200 [] done");
}

TEST(Hardening, LogEscapingKeepsAgentTextOnOneLine) {
  EXPECT_EQ(log::escaped("a\nb\\c\x01"), "a\\x0ab\\x5cc\\x01");
}

}  // namespace
}  // namespace agentgate::testing
