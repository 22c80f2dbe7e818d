#!/usr/bin/env bash
# shellcheck disable=SC2015  # "A && B || die" is meant: die when A or B fails.
# bench/run.sh: agentgate benchmark harness.
#
# Measures, on loopback only:
#   1. throughput (req/s) and p99 latency with wrk for three servers that all
#      return the same "Hello, world!\n" text/plain response:
#        bare      build/bench/bare_server: agentgate's HTTP stack, native handler
#        agentgate build/agentgate serving bench/agents/hello (JS in a V8 isolate)
#        deno      bench/deno/hello.js under Deno.serve (reference JS runtime)
#      Every server gets the same number of workers; ratios are taken within
#      the same run, so they mean something even when absolute numbers drift.
#      and the session workload (ctx.kv, bench/agents/sessions), reported beside
#      agentgate's hello measured on the same server, interleaved with each row (so too fetch and url):
#        w3        GET with a session cookie: reads one of BENCH_SESSIONS
#                  pre-written sessions from ctx.kv (random per request)
#        w4        POST that signs in: writes a new session (8 h TTL) to ctx.kv
#                  and sets its cookie (one durable write per request)
#        w3-nostore, w4-nostore  the same two handlers on a stand-in store that answers at
#                  once and keeps nothing: what w3 and w4 would score if ctx.kv cost
#                  nothing, the ceiling of their ratios on this machine
#        deno-kv   w3 on Deno (bench/deno/sessions.js, Deno KV on SQLite), reported
#                  against deno's hello of the same run: the class comparison
#      and fetch: a handler that makes one outbound fetch() per request to a
#      bare_server on loopback (admitted with --egress-allow) and relays its body.
#      and url: hello with the name read from the request's own query string
#      (new URL(ctx.request.url).searchParams), against hello of the same run.
#      and policy: what the response policy costs end to end, as an A/B of hello
#      against agentgate_without_policy (the same build with the policy compiled
#      out; cmake --build build --target agentgate_without_policy): one worker
#      pinned to CPU 0, wrk pinned to CPU 1, the two alternating round by round.
#   2. cold start: the first request to a freshly deployed agent (new uuid,
#      deployed through the admin API), median of BENCH_COLD_RUNS runs;
#   3. idle agent memory: agentgate RSS growth for BENCH_MEM_AGENTS extra agents
#      that are deployed and touched once, divided by their number.
# and writes the results to docs/benchmarks.md (raw logs: bench/results/).
#
# Usage: bench/run.sh        (build agentgate and bench/bare_server first; for the policy target
#                              also: cmake --build build --target agentgate_without_policy)
#
# Settings (environment):
#   BENCH_DURATION     wrk duration per measurement        (default 10s)
#   BENCH_SLICES       slices a workload row and its hello alternate in (default 5)
#   BENCH_WARMUP       wrk warm-up per target, discarded   (default 3s)
#   BENCH_CONNECTIONS  connection counts to measure        (default "64 256")
#   BENCH_WORKERS      server workers/threads/processes    (default 2)
#   BENCH_WRK_THREADS  wrk threads                         (default 2)
#   BENCH_TARGETS      which servers to measure            (default "bare agentgate w3 w4 w3-nostore w4-nostore fetch url deno deno-kv policy")
#   BENCH_POLICY_ROUNDS  interleaved rounds of the policy A/B (default 10)
#   BENCH_SESSIONS     sessions written before w3          (default 10000)
#   BENCH_COLD_RUNS    cold-start repetitions              (default 5; 0 = skip)
#   BENCH_MEM_AGENTS   agents for the memory measurement   (default 20; 0 = skip)
#   BUILD_DIR          where the binaries are              (default <repo>/build)
#   AGENTGATE_BIN, BARE_BIN  override the binary paths
#   BENCH_OUT          the markdown report                 (default <repo>/docs/benchmarks.md)
#   BENCH_READY_TIMEOUT seconds to wait for a server to listen (default 30)
#
# Every process this script starts is in its own process group and is stopped
# on exit (trap EXIT); every wait loop and every client call has a time limit.

set -Eeuo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)

BENCH_DURATION=${BENCH_DURATION:-10s}
BENCH_SLICES=${BENCH_SLICES:-5}
BENCH_WARMUP=${BENCH_WARMUP:-3s}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-64 256}
BENCH_WORKERS=${BENCH_WORKERS:-2}
BENCH_WRK_THREADS=${BENCH_WRK_THREADS:-2}
BENCH_TARGETS=${BENCH_TARGETS:-bare agentgate w3 w4 w3-nostore w4-nostore fetch url deno deno-kv policy}
BENCH_POLICY_ROUNDS=${BENCH_POLICY_ROUNDS:-10}
BENCH_SESSIONS=${BENCH_SESSIONS:-10000}
BENCH_COLD_RUNS=${BENCH_COLD_RUNS:-5}
BENCH_MEM_AGENTS=${BENCH_MEM_AGENTS:-20}
BUILD_DIR=${BUILD_DIR:-$REPO_DIR/build}
AGENTGATE_BIN=${AGENTGATE_BIN:-$BUILD_DIR/agentgate}
BARE_BIN=${BARE_BIN:-$BUILD_DIR/bench/bare_server}
POLICY_BIN=${POLICY_BIN:-$BUILD_DIR/bench/policy_cost}
WITHOUT_POLICY_BIN=${WITHOUT_POLICY_BIN:-$BUILD_DIR/bench/agentgate_without_policy}
BENCH_OUT=${BENCH_OUT:-$REPO_DIR/docs/benchmarks.md}
BENCH_READY_TIMEOUT=${BENCH_READY_TIMEOUT:-30}

HELLO_DIR=$BENCH_DIR/agents/hello
SESSIONS_DIR=$BENCH_DIR/agents/sessions
EXPECTED_BODY=$'Hello, world!\n'
DENO=""  # the deno executable, set by ensure_deno
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$BENCH_DIR/results/$RUN_ID

# Filled in as the run goes; read by write_report.
declare -A RPS=() P99=() ERRS=() RSS_MIB=() PAIRED_HELLO=()
POLICY_ROWS=()        # "with_policy without_policy" req/s per round of the policy A/B
RAN_TARGETS=()
COLD_ROWS=()          # "deploy_ms first_ms second_ms" per cold-start run
COLD_MEDIAN_MS="" COLD_DEPLOY_MEDIAN_MS="" WARM_MEDIAN_MS=""
MEM_BEFORE_KIB="" MEM_AFTER_KIB="" MEM_PER_AGENT_KIB=""
POLICY_HELLO_NS="" POLICY_SESSION_NS=""
NOTES=()

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- processes

# Group ids of the servers we started (each runs under setsid, so its pid is
# its process group id and stopping the group also stops any child it forked).
STARTED_PGIDS=()

# start_bg LOGFILE CMD...: start CMD in a new session; sets REPLY to its pid.
start_bg() {
  local logfile=$1; shift
  setsid "$@" >"$logfile" 2>&1 </dev/null &
  REPLY=$!
  STARTED_PGIDS+=("$REPLY")
}

