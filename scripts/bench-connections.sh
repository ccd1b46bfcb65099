#!/usr/bin/env bash
# Switchboard's connection benchmarks: fan-in (1000 publishers → 1 subscriber,
# committed msgs/s), connection set-up rate, and server memory per idle WebSocket.
# See docs/BENCHMARKS.md and `switchboard-bench fanin|connect|idle --help`.
#
# Every run gets a freshly started Switchboard pinned to CPU 0, with the load
# generator pinned to CPU 1; each test runs RUNS times, and the medians are
# printed as markdown tables.
#
#   fanin    `fanin --search`: the highest total rate of PUBLISHERS publishers (each
#            on its own topic) that one subscriber receives with zero loss and p99 ≤ 100 ms
#   connect  `connect`: CONNECT_CONNECTIONS connections, CONCURRENCY in flight at once
#   idle     `idle`: server RSS per idle connection, for each count in IDLE_COUNTS
#   hold     `idle --hold HOLD`: CONNECTIONS connections held HOLD seconds with pings,
#            once (opt-in, e.g. `HOLD=600 CONNECTIONS=19000 scripts/bench-connections.sh`)
#
# Environment:
#   SWITCHBOARD_BIN  switchboard binary (default: .build/release/switchboard)
#   BENCH_BIN        load generator binary (default: build it into .build-bench)
#   TESTS            tests to run (default: "fanin connect idle", plus "hold" when HOLD is set)
#   RUNS             runs per test (default: 3)
#   PUBLISHERS       fan-in publishers (default: 1000)
#   CONNECT_CONNECTIONS, CONCURRENCY   the connect test (default: 5000, 64)
#   IDLE_COUNTS      idle connection counts (default: "1000 10000")
#   HOLD, CONNECTIONS  seconds and connections of the hold test (default: 0, i.e. no
#                    hold test; 19000 connections: the machine allows 20,000 files per process)
#   FANIN_ARGS, CONNECT_ARGS, IDLE_ARGS   extra arguments, e.g. FANIN_ARGS="--duration 5 --warmup 1"
#   OUT              directory for the raw JSON and logs (default: .build-bench/results/<time>)
#   QUIET_WAIT       seconds to wait, before each run, for the machine to be idle
#                    (other processes below 10 % CPU); 0 to skip (default: 600)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/bench-common.sh
source scripts/lib/bench-common.sh

RUNS=${RUNS:-3}
PUBLISHERS=${PUBLISHERS:-1000}
CONNECT_CONNECTIONS=${CONNECT_CONNECTIONS:-5000}
CONCURRENCY=${CONCURRENCY:-64}
IDLE_COUNTS=${IDLE_COUNTS:-"1000 10000"}
HOLD=${HOLD:-0}
CONNECTIONS=${CONNECTIONS:-19000}
FANIN_ARGS=${FANIN_ARGS:-}
CONNECT_ARGS=${CONNECT_ARGS:-}
IDLE_ARGS=${IDLE_ARGS:-}
OUT=${OUT:-.build-bench/results/$(date +%Y%m%d-%H%M%S)}
QUIET_WAIT=${QUIET_WAIT:-600}
SWITCHBOARD_BIN=${SWITCHBOARD_BIN:-.build/release/switchboard}
SERVER_CPU=0
CLIENT_CPU=1

if [[ -n ${TESTS:-} ]]; then
    read -r -a tests <<<"$TESTS"
else
    tests=(fanin connect idle)
    ((HOLD > 0)) && tests+=(hold)
fi
for test in "${tests[@]}"; do
    case $test in
    fanin | connect | idle) ;;
    hold) ((HOLD > 0)) || { echo "the hold test needs HOLD (seconds), e.g. HOLD=600 CONNECTIONS=19000" >&2; exit 1; } ;;
    *) echo "unknown test: $test" >&2; exit 1 ;;
    esac
done
[[ -x $SWITCHBOARD_BIN ]] || { echo "no switchboard binary at $SWITCHBOARD_BIN: set SWITCHBOARD_BIN" >&2; exit 1; }

if [[ -z ${BENCH_BIN:-} ]]; then
    # Its own scratch path, so that it never waits for (or breaks) another build.
    swift build --scratch-path .build-bench --product switchboard-bench -c release >&2
    BENCH_BIN=.build-bench/release/switchboard-bench
fi

# Thousands of connections on each side need the file descriptors; the server
# inherits this limit (the load generator raises its own).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p "$OUT"

