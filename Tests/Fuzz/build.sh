#!/usr/bin/env bash
# Builds the libFuzzer harnesses: Tests/Fuzz/build.sh [scratch path, default .build-fuzz] [harness…]
# Each lands in <scratch>/fuzz/<harness>; Tests/Fuzz/run.sh runs them. Harnesses: json-parser topic websocket tcp-line race redis cluster uri upgrade-head.
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH="${1:-.build-fuzz}"
shift || true
HARNESSES=("$@")
[ ${#HARNESSES[@]} -gt 0 ] || HARNESSES=(json-parser topic websocket tcp-line race redis cluster uri upgrade-head)
OUT="$SCRATCH/fuzz"
mkdir -p "$OUT"

# NIOCore, NIOEmbedded, swift-log and their dependencies, built by SwiftPM (a no-op after `swift build`
# in the same scratch path). The code under test is compiled below, into each harness, instrumented.
swift build --scratch-path "$SCRATCH" --target SwitchboardCore >&2
swift build --scratch-path "$SCRATCH" --target NIOEmbedded >&2
BIN="$(swift build --scratch-path "$SCRATCH" --show-bin-path)"

flags=(-I "$BIN/Modules")
while IFS= read -r map; do
    flags+=(-Xcc "-fmodule-map-file=$map")
done < <(find "$BIN" -maxdepth 2 -name module.modulemap; find "$SCRATCH/checkouts" -path '*/include/module.modulemap')
while IFS= read -r dir; do
    flags+=(-Xcc -I -Xcc "$dir")
done < <(find "$SCRATCH/checkouts/swift-nio/Sources" "$SCRATCH/checkouts/swift-atomics/Sources" -type d -name include)

objects=()
for target in NIOCore NIOEmbedded NIOConcurrencyHelpers _NIOBase64 _NIODataStructures Atomics _AtomicsShims Logging \
    CNIOLinux CNIODarwin CNIOWindows CNIOWASI CNIOOpenBSD CNIOFreeBSD CNIOAtomics DequeModule InternalCollectionsUtilities ContainersPreview; do
    [ -d "$BIN/$target.build" ] || continue
    while IFS= read -r object; do objects+=("$object"); done < <(find "$BIN/$target.build" -name '*.o' ! -name '*.swiftmodule.o')
done

CORE=Sources/SwitchboardCore
JSON=("$CORE/JSONParser.swift" "$CORE/JSONValue.swift" "$CORE/HubError.swift")
TOPICS=("$CORE/Topic.swift" "$CORE/TopicPattern.swift")
WS="$SCRATCH/checkouts/swift-nio/Sources/NIOWebSocket"

# harness <name> <module> <sources…>: one instrumented executable.
harness() {
    local name="$1" module="$2"
    shift 2
    echo "==> fuzz harness $name" >&2
    # A harness compiled as module SwitchboardCore takes `import SwitchboardCore` in the files it compiles as itself.
    swiftc -sanitize=fuzzer,address -use-ld=lld -parse-as-library -module-name "$module" -O -g -suppress-warnings \
        -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility \
        "${flags[@]}" "$@" "${objects[@]}" -o "$OUT/$name"
}

for name in "${HARNESSES[@]}"; do
    case "$name" in
    json-parser) harness "$name" JSONParserFuzz Tests/Fuzz/JSONParserFuzz.swift "${JSON[@]}" ;;
    topic) harness "$name" SwitchboardCore Tests/Fuzz/TopicFuzz.swift "${TOPICS[@]}" "${JSON[@]}" ;;
    websocket)
        harness "$name" SwitchboardCore Tests/Fuzz/WebSocketFuzz.swift "${JSON[@]}" "${TOPICS[@]}" \
            "$WS/WebSocketFrame.swift" "$WS/WebSocketFrameDecoder.swift" "$WS/WebSocketOpcode.swift" \
            "$WS/WebSocketErrorCodes.swift" "$WS/NIOWebSocketFrameAggregator.swift"
        ;;
    tcp-line)
        harness "$name" SwitchboardCore Tests/Fuzz/TCPLineFuzz.swift "${JSON[@]}" \
            Sources/SwitchboardServer/TCP/LineDecoder.swift Sources/SwitchboardServer/TCP/TCPLine.swift
        ;;
    race)
        sources=()
        while IFS= read -r file; do sources+=("$file"); done < <(find Sources/SwitchboardRace -name '*.swift' | sort)
        harness "$name" SwitchboardRace Tests/Fuzz/RaceDecoderFuzz.swift "${sources[@]}"
        ;;
    redis)
        harness "$name" SwitchboardRedis Tests/Fuzz/RESPParserFuzz.swift Sources/SwitchboardRedis/Protocol/*.swift \
            Sources/SwitchboardRedis/RedisError.swift
        ;;
    cluster)
        harness "$name" SwitchboardCore Tests/Fuzz/ClusterCodecFuzz.swift Sources/SwitchboardServer/Cluster/ClusterCodec.swift \
            "$CORE/Store.swift" "$CORE/StoredRows.swift" "$CORE/RetentionRule.swift" "${TOPICS[@]}" "${JSON[@]}"
        ;;
    uri) harness "$name" SwitchboardServer Tests/Fuzz/URIFuzz.swift Sources/SwitchboardServer/HTTP/URIParts.swift ;;
    upgrade-head)
        harness "$name" SwitchboardServer Tests/Fuzz/UpgradeHeadFuzz.swift Sources/SwitchboardServer/WebSocket/UpgradeRequestHead.swift
        ;;
    *) echo "unknown harness $name" >&2; exit 2 ;;
    esac
    echo "$OUT/$name"
done