# stop_group PID: SIGTERM the group, wait up to 5 s for all of it to exit,
# then SIGKILL what is left.
stop_group() {
  local pid=$1 i
  kill -0 -- "-$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 -- "-$pid" 2>/dev/null; then
    log "process group $pid ignored SIGTERM for 5 s; sending SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

stop_all() {
  local pid
  for pid in "${STARTED_PGIDS[@]}"; do stop_group "$pid"; done
  STARTED_PGIDS=()
}

# The running wrk (through its `timeout`, which puts itself in its own group).
WRK_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $WRK_PID ]]; then stop_group "$WRK_PID"; fi
  stop_all
  exit "$rc"
}
# wait_listening PID LOGFILE: wait for the "... listening on http://127.0.0.1:PORT"
# line every server prints when ready; sets REPLY to PORT. Fails if the process
# dies or BENCH_READY_TIMEOUT passes.
wait_listening() {
  local pid=$1 logfile=$2 i line
  for ((i = 0; i < BENCH_READY_TIMEOUT * 10; i++)); do
    line=$(grep -m1 -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$logfile" 2>/dev/null || true)
    if [[ -n $line ]]; then
      REPLY=${line##*:}
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$logfile" >&2 || true
      die "server (pid $pid) exited before listening; log: $logfile"
    fi
    sleep 0.1
  done
  tail -n 20 "$logfile" >&2 || true
  die "server (pid $pid) did not print its listening line within ${BENCH_READY_TIMEOUT}s; log: $logfile"
}

# wait_file PATH: admin.token is written by agentgate at first start.
wait_file() {
  local path=$1 i
  for ((i = 0; i < BENCH_READY_TIMEOUT * 10; i++)); do
    [[ -s $path ]] && return 0
    sleep 0.1
  done
  die "$path did not appear within ${BENCH_READY_TIMEOUT}s"
}

# session_pids SID: pids of all processes in session SID (a server started by
# start_bg plus anything it spawned), from field 6 of /proc/PID/stat.
session_pids() {
  local sid=$1 f rest
  for f in /proc/[0-9]*/stat; do
    rest=$(cat "$f" 2>/dev/null) || continue
    rest=${rest##*) }  # fields after "(comm) "; comm may contain spaces
    read -r _ _ _ sess _ <<<"$rest"
    if [[ $sess == "$sid" ]]; then f=${f#/proc/}; echo "${f%/stat}"; fi
  done
}

# rss_kib PID...: VmRSS in KiB, summed over each given server and any
# processes it spawned (so a multi-process server is counted whole).
rss_kib() {
  local sid pid total=0 kib
  for sid in "$@"; do
    for pid in $(session_pids "$sid"); do
      kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
      total=$((total + ${kib:-0}))
    done
  done
  echo "$total"
}

# ---------------------------------------------------------------- helpers

# to_seconds 10s|2m|10 -> 10|120|10 (wrk's own duration syntax), for timeouts.
to_seconds() {
  local v=$1
  case $v in
    *s) echo "${v%s}" ;;
    *m) echo $((${v%m} * 60)) ;;
    *h) echo $((${v%h} * 3600)) ;;
    *) echo "$v" ;;
  esac
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { printf f, v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
s_to_ms() { awk -v v="$1" 'BEGIN { printf "%.1f", v * 1000 }'; }
kib_to_mib() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1024 }'; }
new_uuid() { cat /proc/sys/kernel/random/uuid; }

# cpu_busy_pct: whole-machine CPU use over 2 s, from /proc/stat (the load
# average would still show the previous benchmark run for minutes).
cpu_busy_pct() {
  local a b
  a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat)
  sleep 2
  b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    busy = y[1] - x[1]; idle = y[2] - x[2]
    printf "%d\n", (busy + idle > 0) ? 100 * busy / (busy + idle) : 0 }'
}

# body_is_hello FILE: exactly the expected body, trailing newline included
# ($(cat) would strip it, hence the x).
body_is_hello() {
  local body
  body=$(cat "$1"; echo x)
  [[ ${body%x} == "$EXPECTED_BODY" ]]
}

check_tools() {
  local t
  for t in wrk curl node npm awk setsid timeout; do
    command -v "$t" >/dev/null || die "missing tool: $t (wrk and curl: apt-get install wrk curl)"
  done
  [[ -f /proc/self/status ]] || die "needs Linux /proc (VmRSS)"
}

# Deno comes from the npm package "deno" pinned in bench/package-lock.json;
# the binary itself is in the platform package (@deno/linux-x64-glibc).
# deno_exe asks the package's own installer for the native executable rather
# than using node_modules/.bin/deno, which is a node wrapper (bin.cjs) when
# npm skipped the postinstall step: a wrapper would be the pid we measure.
deno_exe() {
  node -e 'process.stdout.write(require(process.argv[1]).runInstall())' \
    "$BENCH_DIR/node_modules/deno/install_api.cjs" 2>/dev/null
}

# npm ci only when the binary is missing or broken, so re-runs are cheap.
ensure_deno() {
  DENO=$(deno_exe || true)
  if [[ -n $DENO && -x $DENO ]] && timeout 30 "$DENO" --version >/dev/null 2>&1; then
    return 0
  fi
  log "installing bench npm dependencies (npm ci)"
  (cd "$BENCH_DIR" && timeout 600 npm ci --no-audit --no-fund) >&2 ||
    die "npm ci failed in $BENCH_DIR"
  DENO=$(deno_exe) || die "npm package deno installed no executable for this platform"
  timeout 30 "$DENO" --version >/dev/null || die "deno does not run after npm ci: $DENO"
}

# check_hello NAME URL: the target must answer 200 with exactly the hello body,
# otherwise wrk would be measuring an error page. Saves the response headers.
check_hello() {
  local name=$1 url=$2 code
  code=$(curl -sS --max-time 10 -D "$RESULTS/$name.headers.txt" -o "$RESULTS/$name.body.txt" \
    -w '%{http_code}' "$url") || die "$name: GET $url failed"
  [[ $code == 200 ]] && body_is_hello "$RESULTS/$name.body.txt" ||
    die "$name: GET $url returned $code with body '$(head -c 200 "$RESULTS/$name.body.txt")'"
}

# ---------------------------------------------------------------- servers
# Each start_* function starts one target, waits until it listens and sets
# TARGET_URL (the hello URL) and TARGET_PIDS (pids whose RSS counts).

start_bare() {
  [[ -x $BARE_BIN ]] || die "$BARE_BIN not found (build it, or set BARE_BIN / BENCH_TARGETS)"
  start_bg "$RESULTS/bare.log" "$BARE_BIN" --listen 127.0.0.1:0 --workers "$BENCH_WORKERS"
  TARGET_PIDS=("$REPLY")
  wait_listening "$REPLY" "$RESULTS/bare.log"
  # Same path as agentgate's so the request bytes are identical too.
  TARGET_URL="http://127.0.0.1:$REPLY/agents/$HELLO_ID/hello/"
}