server_pid=""
data_dir=""
stop_server() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        # A server that ignores SIGTERM for 10 s is killed.
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
    if [[ -n $data_dir ]]; then rm -rf "$data_dir"; data_dir=""; fi
}
trap stop_server EXIT

# start_server PORT LOG: a fresh Switchboard with an empty data directory, pinned to the server CPU.
start_server() {
    data_dir=$(mktemp -d)
    # taskset execs the server, so $! is the server's own pid (which `idle --pid` reads).
    taskset -c "$SERVER_CPU" "$SWITCHBOARD_BIN" serve --http "127.0.0.1:$1" --tcp 127.0.0.1:0 --data "$data_dir" >"$2" 2>&1 &
    server_pid=$!
    wait_for_port "$1" "$server_pid"
}

# bench_args TEST PORT [COUNT]: the load generator's arguments for one run.
bench_args() {
    local base="ws://127.0.0.1:$2"
    case $1 in
    fanin) echo "fanin --pub-url $base/ws/pub/bench/in/{n} --sub-url $base/ws/sub/bench/in/%23?format=data --publishers $PUBLISHERS --search --pid $server_pid $FANIN_ARGS" ;;
    connect) echo "connect --url $base/ws/sub/bench/connect?format=data --connections $CONNECT_CONNECTIONS --concurrency $CONCURRENCY --pid $server_pid $CONNECT_ARGS" ;;
    idle) echo "idle --url $base/ws/sub/bench/idle/{n}?format=data --connections $3 --pid $server_pid $IDLE_ARGS" ;;
    hold) echo "idle --url $base/ws/sub/bench/idle/{n}?format=data --connections $3 --hold $HOLD --pid $server_pid $IDLE_ARGS" ;;
    esac
}

# measure NAME TEST [COUNT]: one run against a fresh server, JSON to $OUT/NAME.json.
measure() {
    local name=$1 port other other_percent machine0 server0 client0 start
    wait_for_quiet
    port=$(free_port)
    if ! start_server "$port" "$OUT/$name.server.log"; then
        echo "$name: server did not start (see $OUT/$name.server.log)" >&2
        echo '{"failure":"server did not start"}' >"$OUT/$name.json"
        stop_server
        return
    fi
    local args cmd
    # Words, not globs: the URLs hold a "?" but no spaces.
    read -r -a args <<<"$(bench_args "$2" "$port" "${3:-}")"
    cmd=(taskset -c "$CLIENT_CPU" "$BENCH_BIN" "${args[@]}" --json)
    echo "$name: ${cmd[*]}  (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    machine0=$(machine_ticks) server0=$(process_ticks "$server_pid") client0=$(process_ticks children) start=$SECONDS
    # The tool bounds every wait itself; the outer timeout is only a backstop.
    timeout $((3600 + HOLD)) "${cmd[@]}" >"$OUT/$name.json" 2>"$OUT/$name.log" || true
    other=$((($(machine_ticks) - machine0) - ($(process_ticks "$server_pid") - server0) - ($(process_ticks children) - client0)))
    other_percent=$((other * 100 / ($(getconf CLK_TCK) * (SECONDS - start > 0 ? SECONDS - start : 1))))
    tail -n 3 "$OUT/$name.log" | sed 's/^/    /' >&2
    echo "    $(head -c 300 "$OUT/$name.json")" >&2
    echo "    other processes used ${other_percent}% of a CPU during the run" >&2
    stop_server
}

echo "results: $OUT" >&2
for test in "${tests[@]}"; do
    case $test in
    fanin | connect) for run in $(seq "$RUNS"); do measure "$test-$run" "$test"; done ;;
    idle) for n in $IDLE_COUNTS; do for run in $(seq "$RUNS"); do measure "idle-$n-$run" idle "$n"; done; done ;;
    hold) measure "hold-$CONNECTIONS" hold "$CONNECTIONS" ;;
    esac
done

python3 - "$OUT" "$RUNS" "$IDLE_COUNTS" "$CONNECTIONS" "${tests[@]}" <<'EOF'
import json, statistics, sys
out, runs, idle_counts, hold_connections, tests = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4], sys.argv[5:]

def load(name):
    try:
        with open(f"{out}/{name}.json") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

def fmt(value, digits=0):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}" if digits else f"{round(value):,}"

