#!/usr/bin/env bash
# Fan-out comparison: 1 publisher → N subscribers, Switchboard against the
# baselines (the seed relays over WebSocket, Mosquitto over MQTT), same load
# generator, same machine. See docs/BENCHMARKS.md.
#
# For each N and each target it runs `switchboard-bench fanout --search` RUNS
# times, each time against a freshly started server, with the server pinned to
# CPU 0 and the load generator to CPU 1, and prints the medians as a markdown table
# (the ratio column is to the seed relay, or to the first target when the seed
# relay is not measured) and every single search.
#
# Targets:
#   seed-relay       python3 $SEED_RELAY PORT --quiet; ws://127.0.0.1:PORT/ for publisher and subscribers
#   seed-relay-fast  python3 $SEED_RELAY_FAST PORT (websockets.broadcast()); the same URLs
#   mosquitto        $MOSQUITTO_BIN -c <config written to the run directory>: listener PORT
#                    127.0.0.1, allow_anonymous true, persistence false, log to the
#                    server log, Mosquitto's defaults otherwise (Nagle on: no
#                    set_tcp_nodelay), plus $MOSQUITTO_CONF;
#                    MQTT 3.1.1 QoS 0 on mqtt://127.0.0.1:PORT/bench/t for both
#   switchboard      $SWITCHBOARD_BIN serve; /ws/pub/bench/t → /ws/sub/bench/t?format=data
#   switchboard-mqtt $SWITCHBOARD_BIN serve --mqtt 127.0.0.1:PORT; MQTT 3.1.1 QoS 0 on
#                    mqtt://127.0.0.1:PORT/bench/t for both, as for Mosquitto
#
# Environment:
#   SWITCHBOARD_BIN  switchboard binary (default: .build/release/switchboard if it exists)
#   SEED_RELAY       seed relay script (default: /work/shared/baselines/seed_relay.py)
#   SEED_RELAY_FAST  fast seed relay script (default: /work/shared/baselines/seed_relay_fast.py)
#   MOSQUITTO_BIN    mosquitto binary (default: mosquitto on the PATH or in /usr/sbin)
#   MOSQUITTO_CONF   extra lines for Mosquitto's config, e.g. "set_tcp_nodelay true"
#                    (default: none)
#   BENCH_BIN        load generator binary (default: build it into .build-bench)
#   TARGETS          servers to measure (default: seed-relay, seed-relay-fast, mosquitto
#                    when it is installed, and switchboard when there is a binary for it)
#   SUBSCRIBERS      subscriber counts (default: "100 1000")
#   RUNS             runs per target and count (default: 3)
#   BENCH_ARGS       extra arguments for `fanout`, e.g. "--duration 5 --warmup 1"
#   OUT              directory for the raw JSON and logs (default: .build-bench/results/<time>)
#   QUIET_WAIT       seconds to wait, before each run, for the machine to be idle
#                    (other processes below 10 % CPU); 0 to skip (default: 600)
#   RETRIES          how often a run that other processes disturbed (more than 10 %
#                    of a CPU besides server and load generator) is repeated (default: 2)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/bench-common.sh
source scripts/lib/bench-common.sh

SUBSCRIBERS=${SUBSCRIBERS:-"100 1000"}
RUNS=${RUNS:-3}
BENCH_ARGS=${BENCH_ARGS:-}
SEED_RELAY=${SEED_RELAY:-/work/shared/baselines/seed_relay.py}
SEED_RELAY_FAST=${SEED_RELAY_FAST:-/work/shared/baselines/seed_relay_fast.py}
MOSQUITTO_BIN=${MOSQUITTO_BIN:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}
MOSQUITTO_CONF=${MOSQUITTO_CONF:-}
OUT=${OUT:-.build-bench/results/$(date +%Y%m%d-%H%M%S)}
QUIET_WAIT=${QUIET_WAIT:-600}
RETRIES=${RETRIES:-2}
SERVER_CPU=0
CLIENT_CPU=1

SWITCHBOARD_BIN=${SWITCHBOARD_BIN:-}
if [[ -z $SWITCHBOARD_BIN && -x .build/release/switchboard ]]; then
    SWITCHBOARD_BIN=.build/release/switchboard
fi
if [[ -n ${TARGETS:-} ]]; then
    read -r -a targets <<<"$TARGETS"
