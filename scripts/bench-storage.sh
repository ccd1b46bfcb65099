#!/usr/bin/env bash
# Storage and replay: committed msgs/s into SQLite with the real schema
# (`switchboard bench store`, in-process, pinned to CPU 0), and msgs/s delivered
# to a client reconnecting with since=0 on a topic of MESSAGES stored messages
# (`switchboard bench replay`: a fresh hub pinned to CPU 0, the client on CPU 1).
# See docs/BENCHMARKS.md.
#
# Environment:
#   SWITCHBOARD_BIN  switchboard binary (default: .build/release/switchboard)
#   RUNS             store runs per setting, and replays (default: 3)
#   STORE_MESSAGES   messages per store run (default: 2000000)
#   STORE_SETTINGS   "batch:topics" pairs (default: "1000:1 8192:1 8192:1000")
#   MESSAGES         messages stored and replayed (default: 1000000)
#   FORMATS          replay formats (default: "envelope data")
#   OUT              directory for the raw JSON (default: .build-bench/results/<time>)
set -euo pipefail
cd "$(dirname "$0")/.."

SWITCHBOARD_BIN=${SWITCHBOARD_BIN:-.build/release/switchboard}
RUNS=${RUNS:-3}
STORE_MESSAGES=${STORE_MESSAGES:-2000000}
STORE_SETTINGS=${STORE_SETTINGS:-"1000:1 8192:1 8192:1000"}
MESSAGES=${MESSAGES:-1000000}
FORMATS=${FORMATS:-"envelope data"}
OUT=${OUT:-.build-bench/results/$(date +%Y%m%d-%H%M%S)}
[[ -x $SWITCHBOARD_BIN ]] || { echo "no switchboard binary at $SWITCHBOARD_BIN: set SWITCHBOARD_BIN" >&2; exit 1; }
mkdir -p "$OUT"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "| batch | topics | runs (msgs/s) | median msgs/s |"
echo "|---:|---:|---|---:|"
for setting in $STORE_SETTINGS; do
    batch=${setting%%:*} topics=${setting##*:}
    rates=()
    for run in $(seq "$RUNS"); do
        json=$OUT/store-$batch-$topics-$run.json
        taskset -c 0 "$SWITCHBOARD_BIN" bench store --messages "$STORE_MESSAGES" --batch "$batch" --topics "$topics" --json >"$json"
        rates+=("$(python3 -c "import json,sys; print(round(json.load(open('$json'))['messagesPerSecond']))")")
    done
    echo "| $batch | $topics | ${rates[*]} | $(printf '%s\n' "${rates[@]}" | median) |"
done

data_dir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
taskset -c 0 "$SWITCHBOARD_BIN" serve --http "127.0.0.1:$port" --tcp 127.0.0.1:0 --data "$data_dir" 2>"$OUT/replay.server.log" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$data_dir"' EXIT
for _ in $(seq 100); do grep -q "HTTP/WebSocket listener bound" "$OUT/replay.server.log" && break; sleep 0.1; done

echo
echo "| format | runs (msgs/s) | median msgs/s |"
echo "|---|---|---:|"
fill=()
for format in $FORMATS; do
    json=$OUT/replay-$format.json
    taskset -c 1 "$SWITCHBOARD_BIN" bench replay --url "ws://127.0.0.1:$port" --topic bench/replay \
        --messages "$MESSAGES" --runs "$RUNS" --format "$format" --json "${fill[@]}" >"$json"
    fill=(--skip-fill)
    python3 - "$json" "$format" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
rates = [round(run["messagesPerSecond"]) for run in report["runs"]]
print(f"| {sys.argv[2]} | {' '.join(map(str, rates))} | {round(report['medianMessagesPerSecond'])} |")
PY
done