# start_agentgate LABEL: a fresh data dir per start, so the admin token and
# any state come from a first start.
start_agentgate() {
  local label=$1 data=$RESULTS/agentgate-$1-data
  [[ -x $AGENTGATE_BIN ]] || die "$AGENTGATE_BIN not found (build it, or set AGENTGATE_BIN / BENCH_TARGETS)"
  rm -rf "$data" && mkdir -p "$data"
  start_bg "$RESULTS/agentgate-$label.log" "$AGENTGATE_BIN" serve --listen 127.0.0.1:0 \
    --data-dir "$data" --agents-dir "$BENCH_DIR/agents" --workers "$BENCH_WORKERS" "${AGENTGATE_EXTRA_ARGS[@]}"
  TARGET_PIDS=("$REPLY")
  AGENTGATE_DATA=$data
  wait_listening "$REPLY" "$RESULTS/agentgate-$label.log"
  AGENTGATE_BASE="http://127.0.0.1:$REPLY"
  TARGET_URL="$AGENTGATE_BASE/agents/$HELLO_ID/hello/"
  # A workload on this server (not hello itself) is measured interleaved with hello on the same
  # server (measure_interleaved), so its ratio is not two minutes of this machine's drift.
  [[ $label == bench ]] || PAIRED_HELLO_URL=$TARGET_URL
}

AGENTGATE_EXTRA_ARGS=()

# fetch: agentgate relaying each request to a one-worker bare_server (the upstream) through fetch().
start_fetch() {
  local upstream_pid upstream_port
  [[ -x $BARE_BIN ]] || die "$BARE_BIN not found (the fetch target's upstream)"
  start_bg "$RESULTS/fetch-upstream.log" "$BARE_BIN" --listen 127.0.0.1:0 --workers 1
  upstream_pid=$REPLY
  wait_listening "$upstream_pid" "$RESULTS/fetch-upstream.log"
  upstream_port=$REPLY
  AGENTGATE_EXTRA_ARGS=(--egress-allow "127.0.0.1:$upstream_port")
  start_agentgate fetch
  AGENTGATE_EXTRA_ARGS=()
  TARGET_URL="$AGENTGATE_BASE/agents/$FETCH_ID/relay/?u=http://127.0.0.1:$upstream_port/agents/$HELLO_ID/hello/"
}

# url: the hello body, with "world" read from the query string by the handler.
start_url() {
  start_agentgate url
  TARGET_URL="$AGENTGATE_BASE/agents/$URL_ID/greet/?name=world&utm_source=bench&ref=a%2Fb"
}

# The session workload runs on agentgate too, with the sessions agent.
SESSION_COOKIE=""

# seed_sessions NAME BASE_URL: writes the w3 data set through the server's seed route, then points
# wrk's session_read.lua at BASE_URL's read route.
seed_sessions() {
  local name=$1 base=$2 step=1000 from to
  SESSION_COOKIE="agt_${SESSIONS_ID}_sid"
  log "$name: writing $BENCH_SESSIONS sessions"
  for ((from = 0; from < BENCH_SESSIONS; from += step)); do
    to=$((from + step < BENCH_SESSIONS ? from + step : BENCH_SESSIONS))
    curl -sS --max-time 60 -o "$RESULTS/seed.json" -X POST \
      "$base/agents/$SESSIONS_ID/seed/?from=$from&to=$to" || die "$name: seeding sessions failed"
    grep -q "\"written\":$((to - from))" "$RESULTS/seed.json" || die "$name: seeding answered $(head -c 300 "$RESULTS/seed.json")"
  done
  export SESSION_COOKIE SESSION_COUNT=$BENCH_SESSIONS
  WRK_SCRIPT=$BENCH_DIR/wrk/session_read.lua
  TARGET_CHECK=session_read
  TARGET_URL="$base/agents/$SESSIONS_ID/read/"
}

start_w3() {
  start_agentgate w3
  seed_sessions w3 "$AGENTGATE_BASE"
}

start_w4() {
  start_agentgate w4
  WRK_SCRIPT=$BENCH_DIR/wrk/session_write.lua
  TARGET_CHECK=session_write
  TARGET_URL="$AGENTGATE_BASE/agents/$SESSIONS_ID/write/"
}

# The same requests to the read-nostore and write-nostore functions: the handlers of w3 and w4 on
# a stand-in store that answers as the seeded data set would, with no storage (nothing to seed).
start_w3-nostore() {
  start_agentgate w3-nostore
  export SESSION_COOKIE="agt_${SESSIONS_ID}_sid" SESSION_COUNT=$BENCH_SESSIONS
  WRK_SCRIPT=$BENCH_DIR/wrk/session_read.lua
  TARGET_CHECK=session_read
  TARGET_URL="$AGENTGATE_BASE/agents/$SESSIONS_ID/read-nostore/"
}

start_w4-nostore() {
  start_agentgate w4-nostore
  WRK_SCRIPT=$BENCH_DIR/wrk/session_write.lua
  TARGET_CHECK=session_write
  TARGET_URL="$AGENTGATE_BASE/agents/$SESSIONS_ID/write-nostore/"
}

# check_session_read NAME URL: a seeded session is found (and a missing one is not).
check_session_read() {
  local name=$1 url=$2 code
  code=$(curl -sS --max-time 10 -o "$RESULTS/$name.body.txt" -w '%{http_code}' \
    -H "Cookie: $SESSION_COOKIE=bench-session-$((BENCH_SESSIONS - 1))" "$url") || die "$name: GET $url failed"
  [[ $code == 200 ]] && grep -q "^Hello, user-$((BENCH_SESSIONS - 1))!" "$RESULTS/$name.body.txt" ||
    die "$name: GET $url returned $code: $(head -c 200 "$RESULTS/$name.body.txt")"
  code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "Cookie: $SESSION_COOKIE=nope" "$url") || true
  [[ $code == 401 ]] || die "$name: an unknown session answered $code, expected 401"
}

# check_session_write NAME URL: signing in answers 200 with the session cookie.
check_session_write() {
  local name=$1 url=$2 code
  code=$(curl -sS --max-time 10 -X POST -D "$RESULTS/$name.headers.txt" -o "$RESULTS/$name.body.txt" \
    -w '%{http_code}' "$url") || die "$name: POST $url failed"
  [[ $code == 200 ]] && grep -qi "^set-cookie: agt_${SESSIONS_ID}_sid=" "$RESULTS/$name.headers.txt" ||
    die "$name: POST $url returned $code: $(head -c 200 "$RESULTS/$name.body.txt")"
}

# Deno runs JS on one thread per process, so "N workers" for Deno means N
# processes sharing one port through SO_REUSEPORT (what `deno serve --parallel`
# does internally). The first binds an ephemeral port, the rest join it.
# start_deno_processes LABEL SCRIPT [ARG...]: runs `deno run DENO_FLAGS SCRIPT PORT ARG... --reuse-port`
# BENCH_WORKERS times; sets TARGET_PIDS, and REPLY to the shared port.
start_deno_processes() {
  local label=$1 script=$2 i port pid
  shift 2
  TARGET_PIDS=()
  for ((i = 0; i < BENCH_WORKERS; i++)); do
    start_bg "$RESULTS/$label-$i.log" "$DENO" run "${DENO_FLAGS[@]}" "$script" "${port:-0}" "$@" --reuse-port
    pid=$REPLY
    TARGET_PIDS+=("$pid")
    wait_listening "$pid" "$RESULTS/$label-$i.log"
    [[ -z ${port:-} || $REPLY == "$port" ]] || die "$label process $i bound port $REPLY, expected $port"
    port=$REPLY
  done
  REPLY=$port
}

