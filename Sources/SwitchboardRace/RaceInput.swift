/// What `switchboard race decode` and the `race` source's file mode read: a capture (pcap, pcapng),
/// a hex dump (as seed 001 shows it), or the raw stream itself — told apart by their first bytes.
public enum RaceInput {
    public enum Format: String, Sendable {
        case pcap, pcapng, hexDump = "hex dump", raw = "raw stream"
    }

    public static func format(of bytes: [UInt8]) -> Format {
        if PcapFile.isPcap(bytes) { return .pcap }
        if PcapngFile.isPcapng(bytes) { return .pcapng }
        if bytes.starts(with: ObjectStreamConstants.magic) { return .raw }
        if Self.looksLikeText(bytes), HexDump.parse(String(decoding: bytes, as: UTF8.self)) != nil { return .hexDump }
        return .raw
    }

    /// Every snapshot in the input, in order; `port` selects the connection in a capture.
    public static func snapshots(in bytes: [UInt8], port: UInt16? = nil) throws(CaptureError) -> (
        snapshots: [Snapshot], statistics: StandingsDecoder.Statistics
    ) {
        switch self.format(of: bytes) {
        case .pcap: return self.decode(frames: try PcapFile.frames(bytes), port: port)
        case .pcapng: return self.decode(frames: try PcapngFile.frames(bytes), port: port)
        case .hexDump: return self.decode(stream: HexDump.parse(String(decoding: bytes, as: UTF8.self)) ?? [])
        case .raw: return self.decode(stream: bytes)
        }
    }

    static func decode(frames: [CapturedFrame], port: UInt16?) -> ([Snapshot], StandingsDecoder.Statistics) {
        var decoder = CaptureDecoder(port: port)
        var snapshots: [Snapshot] = []
        for frame in frames { snapshots += decoder.add(frame) }
        snapshots += decoder.finish()
        return (snapshots, decoder.statistics)
    }

    static func decode(stream: [UInt8]) -> ([Snapshot], StandingsDecoder.Statistics) {
        var decoder = StandingsDecoder()
        var snapshots = decoder.feed(stream)
        snapshots += decoder.finish()
        return (snapshots, decoder.statistics)
    }

    static func looksLikeText(_ bytes: [UInt8]) -> Bool {
        bytes.prefix(4096).allSatisfy { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || ($0 >= 0x20 && $0 != 0x7F) }
    }
}