print(f"\nMedians of {runs} runs, each against a fresh server; server on CPU 0, load generator on CPU 1.")
if "fanin" in tests:
    reports = [load(f"fanin-{run}") for run in range(1, runs + 1)]
    passed = [r for r in reports if r.get("best")]
    best = [r["best"] for r in passed]
    half = [r.get("half") or {} for r in passed]
    ceiling = "≥ " if any(r.get("reachedCeiling") for r in passed) else ""
    print("\n**Fan-in**: P publishers (each on its own topic) → 1 subscriber; delivered = committed msgs/s at the"
          " highest total rate with zero loss and p99 ≤ 100 ms; latency of a run at half that rate.\n")
    print("| publishers | runs passed | committed msgs/s | p50 ms | p99 ms | p99.9 ms | server cpu at max | client cpu at max |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    pubs = median([r.get("publishers") for r in passed])
    print(f"| {fmt(pubs)} | {len(passed)}/{runs} | {ceiling}{fmt(median([r['deliveredPerSecond'] for r in passed]))} |"
          f" {fmt(median([h.get('p50Ms') for h in half]), 2)} | {fmt(median([h.get('p99Ms') for h in half]), 2)} |"
          f" {fmt(median([h.get('p999Ms') for h in half]), 2)} |"
          f" {fmt(median([(b.get('serverCPU') or 0) * 100 for b in best]))} % | {fmt(median([b.get('clientCPU', 0) * 100 for b in best]))} % |")
if "connect" in tests:
    reports = [r for r in (load(f"connect-{run}") for run in range(1, runs + 1)) if r.get("opened")]
    print("\n**Connection set-up**: TCP connect + WebSocket upgrade, K in flight; rate over the whole time.\n")
    print("| connections | in flight | runs | connections/s | failed | set-up p50 ms | p99 ms | max ms | server cpu | closes/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    if reports:
        r0 = reports[0]
        print(f"| {fmt(r0['connections'])} | {r0['concurrency']} | {len(reports)}/{runs} | {fmt(median([r['connectionsPerSecond'] for r in reports]))} |"
              f" {fmt(median([r['failed'] for r in reports]))} | {fmt(median([r['setup']['p50Ms'] for r in reports]), 2)} |"
              f" {fmt(median([r['setup']['p99Ms'] for r in reports]), 2)} | {fmt(median([r['setup']['maxMs'] for r in reports]), 2)} |"
              f" {fmt(median([(r.get('serverCPU') or 0) * 100 for r in reports]))} % | {fmt(median([r['closesPerSecond'] for r in reports]))} |")
if "idle" in tests:
    print("\n**Idle connections**: server RSS (VmRSS) before connecting and after all are connected and settled.\n")
    print("| connections | runs passed | KiB per connection | server RSS before MiB | after MiB | server fds after | client RSS MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in idle_counts:
        reports = [r for r in (load(f"idle-{n}-{run}") for run in range(1, runs + 1)) if r.get("kibPerConnection") is not None]
        mib = lambda key: median([r[key] / 1024 if r.get(key) is not None else None for r in reports])
        print(f"| {fmt(int(n))} | {sum(1 for r in reports if r.get('passed'))}/{runs} | {fmt(median([r['kibPerConnection'] for r in reports]), 2)} |"
              f" {fmt(mib('rssBeforeKiB'), 1)} | {fmt(mib('rssAfterKiB'), 1)} | {fmt(median([r.get('fdsAfter') for r in reports]))} |"
              f" {fmt(mib('clientRSSKiB'), 1)} |")
if "hold" in tests:
    r = load(f"hold-{hold_connections}")
    print("\n**Held connections** (one run): pings spread over each interval; a pong counts as missing after its timeout.\n")
    print("| connections | opened | held s | pings | pongs | missing | closed by server | KiB per connection | RSS after hold MiB | passed |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    if r:
        hold_rss = r.get("rssAfterHoldKiB")
        print(f"| {fmt(r.get('connections'))} | {fmt(r.get('opened'))} | {fmt(r.get('holdSeconds'))} | {fmt(r.get('pingsSent'))} |"
              f" {fmt(r.get('pongs'))} | {fmt(r.get('pongsMissing'))} | {fmt(r.get('closedByServer'))} |"
              f" {fmt(r.get('kibPerConnection'), 2)} | {fmt(hold_rss / 1024 if hold_rss else None, 1)} | {'yes' if r.get('passed') else 'no'} |")
EOF