start_deno() {
  DENO_FLAGS=(--allow-net --allow-env --unstable-net)
  start_deno_processes deno "$BENCH_DIR/deno/hello.js"
  TARGET_URL="http://127.0.0.1:$REPLY/agents/$HELLO_ID/hello/"
}

# deno-kv: w3 on Deno, the sessions in Deno KV (one SQLite file shared by the processes).
start_deno-kv() {
  local store=$RESULTS/deno-kv-data
  rm -rf "$store" && mkdir -p "$store"
  DENO_FLAGS=(--allow-net --allow-read --allow-write --allow-env --unstable-kv --unstable-net)
  start_deno_processes deno-kv "$BENCH_DIR/deno/sessions.js" "$SESSIONS_ID" "$store/kv.sqlite"
  seed_sessions deno-kv "http://127.0.0.1:$REPLY"
}

# ---------------------------------------------------------------- wrk

# run_wrk NAME CONNECTIONS DURATION URL OUTFILE [GRIDFILE]: with the Lua script in WRK_SCRIPT when
# the target set one (w3, w4). With GRIDFILE, wrk also writes its latency distribution there
# (wrk/latency_grid.lua, appended to the script), for merge_p99.
run_wrk() {
  local name=$1 conns=$2 dur=$3 url=$4 out=$5 grid=${6:-} threads=$BENCH_WRK_THREADS script=() combined
  if [[ -n $grid ]]; then
    combined=$out.lua
    cat ${WRK_SCRIPT:+"$WRK_SCRIPT"} "$BENCH_DIR/wrk/latency_grid.lua" >"$combined"
    script=(-s "$combined")
  elif [[ -n ${WRK_SCRIPT:-} ]]; then
    script=(-s "$WRK_SCRIPT")
  fi
  ((threads <= conns)) || threads=$conns
  # wrk stops itself after DURATION; the outer timeout only guards against a
  # wedged wrk (e.g. a server that stops answering and hangs the close).
  # Run in the background and `wait`: bash runs the INT/TERM traps only
  # between commands, and `wait` is interruptible where a foreground child is not.
  WRK_LATENCY_GRID=$grid timeout --kill-after=5 $(($(to_seconds "$dur") + 30)) \
    wrk -t "$threads" -c "$conns" -d "$dur" --timeout 5s --latency "${script[@]}" "$url" >"$out" 2>&1 &
  WRK_PID=$!
  wait "$WRK_PID" || die "$name: wrk failed (see $out)"
  WRK_PID=""
}

# merge_p99 GRIDFILE...: the p99 in ms of the requests of all these slices together: each slice's
# quantile grid points weigh its request count / 1000; the merged p99 is where the weights, in
# order of latency, reach 99% of the total.
merge_p99() {
  awk 'FNR == 1 { n = $2; next } { print $2, n / 1000 }' "$@" | sort -g -k1,1 |
    awk '{ value[NR] = $1; weight[NR] = $2; total += $2 }
      END {  # 1e-9: the weights are sums of n/1000
        for (i = 1; i <= NR; i++) if ((seen += weight[i]) >= 0.99 * total * (1 - 1e-9)) { printf "%.3f\n", value[i] / 1000; exit }
      }'
}

# parse_wrk FILE: prints "REQ_PER_S P99_MS ERRORS" from wrk --latency output:
#   "Requests/sec: 108394.76", "     99%    7.96ms" (unit us|ms|s),
#   "Socket errors: connect 0, read 0, write 0, timeout 0",
#   "Non-2xx or 3xx responses: 12".
parse_wrk() {
  awk '
    /^Requests\/sec:/ { rps = $2 }
    $1 == "99%" {
      v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
      if (unit == "us") p99 = v / 1000
      else if (unit == "ms") p99 = v
      else if (unit == "s") p99 = v * 1000
      else if (unit == "m") p99 = v * 60000
      else p99 = "?"
    }
    /^ *Socket errors:/ { gsub(/,/, ""); errs += $4 + $6 + $8 + $10 }
    /^ *Non-2xx or 3xx responses:/ { errs += $NF }
    END {
      if (rps == "" || p99 == "") exit 1
      printf "%s %s %d\n", rps, p99, errs
    }' "$1"
}

# bench_target NAME: start, check, warm up, measure each connection count, stop.
bench_target() {
  local name=$1 conns out parsed rps p99 errs max_conns=0
  log "== $name"
  WRK_SCRIPT="" TARGET_CHECK="" PAIRED_HELLO_URL=""
  "start_$name" bench
  "check_${TARGET_CHECK:-hello}" "$name" "$TARGET_URL"
  for conns in $BENCH_CONNECTIONS; do
    if ((conns > max_conns)); then max_conns=$conns; fi
  done
  # Warm-up: lets V8 tier up the handler, fills pools and caches. Discarded.
  log "$name: warm-up $BENCH_WARMUP at $max_conns connections"
  run_wrk "$name" "$max_conns" "$BENCH_WARMUP" "$TARGET_URL" "$RESULTS/wrk-$name-warmup.txt"
  for conns in $BENCH_CONNECTIONS; do
    if [[ -n $PAIRED_HELLO_URL ]]; then
      measure_interleaved "$name" "$conns"
      continue
    fi
    out=$RESULTS/wrk-$name-c$conns.txt
    log "$name: $BENCH_DURATION at $conns connections"
    run_wrk "$name" "$conns" "$BENCH_DURATION" "$TARGET_URL" "$out"
    parsed=$(parse_wrk "$out") || die "$name: cannot parse wrk output $out"
    read -r rps p99 errs <<<"$parsed"
    RPS[$name,$conns]=$rps P99[$name,$conns]=$p99 ERRS[$name,$conns]=$errs
    log "$name c=$conns: ${RPS[$name,$conns]} req/s, p99 ${P99[$name,$conns]} ms, errors ${ERRS[$name,$conns]}"
  done
  RSS_MIB[$name]=$(kib_to_mib "$(rss_kib "${TARGET_PIDS[@]}")")
  stop_all
  RAN_TARGETS+=("$name")
}

