#!/usr/bin/env bash
# Installs everything agentgate needs to build, test and benchmark on a fresh Debian 12 machine.
# Idempotent: a second run only checks. Runs as root (or with sudo available).
#
# V8 comes from Debian's libnode-dev (V8 10.2). On machines whose Node.js is not Debian's own,
# `apt-get install libnode-dev` is refused (its JS-only dependencies clash); we then unpack the two
# .deb files into third_party/.deps/libnode and the build links it there with an RPATH.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
deps="$here/.deps"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

packages=(
  build-essential g++ cmake pkg-config ccache git ca-certificates curl
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  librocksdb-dev libsimdjson-dev libssl-dev openssl
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev  # the policy fuzzer (tests/fuzz): libFuzzer and sanitizer runtimes
  wrk nodejs
  util-linux iproute2  # unshare + ip: the egress-guard tests run in a loopback-only network namespace
  # runtime libraries of libnode108, for the unpacked route
  libuv1 libicu72 libc-ares2 libnghttp2-14 libbrotli1 zlib1g
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs may come from another repository under the same name; any node on PATH will do.
if command -v node >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}")
fi
missing=($(printf '%s\n' "${missing[@]}" | sed '/^$/d'))

apt_updated=0
apt_update() {
  if [ "$apt_updated" -eq 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi
}

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt_update
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- V8 (libnode 10.2) --------------------------------------------------------------------------
v8_ok() {
  local inc="$1"
  [ -f "$inc/v8-version.h" ] && grep -q 'define V8_MAJOR_VERSION 10' "$inc/v8-version.h"
}
if v8_ok /usr/include/node && [ -e /usr/lib/x86_64-linux-gnu/libnode.so ]; then
  echo "install-deps: V8 from the system libnode-dev"
elif v8_ok "$deps/libnode/usr/include/node" && compgen -G "$deps/libnode/usr/lib/*/libnode.so*" >/dev/null; then
  echo "install-deps: V8 from $deps/libnode"
else
  apt_update
  # Plain route first, but only when apt would not remove anything (e.g. a non-Debian nodejs).
  if apt-get install -s -qq libnode-dev >/dev/null 2>&1 \
     && ! apt-get install -s libnode-dev 2>/dev/null | grep -q '^Remv'; then
    $SUDO apt-get install -y -qq --no-install-recommends libnode-dev || true
  fi
  if ! { v8_ok /usr/include/node && [ -e /usr/lib/x86_64-linux-gnu/libnode.so ]; }; then
    echo "install-deps: plain apt route unavailable; unpacking libnode108 + libnode-dev into $deps/libnode"
    tmp="$(mktemp -d)"
    chmod 755 "$tmp"  # apt-get download runs as _apt where it can
    (cd "$tmp" && apt-get download libnode108 libnode-dev >/dev/null)
    rm -rf "$deps/libnode" && mkdir -p "$deps/libnode"
    for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$deps/libnode"; done
    rm -rf "$tmp"
    lib="$(ls "$deps"/libnode/usr/lib/*/libnode.so.108 | head -n1)"
    ln -sf "$(basename "$lib")" "$(dirname "$lib")/libnode.so"
  fi
fi

# --- JS tooling: whatwg-url bundled into the isolate start-up code ------------------------------
js="$here/js"
if [ ! -d "$js/node_modules/whatwg-url" ] || [ ! -d "$js/node_modules/esbuild" ]; then
  echo "install-deps: npm ci in $js"
  (cd "$js" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "install-deps: done"
