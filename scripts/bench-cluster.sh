#!/usr/bin/env bash
# Cluster mode: fan-out 1 → SUBSCRIBERS through 1, 2 and 3 hub nodes sharing one
# Redis (seqs, fan-out between nodes) and one PostgreSQL (history), next to the
# single-node hub on SQLite; then PostgreSQL's commit rate next to SQLite's
# (`switchboard bench store`). See docs/BENCHMARKS.md, "Cluster mode".
#
# It starts a throwaway PostgreSQL (initdb into a temporary directory, trust
# authentication, user switchboard; run as the postgres user when we are root,
# since PostgreSQL refuses root) and, for every cluster run, a fresh
# redis-server (no persistence) and a fresh database. For each node count it
# starts that many nodes (`switchboard serve --store postgres://… --broker
# redis://…`, each with its own HTTP port and data directory, TCP and MQTT off),
# the publisher on node 1 (/ws/pub/bench/t) and the subscribers spread over all
# nodes in turn (/ws/sub/bench/t?format=data, `--sub-url` with one URL per
# node), and runs
#   (a) one fixed-rate run at FIXED_RATE msg/s: latency p50/p99/p99.9, and
#   (b) a rate search (`--search`): the highest rate with zero loss and
#       p99 ≤ 100 ms, kept short by SEARCH_ARGS.
# The single-node hub (`switchboard serve --data <fresh directory>`, SQLite, no
# Redis) gets the same two runs. All servers (nodes, Redis, PostgreSQL) share
# SERVER_CPUS, the load generator runs on CLIENT_CPU, everything on 127.0.0.1.
# Prints a markdown table of the medians at the end; every run's JSON and log
# is kept under OUT.
#
# Environment:
#   BIN           switchboard binary (default: .build/release/switchboard)
#   NODES         node counts to measure (default: "1 2 3"; empty: none)
#   SINGLE        1: also measure the single-node SQLite hub (default: 1)
#   RUNS          fan-out runs (fixed + search) per setting, each on fresh servers (default: 1)
#   SUBSCRIBERS   subscriber connections (default: 100)
#   FIXED_RATE    publish rate of the fixed-rate run, msg/s (default: 1000, i.e. 100,000 deliveries/s)
#   FIXED_ARGS    extra arguments of the fixed-rate run (default: "--duration 5 --warmup 1")
#   SEARCH_ARGS   extra arguments of the search
#                 (default: "--duration 3 --warmup 1 --start-rate 500 --max-rate 64000 --bisect-steps 3")
#   STORE         1: run `bench store` on PostgreSQL and SQLite (default: 1)
#   STORE_MESSAGES messages per store run (default: 200000)
#   STORE_TOPICS  topic counts of the store runs (default: "1 100"); batch STORE_BATCH (default: 1000)
#   SERVER_CPUS   CPUs of nodes, Redis and PostgreSQL (default: 0); CLIENT_CPU of the load generator (default: 1)
#   QUIET_WAIT    seconds to wait, before each run, for the machine to be idle
#                 (others below 10 % CPU); 0 to skip (default: 120)
#   OUT           directory for the raw JSON and logs (default: .build-bench/results/cluster-<time>)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/bench-common.sh
source scripts/lib/bench-common.sh