else
    targets=(seed-relay seed-relay-fast)
    if [[ -x $MOSQUITTO_BIN ]]; then
        targets+=(mosquitto)
    else
        echo "mosquitto not found (apt-get install mosquitto, or set MOSQUITTO_BIN): not measured" >&2
    fi
    [[ -n $SWITCHBOARD_BIN ]] && targets+=(switchboard switchboard-mqtt)
fi
for target in "${targets[@]}"; do
    case $target in
    seed-relay) [[ -f $SEED_RELAY ]] || { echo "seed relay not found: $SEED_RELAY" >&2; exit 1; } ;;
    seed-relay-fast) [[ -f $SEED_RELAY_FAST ]] || { echo "fast seed relay not found: $SEED_RELAY_FAST" >&2; exit 1; } ;;
    mosquitto) [[ -x $MOSQUITTO_BIN ]] || { echo "mosquitto not found: set MOSQUITTO_BIN" >&2; exit 1; } ;;
    switchboard | switchboard-mqtt) [[ -x $SWITCHBOARD_BIN ]] || { echo "no switchboard binary: set SWITCHBOARD_BIN" >&2; exit 1; } ;;
    *) echo "unknown target: $target" >&2; exit 1 ;;
    esac
done

if [[ -z ${BENCH_BIN:-} ]]; then
    # Its own scratch path, so that it never waits for (or breaks) another build.
    swift build --scratch-path .build-bench --product switchboard-bench -c release >&2
    BENCH_BIN=.build-bench/release/switchboard-bench
fi

# 1000+ connections on each side need the file descriptors.
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

# mosquitto_config PORT: Mosquitto's config for one run, on stdout. Logs go to
# stdout, hence to the server log: a log file would be opened after Mosquitto,
# started as root, has dropped its privileges.
mosquitto_config() {
    printf '%s\n' "listener $1 127.0.0.1" "allow_anonymous true" "persistence false" "log_dest stdout"
    [[ -z $MOSQUITTO_CONF ]] || printf '%s\n' "$MOSQUITTO_CONF"
}

# start_server TARGET PORT LOG: starts TARGET pinned to the server CPU.
start_server() {
    case $1 in
    seed-relay)
        taskset -c "$SERVER_CPU" python3 "$SEED_RELAY" "$2" --quiet >"$3" 2>&1 &
        ;;
    seed-relay-fast)
        taskset -c "$SERVER_CPU" python3 "$SEED_RELAY_FAST" "$2" >"$3" 2>&1 &
        ;;
    mosquitto)
        mosquitto_config "$2" >"${3%.server.log}.mosquitto.conf"
        taskset -c "$SERVER_CPU" "$MOSQUITTO_BIN" -c "${3%.server.log}.mosquitto.conf" >"$3" 2>&1 &
        ;;
    switchboard)
        data_dir=$(mktemp -d)
        taskset -c "$SERVER_CPU" "$SWITCHBOARD_BIN" serve --http "127.0.0.1:$2" --tcp 127.0.0.1:0 --mqtt off --data "$data_dir" >"$3" 2>&1 &
        ;;
    switchboard-mqtt)
        data_dir=$(mktemp -d)
        taskset -c "$SERVER_CPU" "$SWITCHBOARD_BIN" serve --mqtt "127.0.0.1:$2" --http 127.0.0.1:0 --tcp 127.0.0.1:0 --data "$data_dir" >"$3" 2>&1 &
        ;;
    esac
    server_pid=$!
    wait_for_port "$2" "$server_pid"
}

urls() { # TARGET PORT → "PUB_URL SUB_URL"
    case $1 in
    seed-relay | seed-relay-fast) echo "ws://127.0.0.1:$2/ ws://127.0.0.1:$2/" ;;
    mosquitto | switchboard-mqtt) echo "mqtt://127.0.0.1:$2/bench/t mqtt://127.0.0.1:$2/bench/t" ;;
    switchboard) echo "ws://127.0.0.1:$2/ws/pub/bench/t ws://127.0.0.1:$2/ws/sub/bench/t?format=data" ;;
    esac
}