# measure_interleaved NAME CONNECTIONS: the workload and the hello handler on the same server, in
# BENCH_SLICES alternating slices each (BENCH_DURATION split between them), in ABBA order (W H, H W,
# W H, ...). This VM's speed drifts by tens of percent within seconds; interleaving puts the same
# drift into both, so their ratio holds still where two back-to-back runs did not. req/s is the mean
# over the slices, p99 that of all the workload's requests (merge_p99), errors their sum.
measure_interleaved() {
  local name=$1 conns=$2 slices=$BENCH_SLICES seconds slice i order part out parsed rps p99 errs
  local -A sum=() failed=()
  local grids=()
  seconds=$(to_seconds "$BENCH_DURATION")
  ((slices >= 1 && seconds / slices >= 1)) || die "BENCH_SLICES=$slices does not divide BENCH_DURATION=$BENCH_DURATION into whole seconds"
  slice="$((seconds / slices))s"
  log "$name: $slices slices of $slice at $conns connections, interleaved with hello"
  for ((i = 0; i < slices; i++)); do
    if ((i % 2)); then order="hello $name"; else order="$name hello"; fi
    for part in $order; do
      if [[ $part == hello ]]; then
        out=$RESULTS/wrk-$name-hello-c$conns-s$i.txt
        WRK_SCRIPT="" run_wrk "$name-hello" "$conns" "$slice" "$PAIRED_HELLO_URL" "$out"
      else
        out=$RESULTS/wrk-$name-c$conns-s$i.txt
        run_wrk "$name" "$conns" "$slice" "$TARGET_URL" "$out" "$out.grid"
        grids+=("$out.grid")
      fi
      parsed=$(parse_wrk "$out") || die "$name: cannot parse wrk output $out"
      read -r rps p99 errs <<<"$parsed"
      sum[$part]=$(awk -v a="${sum[$part]:-0}" -v b="$rps" 'BEGIN { print a + b }')
      failed[$part]=$((${failed[$part]:-0} + errs))
    done
  done
  RPS[$name,$conns]=$(awk -v a="${sum[$name]}" -v n="$slices" 'BEGIN { printf "%.2f", a / n }')
  P99[$name,$conns]=$(merge_p99 "${grids[@]}") ERRS[$name,$conns]=${failed[$name]}
  PAIRED_HELLO[$name,$conns]=$(awk -v a="${sum[hello]}" -v n="$slices" 'BEGIN { printf "%.2f", a / n }')
  log "$name c=$conns: ${RPS[$name,$conns]} req/s, p99 ${P99[$name,$conns]} ms, errors ${ERRS[$name,$conns]};" \
    "hello beside it ${PAIRED_HELLO[$name,$conns]} req/s"
}

# ---------------------------------------------------------------- policy A/B

# pinned_hello_rps BIN LABEL: one worker of BIN on CPU 0, wrk (one thread) on CPU 1; sets REPLY to
# req/s (not printed: in a $(...) subshell, a failure would leave the server running).
# Pinning keeps wrk's parsing of the extra response bytes off the server's core, and alternating
# the two binaries round by round spreads this machine's drift over both.
pinned_hello_rps() {
  local bin=$1 label=$2 data=$RESULTS/$2-data pid out=$RESULTS/wrk-$2.txt parsed
  rm -rf "$data" && mkdir -p "$data"
  start_bg "$RESULTS/$label.log" taskset -c 0 "$bin" serve --listen 127.0.0.1:0 --data-dir "$data" \
    --agents-dir "$BENCH_DIR/agents" --workers 1
  pid=$REPLY
  wait_listening "$pid" "$RESULTS/$label.log"
  local url="http://127.0.0.1:$REPLY/agents/$HELLO_ID/hello/"
  check_hello "$label" "$url"
  timeout 30 taskset -c 1 wrk -t1 -c32 -d1s "$url" >/dev/null 2>&1 || die "$label: wrk warm-up failed"
  timeout 60 taskset -c 1 wrk -t1 -c32 -d4s "$url" >"$out" 2>&1 || die "$label: wrk failed (see $out)"
  stop_all
  parsed=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  [[ -n $parsed ]] || die "$label: cannot parse $out"
  REPLY=$parsed
}

policy_ab() {
  local round with without
  log "== policy (A/B against agentgate_without_policy, $BENCH_POLICY_ROUNDS rounds)"
  if [[ ! -x $WITHOUT_POLICY_BIN ]]; then
    NOTES+=("policy A/B skipped: $WITHOUT_POLICY_BIN not built (cmake --build build --target agentgate_without_policy).")
    log "policy: skipped, $WITHOUT_POLICY_BIN not built"
    return 0
  fi
  if ! command -v taskset >/dev/null || (($(nproc) < 2)); then
    NOTES+=("policy A/B skipped: it needs taskset and two CPUs.")
    return 0
  fi
  for ((round = 1; round <= BENCH_POLICY_ROUNDS; round++)); do
    # Which binary goes first alternates too, so neither always gets the warmer (or busier) slot.
    if ((round % 2)); then
      pinned_hello_rps "$AGENTGATE_BIN" "policy-with-$round"
      with=$REPLY
      pinned_hello_rps "$WITHOUT_POLICY_BIN" "policy-without-$round"
      without=$REPLY
    else
      pinned_hello_rps "$WITHOUT_POLICY_BIN" "policy-without-$round"
      without=$REPLY
      pinned_hello_rps "$AGENTGATE_BIN" "policy-with-$round"
      with=$REPLY
    fi
    POLICY_ROWS+=("$with $without")
    log "policy round $round: with ${with} req/s, without ${without} req/s"
  done
}

# ---------------------------------------------------------------- agentgate extras

# deploy_agent ID SLUG: deploys a copy of the hello agent through the admin
# API; prints the deploy time in seconds.
deploy_agent() {
  local id=$1 slug=$2 token code_time code t
  token=$(tr -d '[:space:]' <"$AGENTGATE_DATA/admin.token")
  node "$BENCH_DIR/lib/deploy_body.js" "$id" "$slug" >"$RESULTS/deploy-body.json"
  code_time=$(curl -sS --max-time 30 -o "$RESULTS/deploy-response.json" -w '%{http_code} %{time_total}' \
    -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary "@$RESULTS/deploy-body.json" "$AGENTGATE_BASE/_admin/v1/agents") ||
    die "deploy of $id: curl failed"
  read -r code t <<<"$code_time"
  [[ $code == 200 || $code == 201 ]] && grep -q '"id"' "$RESULTS/deploy-response.json" ||
    die "deploy of $id: HTTP $code: $(head -c 300 "$RESULTS/deploy-response.json")"
  echo "$t"
}

# get_hello ID: one GET to the agent's hello URL; prints its total time in
# seconds. Fails unless it is the hello response.
get_hello() {
  local id=$1 code_time code t
  code_time=$(curl -sS --max-time 30 -o "$RESULTS/get-body.txt" -w '%{http_code} %{time_total}' \
    "$AGENTGATE_BASE/agents/$id/hello/") || die "GET agent $id failed"
  read -r code t <<<"$code_time"
  [[ $code == 200 ]] && body_is_hello "$RESULTS/get-body.txt" ||
    die "GET agent $id: HTTP $code: $(head -c 300 "$RESULTS/get-body.txt")"
  echo "$t"
}

# Cold start: deploy an agent nobody has seen (new uuid), then time the first
# GET: that request pays for whatever is lazy (isolate creation, module
# compile, ...). The second GET is the warm reference. On a fresh agentgate
# whose hello agent was touched first, so process-wide one-time costs are
# not counted against the first cold agent.
measure_cold_start() {
  local i id deploy first second
  for ((i = 1; i <= BENCH_COLD_RUNS; i++)); do
    id=$(new_uuid)
    deploy=$(deploy_agent "$id" "cold-$i-${id:0:8}")
    first=$(get_hello "$id")
    second=$(get_hello "$id")
    COLD_ROWS+=("$(s_to_ms "$deploy") $(s_to_ms "$first") $(s_to_ms "$second")")
    log "cold start $i: deploy ${deploy}s, first GET ${first}s, second GET ${second}s"
  done
  COLD_DEPLOY_MEDIAN_MS=$(printf '%s\n' "${COLD_ROWS[@]}" | awk '{ print $1 }' | median)
  COLD_MEDIAN_MS=$(printf '%s\n' "${COLD_ROWS[@]}" | awk '{ print $2 }' | median)
  WARM_MEDIAN_MS=$(printf '%s\n' "${COLD_ROWS[@]}" | awk '{ print $3 }' | median)
}

