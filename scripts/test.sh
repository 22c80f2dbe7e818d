#!/usr/bin/env bash
# One command for CI and developers: installs the dependencies, builds everything, runs every test,
# then fuzzes the cookie policy for a short fixed time (FUZZ_SECONDS, default 20).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
cd "$root/build"
# Sequential on purpose: integration tests start servers with two workers each, and the CPU-limit
# tests should not compete with each other for the machine's two cores.
ctest --output-on-failure --timeout 600
FUZZ_SECONDS="${FUZZ_SECONDS:-20}" "$root/tests/fuzz/run.sh"