echo "results: $OUT" >&2
for n in $SUBSCRIBERS; do
    for target in "${targets[@]}"; do
        for run in $(seq "$RUNS"); do
            name="$target-$n-$run"
            for attempt in $(seq 0 "$RETRIES"); do
                wait_for_quiet
                port=$(free_port)
                if ! start_server "$target" "$port" "$OUT/$name.server.log"; then
                    echo "$name: server did not start (see $OUT/$name.server.log)" >&2
                    echo '{"failed":"server did not start"}' >"$OUT/$name.json"
                    stop_server
                    break
                fi
                read -r pub sub <<<"$(urls "$target" "$port")"
                cmd=(taskset -c "$CLIENT_CPU" "$BENCH_BIN" fanout --pub-url "$pub" --sub-url "$sub"
                    --subscribers "$n" --search --json)
                # shellcheck disable=SC2206 # BENCH_ARGS is a list of words on purpose
                cmd+=($BENCH_ARGS)
                echo "$name: ${cmd[*]}  (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
                machine0=$(machine_ticks) server0=$(process_ticks "$server_pid") client0=$(process_ticks children) start=$SECONDS
                # The tool bounds every wait itself; the outer timeout is only a backstop.
                timeout 3600 "${cmd[@]}" >"$OUT/$name.json" 2>"$OUT/$name.log" || true
                other=$((($(machine_ticks) - machine0) - ($(process_ticks "$server_pid") - server0) - ($(process_ticks children) - client0)))
                other_percent=$((other * 100 / ($(getconf CLK_TCK) * (SECONDS - start > 0 ? SECONDS - start : 1))))
                tail -n 3 "$OUT/$name.log" | sed 's/^/    /' >&2
                echo "    other processes used ${other_percent}% of a CPU during the run" >&2
                stop_server
                ((other_percent <= 10)) && break
                if ((attempt < RETRIES)); then
                    echo "    disturbed: measuring again" >&2
                else
                    echo "    disturbed, and out of retries: keeping this run" >&2
                fi
            done
        done
    done
done

python3 - "$OUT" "$RUNS" "$SUBSCRIBERS" "${targets[@]}" <<'EOF'
import json, statistics, sys
out, runs, counts, targets = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4:]

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

rows, delivered, singles = [], {}, []
for n in counts:
    for target in targets:
        reports = [load(f"{out}/{target}-{n}-{run}.json") for run in range(1, runs + 1)]
        singles.append((target, n, reports))
        passed = [r for r in reports if r.get("best")]
        half = [r.get("half") or {} for r in passed]
        d = median([r["deliveredPerSecond"] for r in passed])
        delivered[(target, n)] = d
        # "≥": the search stopped at --max-rate, not at the server's limit.
        ceiling = "≥ " if any(r.get("reachedCeiling") for r in passed) else ""
        rows.append((target, n, len(passed), ceiling, median([r["maxRate"] for r in passed]), d,
                     median([h.get("p50Ms") for h in half]), median([h.get("p99Ms") for h in half]),
                     median([h.get("p999Ms") for h in half])))

print(f"\nMedians of {runs} runs; 1 publisher, 200-byte messages unless BENCH_ARGS says otherwise;"
      " server on CPU 0, load generator on CPU 1. Delivered msgs/s at the highest publish rate"
      " with zero loss and p99 ≤ 100 ms; latency of a run at half that rate.\n")
# The ratio is to the seed relay, or, when it was not measured, to the first target.
baseline = "seed-relay" if "seed-relay" in targets else targets[0]
print("| server | subscribers | runs passed | max publish rate (msg/s) | delivered msgs/s | p50 ms | p99 ms | p99.9 ms |"
      f" vs {baseline.replace('-', ' ')} |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for target, n, ok, ceiling, rate, d, p50, p99, p999 in rows:
    base = delivered.get((baseline, n))
    ratio = f"{d / base:.2f}×" if d and base else "—"
    print(f"| {target} | {n} | {ok}/{runs} | {ceiling}{fmt(rate, 1) if rate and rate < 100 else fmt(rate)} | {ceiling}{fmt(d)} |"
          f" {fmt(p50, 2)} | {fmt(p99, 2)} | {fmt(p999, 2)} | {ratio} |")

print("\nSingle searches: delivered msgs/s at the found rate (p99 ms of the run at half that rate).\n")
def single(report):
    if not report.get("best"):
        return "failed"
    return f"{fmt(report['deliveredPerSecond'])} ({fmt((report.get('half') or {}).get('p99Ms'), 1)})"

for target, n, reports in singles:
    print(f"- {target}, {n} subscribers: " + ", ".join(single(r) for r in reports))
EOF