# Idle agent memory: RSS before and after deploying and touching
# BENCH_MEM_AGENTS agents. Sleeps let deferred frees/GC settle; RSS includes
# allocator slack, so this is an estimate, not an exact per-isolate size.
measure_memory() {
  local pid=$1 i id
  sleep 1
  MEM_BEFORE_KIB=$(rss_kib "$pid")
  for ((i = 1; i <= BENCH_MEM_AGENTS; i++)); do
    id=$(new_uuid)
    deploy_agent "$id" "mem-$i-${id:0:8}" >/dev/null
    get_hello "$id" >/dev/null
  done
  sleep 1
  MEM_AFTER_KIB=$(rss_kib "$pid")
  MEM_PER_AGENT_KIB=$(((MEM_AFTER_KIB - MEM_BEFORE_KIB) / BENCH_MEM_AGENTS))
  log "memory: RSS ${MEM_BEFORE_KIB} KiB -> ${MEM_AFTER_KIB} KiB, ${MEM_PER_AGENT_KIB} KiB per agent"
}

agentgate_extras() {
  ((BENCH_COLD_RUNS > 0 || BENCH_MEM_AGENTS > 0)) || return 0
  log "== agentgate cold start / memory (fresh process)"
  start_agentgate extras
  local pid=${TARGET_PIDS[0]}
  wait_file "$AGENTGATE_DATA/admin.token"
  get_hello "$HELLO_ID" >/dev/null
  if ((BENCH_COLD_RUNS > 0)); then measure_cold_start; fi
  if ((BENCH_MEM_AGENTS > 0)); then measure_memory "$pid"; fi
  stop_all
}

# ---------------------------------------------------------------- report

# hello_beside NAME CONNECTIONS: the hello req/s measured on NAME's server interleaved with NAME's row
# (agentgate's own hello row when there is none).
hello_beside() { echo "${PAIRED_HELLO[$1,$2]:-${RPS[agentgate,$2]:-}}"; }

# hello_ratio_row NAME CONNECTIONS: a report row for a workload measured against agentgate's hello.
hello_ratio_row() {
  local name=$1 conns=$2 hello
  [[ -n ${RPS[$name,$conns]:-} ]] || return 0
  hello=$(hello_beside "$name" "$conns")
  printf '| %s | %s | %s | %s ms | %s | %s | %s | %s |\n' "$name" "$conns" \
    "$(fmt "${RPS[$name,$conns]}" '%.0f')" "$(fmt "${P99[$name,$conns]}" '%.2f')" "$(fmt "$hello" '%.0f')" \
    "$(ratio "${RPS[$name,$conns]}" "$hello")" "${ERRS[$name,$conns]}" "${RSS_MIB[$name]}"
}