BIN=${BIN:-.build/release/switchboard}
NODES=${NODES-"1 2 3"}
SINGLE=${SINGLE:-1}
RUNS=${RUNS:-1}
SUBSCRIBERS=${SUBSCRIBERS:-100}
FIXED_RATE=${FIXED_RATE:-1000}
FIXED_ARGS=${FIXED_ARGS:-"--duration 5 --warmup 1"}
SEARCH_ARGS=${SEARCH_ARGS:-"--duration 3 --warmup 1 --start-rate 500 --max-rate 64000 --bisect-steps 3"}
STORE=${STORE:-1}
STORE_MESSAGES=${STORE_MESSAGES:-200000}
STORE_TOPICS=${STORE_TOPICS:-"1 100"}
STORE_BATCH=${STORE_BATCH:-1000}
SERVER_CPUS=${SERVER_CPUS:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
QUIET_WAIT=${QUIET_WAIT:-120}
OUT=${OUT:-.build-bench/results/cluster-$(date +%Y%m%d-%H%M%S)}

[[ -x $BIN ]] || { echo "no switchboard binary at $BIN: set BIN" >&2; exit 1; }
REDIS_SERVER=$(command -v redis-server || true)
[[ -n $REDIS_SERVER ]] || { echo "redis-server not found (apt-get install redis-server)" >&2; exit 1; }
if command -v initdb >/dev/null; then
    PG_BIN=$(dirname "$(readlink -f "$(command -v initdb)")")
else
    PG_BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
fi
[[ -n $PG_BIN && -x $PG_BIN/initdb && -x $PG_BIN/postgres ]] || { echo "PostgreSQL not found (initdb on PATH or /usr/lib/postgresql/*/bin)" >&2; exit 1; }

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BIN=$(readlink -f "$BIN")

# Everything this script starts, stopped on exit.
node_pids=()
node_dirs=()
redis_pid=""
redis_dir=""
pg_pid=""
pg_dir=""

stop_pid() { # PID: SIGTERM, up to 10 s, then SIGKILL
    local pid=$1
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stop_nodes() {
    local pid dir
    for pid in "${node_pids[@]}"; do stop_pid "$pid"; done
    for dir in "${node_dirs[@]}"; do rm -rf "$dir"; done
    node_pids=() node_dirs=()
}

stop_redis() {
    if [[ -n $redis_pid ]]; then stop_pid "$redis_pid"; redis_pid=""; fi
    if [[ -n $redis_dir ]]; then rm -rf "$redis_dir"; redis_dir=""; fi
}

stop_postgres() {
    # SIGINT: fast shutdown (closes sessions, exits cleanly).
    if [[ -n $pg_pid ]]; then
        kill -INT "$pg_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pg_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$pg_pid" 2>/dev/null || true
        wait "$pg_pid" 2>/dev/null || true
        pg_pid=""
    fi
    if [[ -n $pg_dir ]]; then rm -rf "$pg_dir"; pg_dir=""; fi
}

cleanup() {
    stop_nodes
    stop_redis
    stop_postgres
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs a PostgreSQL program as the postgres user when we are root (PostgreSQL refuses root).
as_postgres() {
    if ((EUID == 0)); then
        setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
    else
        "$@"
    fi
}

start_postgres() {
    pg_dir=$(mktemp -d /tmp/switchboard-bench-pg-XXXXXX)
    ((EUID == 0)) && chown postgres:postgres "$pg_dir"
    pg_port=$(free_port)
    (cd "$pg_dir" && as_postgres "$PG_BIN/initdb" -D "$pg_dir/data" -A trust -U switchboard -E UTF8 --locale=C --no-sync) \
        >"$OUT/postgres-initdb.log" 2>&1 || { echo "initdb failed (see $OUT/postgres-initdb.log)" >&2; exit 1; }
    local postgres=("$PG_BIN/postgres")
    ((EUID == 0)) && postgres=(setpriv --reuid=postgres --regid=postgres --init-groups -- "$PG_BIN/postgres")
    # taskset and setpriv exec, so $! is the postmaster itself.
    (cd "$pg_dir" && exec taskset -c "$SERVER_CPUS" "${postgres[@]}" -D "$pg_dir/data" -p "$pg_port" -k "$pg_dir" \
        -c listen_addresses=127.0.0.1 -c max_connections=200 -c log_min_messages=warning) >"$OUT/postgres.log" 2>&1 &
    pg_pid=$!
    for _ in $(seq 100); do
        kill -0 "$pg_pid" 2>/dev/null || break
        if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -U switchboard 2>/dev/null; then return 0; fi
        sleep 0.2
    done
    echo "PostgreSQL did not start (see $OUT/postgres.log)" >&2
    exit 1
}

psql_run() { # SQL
    "$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U switchboard -d postgres -v ON_ERROR_STOP=1 -q -c "$1" >/dev/null
}

fresh_database() { # → postgres:// URL of a new empty database (called in a subshell: the name comes from the clock)
    local name
    name="bench_$(date +%s%N)"
    psql_run "CREATE DATABASE $name"
    echo "postgres://switchboard@127.0.0.1:$pg_port/$name"
}

start_redis() {
    redis_dir=$(mktemp -d /tmp/switchboard-bench-redis-XXXXXX)
    redis_port=$(free_port)
    taskset -c "$SERVER_CPUS" "$REDIS_SERVER" --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$redis_dir" --logfile "$redis_dir/redis.log" &
    redis_pid=$!
    wait_for_port "$redis_port" "$redis_pid" || { echo "redis-server did not start" >&2; exit 1; }
}

# start_nodes N NAME: N cluster nodes on a fresh database and a fresh Redis; sets ports=().
start_nodes() {
    local count=$1 name=$2 store i dir port
    stop_redis
    start_redis
    store=$(fresh_database)
    ports=()
    for i in $(seq "$count"); do
        dir=$(mktemp -d /tmp/switchboard-bench-node-XXXXXX)
        port=$(free_port)
        taskset -c "$SERVER_CPUS" "$BIN" serve --http "127.0.0.1:$port" --tcp off --mqtt off --data "$dir" \
            --store "$store" --broker "redis://127.0.0.1:$redis_port" >"$OUT/$name.node$i.log" 2>&1 &
        node_pids+=($!) node_dirs+=("$dir") ports+=("$port")
        wait_for_port "$port" "$!" || { echo "node $i did not start (see $OUT/$name.node$i.log)" >&2; return 1; }
    done
    # The nodes' Redis subscriptions are made in the background: give them a moment.
    sleep 1
}

# start_single NAME: the default single-node hub (SQLite, no Redis); sets ports=(PORT).
start_single() {
    local dir port
    dir=$(mktemp -d /tmp/switchboard-bench-node-XXXXXX)
    port=$(free_port)
    taskset -c "$SERVER_CPUS" "$BIN" serve --http "127.0.0.1:$port" --tcp off --mqtt off --data "$dir" >"$OUT/$1.node1.log" 2>&1 &
    node_pids+=($!) node_dirs+=("$dir") ports=("$port")
    wait_for_port "$port" "$!" || { echo "the hub did not start (see $OUT/$1.node1.log)" >&2; return 1; }
}

# fanout NAME ARGS…: one load generator invocation against the nodes in ports=().
fanout() {
    local name=$1 subs="" port
    shift
    for port in "${ports[@]}"; do subs+="${subs:+,}ws://127.0.0.1:$port/ws/sub/bench/t?format=data"; done
    local cmd=(taskset -c "$CLIENT_CPU" "$BIN" bench fanout --pub-url "ws://127.0.0.1:${ports[0]}/ws/pub/bench/t"
        --sub-url "$subs" --subscribers "$SUBSCRIBERS" --json "$@")
    echo "$name: ${cmd[*]}  (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    # The tool bounds every wait itself; the outer timeout is only a backstop.
    timeout 1200 "${cmd[@]}" >"$OUT/$name.json" 2>"$OUT/$name.log" || true
    python3 - "$OUT/$name.json" >&2 <<'PY' || true
import json, sys
r = json.load(open(sys.argv[1]))
if "steps" in r:
    best = r.get("best") or {}
    print(f"    search: max rate {r.get('maxRate')} msg/s{' (ceiling)' if r.get('reachedCeiling') else ''}, "
          f"delivered {round(r.get('deliveredPerSecond') or 0):,}/s, {len(r['steps'])} steps")
else:
    print(f"    delivered {round(r['deliveredPerSecond']):,}/s, lost {r['lost']}, p50 {r['p50Ms']:.2f} p99 {r['p99Ms']:.2f}"
          f" p99.9 {r['p999Ms']:.2f} ms, client cpu {r['clientCPU'] * 100:.0f}%{'' if r['passed'] else ' FAIL'}"
          + (f" ({r['failure']})" if r.get('failure') else ""))
PY
}

settings=()
for n in $NODES; do settings+=("cluster-$n"); done
((SINGLE)) && settings+=(single-sqlite)

echo "results: $OUT" >&2
start_postgres
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port; Redis $("$REDIS_SERVER" --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')" >&2
# shellcheck disable=SC2206 # the ARGS variables are lists of words on purpose
fixed_args=($FIXED_ARGS) search_args=($SEARCH_ARGS)
for run in $(seq "$RUNS"); do
    for setting in "${settings[@]}"; do
        name="$setting-$run"
        wait_for_quiet
        if [[ $setting == single-sqlite ]]; then
            started=start_single
        else
            started="start_nodes ${setting#cluster-}"
        fi
        if $started "$name"; then
            fanout "$name-fixed" --rate "$FIXED_RATE" "${fixed_args[@]}"
            fanout "$name-search" --search --p99-limit-ms 100 "${search_args[@]}"
        else
            echo '{"failure":"server did not start"}' >"$OUT/$name-fixed.json"
            echo '{"failure":"server did not start"}' >"$OUT/$name-search.json"
        fi
        stop_nodes
    done
done
stop_redis

if ((STORE)); then
    for topics in $STORE_TOPICS; do
        wait_for_quiet
        for kind in postgres sqlite; do
            name="store-$kind-$topics"
            args=(--messages "$STORE_MESSAGES" --batch "$STORE_BATCH" --topics "$topics" --json)
            # SQLite runs in-process on the server CPU (as scripts/bench-storage.sh); against PostgreSQL
            # the server has the server CPU and the benchmark, its client, the other one.
            cpu=$SERVER_CPUS
            if [[ $kind == postgres ]]; then args+=(--store "$(fresh_database)") cpu=$CLIENT_CPU; fi
            echo "$name: taskset -c $cpu $BIN bench store ${args[*]}  (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
            timeout 600 taskset -c "$cpu" "$BIN" bench store "${args[@]}" >"$OUT/$name.json" 2>"$OUT/$name.log" || true
            python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(f\"    {round(r['messagesPerSecond']):,} msgs/s\")" "$OUT/$name.json" >&2 || true
        done
    done
fi

python3 - "$OUT" "$RUNS" "$SUBSCRIBERS" "$FIXED_RATE" "$STORE" "$STORE_TOPICS" "${settings[@]}" <<'EOF'
import json, statistics, sys
out, runs, subs, fixed_rate, store, store_topics = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5] == "1", sys.argv[6].split()
settings = sys.argv[7:]

def load(path):
    try:
        with open(path) as f:
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

def label(setting):
    return "single node, SQLite" if setting == "single-sqlite" else f"cluster, {setting.split('-')[1]} node(s)"

print(f"\n1 publisher (on node 1) → {subs} subscribers spread over the nodes, 200-byte messages; medians of {runs} run(s)."
      f" Search: highest publish rate with zero loss and p99 ≤ 100 ms (delivered = rate × {subs}); fixed: {fmt(fixed_rate)} msg/s.\n")
print("| hub | searches passed | max publish rate (msg/s) | delivered msgs/s | fixed-rate loss | p50 ms | p99 ms | p99.9 ms |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
singles = []
for s in settings:
    searches = [load(f"{out}/{s}-{r}-search.json") for r in range(1, runs + 1)]
    fixed = [load(f"{out}/{s}-{r}-fixed.json") for r in range(1, runs + 1)]
    passed = [r for r in searches if r.get("best")]
    ceiling = "≥ " if any(r.get("reachedCeiling") for r in passed) else ""
    ok_fixed = [f for f in fixed if "p99Ms" in f and not f.get("failure")]
    print(f"| {label(s)} | {len(passed)}/{runs} | {ceiling}{fmt(median([r['maxRate'] for r in passed]))}"
          f" | {ceiling}{fmt(median([r['deliveredPerSecond'] for r in passed]))}"
          f" | {fmt(median([f.get('lost') for f in ok_fixed]))}"
          f" | {fmt(median([f.get('p50Ms') for f in ok_fixed]), 2)} | {fmt(median([f.get('p99Ms') for f in ok_fixed]), 2)}"
          f" | {fmt(median([f.get('p999Ms') for f in ok_fixed]), 2)} |")
    singles.append((s, searches, fixed))

print("\nSingle runs: search delivered msgs/s; fixed-rate p50 / p99 / p99.9 ms.\n")
for s, searches, fixed in singles:
    a = ", ".join(fmt(r.get("deliveredPerSecond")) if r.get("best") else "failed" for r in searches)
    b = ", ".join(f"{fmt(f.get('p50Ms'), 2)} / {fmt(f.get('p99Ms'), 2)} / {fmt(f.get('p999Ms'), 2)}" if "p99Ms" in f else "failed" for f in fixed)
    print(f"- {label(s)}: {a}; {b}")

if store:
    print("\n| store | topics | batch | committed msgs/s | commit p50 ms | commit p99 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for t in store_topics:
        for kind in ("postgres", "sqlite"):
            r = load(f"{out}/store-{kind}-{t}.json")
            name = "PostgreSQL" if kind == "postgres" else "SQLite"
            print(f"| {name} | {t} | {r.get('batch', '—')} | {fmt(r.get('messagesPerSecond'))}"
                  f" | {fmt(r.get('commitP50Ms'), 2)} | {fmt(r.get('commitP99Ms'), 2)} |")
EOF
