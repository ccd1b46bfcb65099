// libFuzzer harness for SwitchboardRace: the incremental decoder of Java serialization streams
// (StandingsDecoder) and the input formats in front of it (pcap, pcapng, hex dump). See README.md.
//
// The first input byte picks a read size; the rest is (1) given to RaceInput.snapshots, which
// tells the format apart and decodes a capture, a hex dump or a raw stream, and (2) fed to a
// StandingsDecoder as a raw stream in reads of that size. Checked: no crash (and, through
// libFuzzer's -timeout, no hang), and the same snapshots whatever the reads' size, as the
// decoder promises ("fed with bytes in chunks of any size").

private let readSizes = [1, 2, 3, 7, 16, 64, 536, 1 << 20]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRaceDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let readSize = readSizes[Int(data[0]) % readSizes.count]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))

    _ = try? RaceInput.snapshots(in: bytes)

    let (whole, _) = RaceInput.decode(stream: bytes)
    var decoder = StandingsDecoder()
    var snapshots: [Snapshot] = []
    var offset = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + readSize)
        snapshots += decoder.feed(bytes[offset..<end])
        offset = end
    }
    snapshots += decoder.finish()
    precondition(snapshots == whole, "reads of \(readSize) bytes give \(snapshots.count) snapshots, the whole stream \(whole.count)")
    let statistics = decoder.statistics
    precondition(statistics.skippedBytes >= 0 && statistics.skippedBytes <= bytes.count, "skipped \(statistics.skippedBytes) of \(bytes.count) bytes")
    return 0
}