write_report() {
  local out=$BENCH_OUT name conns bare row n deploy first second tmp
  local cpu commit deno_v wrk_v
  cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  commit=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo "none (uncommitted tree)")
  if [[ -n $(git -C "$REPO_DIR" status --porcelain 2>/dev/null | head -1) ]]; then commit="$commit, dirty"; fi
  deno_v=$( { [[ -n $DENO ]] && "$DENO" --version 2>/dev/null | head -1; } || echo "deno n/a")
  wrk_v=$(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }' || true)
  mkdir -p "$(dirname "$out")"
  tmp=$out.tmp.$$
  {
    echo "# agentgate benchmarks"
    echo
    echo "Generated by \`bench/run.sh\`; re-run it to refresh this page (raw logs go to \`bench/results/\`, not committed)."
    echo
    echo "## Run"
    echo
    echo "| | |"
    echo "| --- | --- |"
    echo "| date (UTC) | $(date -u '+%Y-%m-%d %H:%M') |"
    echo "| CPU | ${cpu:-unknown} |"
    echo "| cores (nproc) | $(nproc) |"
    echo "| memory | $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) |"
    echo "| kernel | $(uname -sr) |"
    echo "| CPU busy just before the run | ${CPU_BUSY_BEFORE}% |"
    echo "| commit | $commit |"
    echo "| tools | $wrk_v, $deno_v, curl $(curl --version | awk 'NR == 1 { print $2 }') |"
    echo "| workers per server | $BENCH_WORKERS |"
    echo "| wrk | $BENCH_WRK_THREADS threads, $BENCH_DURATION per row, ${BENCH_WARMUP} warm-up per target (discarded) |"
    echo
    echo "Client and servers share the same machine and loopback: wrk's threads compete"
    echo "with the server's for the $(nproc) cores, so absolute numbers are a floor; compare"
    echo "the ratios, which come from the same run. ($BENCH_WORKERS server workers + $BENCH_WRK_THREADS wrk threads"
    echo "on $(nproc) cores can oversubscribe the CPUs: \`BENCH_WORKERS=1\` may score higher.)"
    echo
    echo "## Throughput: hello handler, GET, keep-alive"
    echo
    echo "- **bare**: \`bench/bare_server\`: agentgate's HTTP stack with a native C++ handler returning the same bytes, headers included (no JS): the ceiling."
    echo "- **agentgate**: \`agentgate serve\` with \`bench/agents/hello\` (JS handler in a V8 isolate)."
    echo "- **deno**: \`bench/deno/hello.js\` under \`Deno.serve\`. A Deno process runs JS on one thread, so Deno gets"
    echo "  $BENCH_WORKERS processes sharing the port through SO_REUSEPORT (what \`deno serve --parallel\` does): same worker count as the others."
    echo
    echo "| target | connections | req/s | p99 | ratio vs bare | errors | RSS after (MiB) |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    for conns in $BENCH_CONNECTIONS; do
      bare=${RPS[bare,$conns]:-}
      for name in "${RAN_TARGETS[@]}"; do
        case $name in w3 | w4 | w3-nostore | w4-nostore | fetch | url | deno-kv) continue ;; esac
        printf '| %s | %s | %s | %s ms | %s | %s | %s |\n' "$name" "$conns" \
          "$(fmt "${RPS[$name,$conns]}" '%.0f')" "$(fmt "${P99[$name,$conns]}" '%.2f')" \
          "$(ratio "${RPS[$name,$conns]}" "$bare")" "${ERRS[$name,$conns]}" "${RSS_MIB[$name]}"
      done
    done
    echo
    echo "\"errors\" adds up wrk's socket errors and non-2xx responses (should be 0). \"RSS after\" is VmRSS"
    echo "at the end of the target's runs, summed over its processes (both Deno processes for deno)."
    if [[ -n ${RSS_MIB[agentgate]:-} && -n ${RSS_MIB[deno]:-} ]]; then
      echo
      echo "agentgate / deno throughput:"
      echo
      for conns in $BENCH_CONNECTIONS; do
        echo "- $conns connections: $(ratio "${RPS[agentgate,$conns]}" "${RPS[deno,$conns]}")"
      done
    fi
    if [[ -n ${RSS_MIB[w3]:-}${RSS_MIB[w4]:-}${RSS_MIB[w3-nostore]:-}${RSS_MIB[w4-nostore]:-} ]]; then
      echo
      echo "## Session workload: ctx.kv on RocksDB"
      echo
      echo "\`bench/agents/sessions\`: what a signed-in page does on every request. The cookie holds an opaque session id,"
      echo "ctx.kv holds the session (an object with a Date, an array and a CSRF token)."
      echo
      echo "- **w3** (read): GET with the cookie of one of $BENCH_SESSIONS sessions written beforehand, picked at random per"
      echo "  request (\`bench/wrk/session_read.lua\`); the handler reads it with \`ctx.kv.get\` and greets the user."
      echo "- **w4** (write): POST that signs in: \`ctx.kv.put\` of a new session with an 8 h TTL, acknowledged only once"
      echo "  synced to RocksDB's WAL (group commit), then \`Set-Cookie\`."
      echo "- **w3-nostore**, **w4-nostore**: the same requests and handlers, with \`ctx.kv\` swapped for a stand-in in the"
      echo "  handler's own JS that answers at once and keeps nothing (a fresh object of the session's shape for a seeded id;"
      echo "  a put that does nothing). No storage, serialization or native call: what w3 and w4 would score if \`ctx.kv\`"
      echo "  cost nothing, so the ceiling of their ratios on this machine."
      echo
      echo "Each row is measured together with the hello handler on the same server (\"hello beside it\"), at the same"
      echo "connection count: $BENCH_SLICES slices of each, alternating in ABBA order, and the ratio is of their mean req/s."
      echo "This machine's speed drifts by tens of percent within seconds; interleaving puts the same drift into both"
      echo "sides of the ratio. p99 is over all the workload's requests, its slices' latency distributions merged"
      echo "(targets: w3 ≥ 0.80, w4 ≥ 0.50, p99 < 10 ms at 64)."
      echo
      echo "| workload | connections | req/s | p99 | hello beside it (req/s) | ratio vs that hello | errors | RSS after (MiB) |"
      echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
      for conns in $BENCH_CONNECTIONS; do
        for name in w3 w3-nostore w4 w4-nostore; do hello_ratio_row "$name" "$conns"; done
      done
      if [[ -n ${RSS_MIB[deno-kv]:-} ]]; then
        echo
        echo "The same read on Deno, for comparison: **deno-kv** is \`bench/deno/sessions.js\` ($BENCH_WORKERS processes, as"
        echo "for deno), the same $BENCH_SESSIONS sessions in Deno KV (SQLite) read with \`kv.get\`, the same cookie parsing and"
        echo "greeting. Its ratio is against **deno**'s hello row of this run; agentgate's w3 row is repeated beside it."
        echo
        echo "| workload | connections | req/s | p99 | the same runtime's hello (req/s) | ratio vs that hello | errors | RSS after (MiB) |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        for conns in $BENCH_CONNECTIONS; do
          for name in w3 deno-kv; do
            [[ -n ${RPS[$name,$conns]:-} ]] || continue
            local hello
            if [[ $name == deno-kv ]]; then hello=${RPS[deno,$conns]:-}; else hello=$(hello_beside "$name" "$conns"); fi
            printf '| %s | %s | %s | %s ms | %s | %s | %s | %s |\n' "$name" "$conns" \
              "$(fmt "${RPS[$name,$conns]}" '%.0f')" "$(fmt "${P99[$name,$conns]}" '%.2f')" "$(fmt "$hello" '%.0f')" \
              "$(ratio "${RPS[$name,$conns]}" "$hello")" "${ERRS[$name,$conns]}" "${RSS_MIB[$name]}"
          done
        done
      fi
    fi
    if [[ -n ${RSS_MIB[fetch]:-} ]]; then
      echo
      echo "## fetch: one outbound request per request"
      echo
      echo "\`bench/agents/fetch\`: the handler fetches the hello response from a \`bare_server\` on loopback (one worker,"
      echo "admitted with \`--egress-allow\`; a new connection per fetch, as fetch does today) and relays its body. Each"
      echo "request thus costs agentgate a whole outbound HTTP exchange, and the upstream shares the same two cores."
      echo "Its handler parses two URLs per request (its own, then the upstream's in \`new Request\`; see docs/performance.md,"
      echo "URL parsing). With more connections than"
      echo "\`--fetch-max-in-flight\` allows (100 per worker), the excess fetches are refused: those requests get 500 and"
      echo "count as errors. Ratios are against the hello handler measured on the same server, interleaved with each row."
      echo
      echo "| workload | connections | req/s | p99 | hello beside it (req/s) | ratio vs that hello | errors | RSS after (MiB) |"
      echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
      for conns in $BENCH_CONNECTIONS; do hello_ratio_row fetch "$conns"; done
    fi
    if [[ -n ${RSS_MIB[url]:-} ]]; then
      echo
      echo "## url: a handler that reads its own query string"
      echo
      echo "\`bench/agents/url\`: the hello response, with the name taken from"
      echo "\`new URL(ctx.request.url).searchParams.get('name')\`: what one URL and one URLSearchParams parse cost a"
      echo "handler (docs/performance.md, URL parsing). Ratios are against the hello handler measured on the same server, interleaved with each row."
      echo
      echo "| workload | connections | req/s | p99 | hello beside it (req/s) | ratio vs that hello | errors | RSS after (MiB) |"
      echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
      for conns in $BENCH_CONNECTIONS; do hello_ratio_row url "$conns"; done
    fi
    if [[ -n $POLICY_HELLO_NS && -n ${RPS[agentgate,${BENCH_CONNECTIONS%% *}]:-} ]]; then
      local first_conns=${BENCH_CONNECTIONS%% *} share_hello share_session
      share_hello=$(awk -v ns="$POLICY_HELLO_NS" -v rps="${RPS[agentgate,$first_conns]}" -v w="$BENCH_WORKERS" \
        'BEGIN { printf "%.2f", 100 * ns * rps / w / 1e9 }')
      share_session=$(awk -v ns="$POLICY_SESSION_NS" -v rps="${RPS[agentgate,$first_conns]}" -v w="$BENCH_WORKERS" \
        'BEGIN { printf "%.2f", 100 * ns * rps / w / 1e9 }')
      echo
      echo "## Cost of the response policy"
      echo
      echo "\`bench/policy_cost\` times, in-process, what the dispatcher runs per request for the cookie and header"
      echo "policy (\`policy/\`): the inbound cookie filter and \`apply_response_policy\` (Set-Cookie checks, security"
      echo "headers). Share = that time x agentgate's hello rate at $first_conns connections / workers: the fraction of each worker's"
      echo "time the checks take at that rate (target: under 5%)."
      echo
      echo "| response | policy time per request | share of a worker's time |"
      echo "| --- | ---: | ---: |"
      echo "| hello (no cookies; security headers added) | ${POLICY_HELLO_NS} ns | ${share_hello}% |"
      echo "| session (3 cookies in, 1 Set-Cookie out) | ${POLICY_SESSION_NS} ns | ${share_session}% |"
      echo
      echo "The security headers also make each response about 180 bytes longer; \`bare\` sends the same headers, so"
      echo "the ratio against bare includes that."
    fi
    if ((${#POLICY_ROWS[@]} > 0)); then
      local with_median without_median ratio_median cost n=0 with without
      with_median=$(printf '%s\n' "${POLICY_ROWS[@]}" | awk '{ print $1 }' | median)
      without_median=$(printf '%s\n' "${POLICY_ROWS[@]}" | awk '{ print $2 }' | median)
      # The median of the rounds' own ratios: each pair ran back to back, so it cancels the drift
      # between rounds that the ratio of the two medians keeps.
      ratio_median=$(printf '%s\n' "${POLICY_ROWS[@]}" | awk '{ print $1 / $2 }' | median)
      cost=$(awk -v r="$ratio_median" 'BEGIN { printf "%.1f", 100 * (1 - r) }')
      echo
      echo "## End-to-end cost of the response policy (A/B)"
      echo
      echo "hello, one worker pinned to CPU 0 and \`wrk -t1 -c32 -d4s\` pinned to CPU 1, alternating round by round"
      echo "between \`agentgate\` and \`agentgate_without_policy\` (the same sources with the dispatcher's policy"
      echo "calls compiled out: no cookie filter, no response checks, no security headers)."
      echo
      echo "**The policy costs ${cost}% of hello's requests/s** (the median of the rounds' ratios; target: under 5%)."
      echo "Medians: $(fmt "$with_median" '%.0f') req/s with the policy, $(fmt "$without_median" '%.0f') without. This machine's"
      echo "speed drifts between and within rounds; rounds where the two differ by more than a few percent either way"
      echo "are that drift, which is why there are $BENCH_POLICY_ROUNDS rounds and the median is reported."
      echo
      echo "| round | with the policy (req/s) | without (req/s) | with / without |"
      echo "| ---: | ---: | ---: | ---: |"
      for row in "${POLICY_ROWS[@]}"; do
        n=$((n + 1))
        read -r with without <<<"$row"
        echo "| $n | $(fmt "$with" '%.0f') | $(fmt "$without" '%.0f') | $(ratio "$with" "$without") |"
      done
    fi
    if ((${#COLD_ROWS[@]} > 0)); then
      echo
      echo "## Cold start"
      echo
      echo "A fresh agentgate (its hello agent touched once), then $BENCH_COLD_RUNS times: deploy a copy of the hello"
      echo "agent under a new uuid with \`POST /_admin/v1/agents\`, then time GETs with curl (\`%{time_total}\`, new"
      echo "connection each). The first GET pays for whatever is done lazily for a new agent."
      echo
      echo "**Median first request to a freshly deployed agent: ${COLD_MEDIAN_MS} ms** (second request: ${WARM_MEDIAN_MS} ms; deploy call: ${COLD_DEPLOY_MEDIAN_MS} ms)."
      echo
      echo "| run | deploy (ms) | first GET (ms) | second GET (ms) |"
      echo "| ---: | ---: | ---: | ---: |"
      n=0
      for row in "${COLD_ROWS[@]}"; do
        n=$((n + 1))
        read -r deploy first second <<<"$row"
        echo "| $n | $deploy | $first | $second |"
      done
    fi
    if [[ -n $MEM_PER_AGENT_KIB ]]; then
      echo
      echo "## Idle agent memory"
      echo
      echo "VmRSS of the agentgate process (--workers $BENCH_WORKERS) before and after deploying $BENCH_MEM_AGENTS more"
      echo "agents and sending each one request (so each has whatever a served agent keeps), 1 s after the last request."
      echo
      echo "| RSS before | RSS after | per agent |"
      echo "| ---: | ---: | ---: |"
      printf '| %s MiB | %s MiB | **%s KiB** (%s MiB) |\n' \
        "$(kib_to_mib "$MEM_BEFORE_KIB")" "$(kib_to_mib "$MEM_AFTER_KIB")" \
        "$MEM_PER_AGENT_KIB" "$(kib_to_mib "$MEM_PER_AGENT_KIB")"
      echo
      echo "RSS includes allocator slack and GC timing, so treat this as an estimate."
    fi
    echo
    echo "Where the time goes, and what is being done about it: [performance.md](performance.md)."
    if ((${#NOTES[@]} > 0)); then
      echo
      echo "## Notes"
      echo
      printf -- '- %s\n' "${NOTES[@]}"
    fi
  } >"$tmp"
  mv "$tmp" "$out"
  log "wrote $out"
}

# ---------------------------------------------------------------- main

main() {
  local name
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  check_tools
  mkdir -p "$RESULTS"
  log "results in $RESULTS"
  [[ $BENCH_WORKERS =~ ^[1-9][0-9]*$ ]] || die "BENCH_WORKERS must be a positive integer"
  for name in $BENCH_TARGETS; do
    case $name in
      bare | agentgate | w3 | w4 | w3-nostore | w4-nostore | fetch | url | deno | deno-kv | policy) ;;
      *) die "unknown target '$name' in BENCH_TARGETS (bare agentgate w3 w4 w3-nostore w4-nostore fetch url deno deno-kv policy)" ;;
    esac
  done
  if [[ " $BENCH_TARGETS " == *" deno "* || " $BENCH_TARGETS " == *" deno-kv "* ]]; then ensure_deno; fi
  HELLO_ID=$(node -p "require('$HELLO_DIR/agent.json').id")
  SESSIONS_ID=$(node -p "require('$SESSIONS_DIR/agent.json').id")
  FETCH_ID=$(node -p "require('$BENCH_DIR/agents/fetch/agent.json').id")
  URL_ID=$(node -p "require('$BENCH_DIR/agents/url/agent.json').id")

  # A busy machine (e.g. a compile) skews everything; say so in the report.
  CPU_BUSY_BEFORE=$(cpu_busy_pct)
  if ((CPU_BUSY_BEFORE > 20)); then
    NOTES+=("the CPUs were ${CPU_BUSY_BEFORE}% busy just before the run (other work on the machine): numbers are low and noisy.")
    log "warning: CPUs ${CPU_BUSY_BEFORE}% busy before the run"
  fi

  for name in $BENCH_TARGETS; do
    if [[ $name == policy ]]; then policy_ab; else bench_target "$name"; fi
  done
  if [[ " $BENCH_TARGETS " == *" agentgate "* ]]; then
    agentgate_extras
    if [[ -x $POLICY_BIN ]]; then
      read -r _ POLICY_HELLO_NS _ POLICY_SESSION_NS < <(timeout 60 "$POLICY_BIN") || die "$POLICY_BIN failed"
      log "policy: hello ${POLICY_HELLO_NS} ns, session ${POLICY_SESSION_NS} ns per request"
    fi
  fi
  write_report
}

# Sourcing the file (e.g. to test parse_wrk) defines the functions only.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
