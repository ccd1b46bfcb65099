#!/usr/bin/env bash
# Builds the libFuzzer harness for the MQTT packet decoder: Tests/Fuzz/build-mqtt.sh [scratch path, default .build-fuzz]
# Then: .build-fuzz/mqtt-decoder-fuzzer Tests/Fuzz/corpus-mqtt -max_len=4096
# The same recipe as build.sh (the JSON parser's harness), with SwitchboardMQTT's sources.
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH="${1:-.build-fuzz}"

# NIOCore and its dependencies, built by SwiftPM (the decoder itself is compiled below, instrumented).
swift build --scratch-path "$SCRATCH" --target SwitchboardMQTT >&2
BIN="$(swift build --scratch-path "$SCRATCH" --show-bin-path)"

flags=(-I "$BIN/Modules")
while IFS= read -r map; do
    flags+=(-Xcc "-fmodule-map-file=$map")
done < <(find "$BIN" -maxdepth 2 -name module.modulemap; find "$SCRATCH/checkouts" -path '*/include/module.modulemap')
while IFS= read -r dir; do
    flags+=(-Xcc -I -Xcc "$dir")
done < <(find "$SCRATCH/checkouts/swift-nio/Sources" "$SCRATCH/checkouts/swift-atomics/Sources" -type d -name include)

objects=()
for target in NIOCore NIOConcurrencyHelpers _NIOBase64 _NIODataStructures Atomics _AtomicsShims \
    CNIOLinux CNIODarwin CNIOWindows CNIOWASI CNIOOpenBSD CNIOFreeBSD CNIOAtomics DequeModule InternalCollectionsUtilities ContainersPreview; do
    [ -d "$BIN/$target.build" ] || continue
    while IFS= read -r object; do objects+=("$object"); done < <(find "$BIN/$target.build" -name '*.o' ! -name '*.swiftmodule.o')
done

swiftc -sanitize=fuzzer,address -use-ld=lld -parse-as-library -module-name MQTTDecoderFuzz -O -g \
    -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility \
    "${flags[@]}" \
    Tests/Fuzz/MQTTDecoderFuzz.swift Sources/SwitchboardMQTT/*.swift \
    "${objects[@]}" \
    -o "$SCRATCH/mqtt-decoder-fuzzer"
echo "$SCRATCH/mqtt-decoder-fuzzer"
