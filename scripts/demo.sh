#!/usr/bin/env bash
# One command for a first look: installs the dependencies, builds, and serves the demo agent
# (examples/demo) on http://127.0.0.1:8080 with its data in ./data (embedded RocksDB).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh" agentgate
cd "$root"
exec ./build/agentgate serve --agents-dir examples --data-dir ./data "$@"
