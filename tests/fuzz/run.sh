#!/usr/bin/env bash
# Builds the policy fuzzers (tests/fuzz/CMakeLists.txt) with clang, libFuzzer, ASan and UBSan,
# then runs cookie_fuzzer for a fixed time from the seed corpus. Exits non-zero on any crash,
# sanitizer report, leak or broken property (the crashing input is left in the build folder).
#
# Installs nothing. Needs clang++ and compiler-rt's libFuzzer and sanitizer runtimes; on Debian
# 12: apt-get install clang libclang-rt-14-dev (or the pair of another clang version).
#
#   tests/fuzz/run.sh                      # 30 s
#   FUZZ_SECONDS=300 tests/fuzz/run.sh     # longer
#   CXX=clang++-16 FUZZ_BUILD_DIR=/tmp/f tests/fuzz/run.sh
#
# The build step takes $AGENTGATE_BUILD_LOCK (default /tmp/agentgate-build.lock) with flock when
# flock exists, so it never runs beside another build on a small machine.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${FUZZ_SECONDS:-30}"
build="${FUZZ_BUILD_DIR:-$root/build/fuzz}"  # under the ignored build/
cxx="${CXX:-clang++}"
lock="${AGENTGATE_BUILD_LOCK:-/tmp/agentgate-build.lock}"

if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "run.sh: $cxx not found; install clang and libclang-rt-<version>-dev (Debian)" >&2
  exit 2
fi

locked() {
  if command -v flock >/dev/null 2>&1; then flock "$lock" "$@"; else "$@"; fi
}

locked cmake -S "$root/tests/fuzz" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if ! grep -q '^AGENTGATE_HAVE_LIBFUZZER:INTERNAL=1' "$build/CMakeCache.txt"; then
  echo "run.sh: $cxx cannot link -fsanitize=fuzzer; install libclang-rt-<version>-dev for this clang" >&2
  exit 2
fi
locked cmake --build "$build" -j2 --target cookie_fuzzer

# New inputs go to a scratch folder; the seeds in the repository stay as they are.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
"$build/cookie_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
  -dict="$root/tests/fuzz/cookies.dict" -artifact_prefix="$build/artifacts/" -print_final_stats=1 \
  "$work" "$root/tests/fuzz/corpus/cookies"
echo "run.sh: cookie_fuzzer ran ${seconds}s without a finding"
