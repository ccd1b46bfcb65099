#!/usr/bin/env bash
# Bounded runs of the libFuzzer harnesses built by build.sh, two at a time:
#   Tests/Fuzz/run.sh [scratch path, default .build-fuzz] [seconds each, default 30] [harness…]
# Each starts from its committed corpus (Tests/Fuzz/corpus/<harness>); what it finds goes to a
# temporary directory. A crash, a failed check, a leak, a timeout (10 s per input) or a missing
# harness fails the run; the input that did it is kept as <scratch>/fuzz/crashes/<harness>-….
set -uo pipefail
cd "$(dirname "$0")/../.."
SCRATCH="${1:-.build-fuzz}"
SECONDS_EACH="${2:-30}"
shift 2 || shift $#
HARNESSES=("$@")
[ ${#HARNESSES[@]} -gt 0 ] || HARNESSES=(json-parser topic websocket tcp-line race redis cluster uri upgrade-head)
OUT="$SCRATCH/fuzz"
mkdir -p "$OUT/crashes" "$OUT/logs"

run() {
    local name="$1" work
    work="$(mktemp -d)"
    # Swift's own crash backtracer would trip over ASan; libFuzzer prints the stack.
    SWIFT_BACKTRACE=enable=no "$OUT/$name" "$work" "Tests/Fuzz/corpus/$name" -max_total_time="$SECONDS_EACH" -max_len=8192 -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$OUT/crashes/$name-" >"$OUT/logs/$name.log" 2>&1
    local status=$?
    rm -rf "$work"
    return $status
}

failed=()
pids=()
for name in "${HARNESSES[@]}"; do
    if [ ! -x "$OUT/$name" ]; then
        echo "fuzz: $name: no harness at $OUT/$name (build it with Tests/Fuzz/build.sh $SCRATCH)" >&2
        failed+=("$name")
        continue
    fi
    run "$name" &
    pids+=("$!:$name")
    if [ ${#pids[@]} -ge 2 ]; then
        entry="${pids[0]}"
        pids=("${pids[@]:1}")
        wait "${entry%%:*}" || failed+=("${entry#*:}")
    fi
done
for entry in "${pids[@]}"; do wait "${entry%%:*}" || failed+=("${entry#*:}"); done

for name in "${HARNESSES[@]}"; do
    [ -f "$OUT/logs/$name.log" ] || continue
    echo "fuzz: $name: $(grep -E '^Done [0-9]+ runs' "$OUT/logs/$name.log" || echo 'did not finish')"
done
if [ ${#failed[@]} -gt 0 ]; then
    for name in "${failed[@]}"; do
        echo "fuzz: $name FAILED" >&2
        [ -f "$OUT/logs/$name.log" ] && grep -v '^#' "$OUT/logs/$name.log" | tail -40 >&2
    done
    exit 1
fi
