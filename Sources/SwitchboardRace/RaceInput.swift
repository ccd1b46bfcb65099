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

    /// What an input holds: captured frames, or the stream's bytes themselves.
    public enum Contents: Sendable {
        case frames([CapturedFrame])
        case stream([UInt8])
    }

    public static func contents(of bytes: [UInt8]) throws(CaptureError) -> Contents {
        switch self.format(of: bytes) {
        case .pcap: .frames(try PcapFile.frames(bytes))
        case .pcapng: .frames(try PcapngFile.frames(bytes))
        case .hexDump: .stream(HexDump.parse(String(decoding: bytes, as: UTF8.self)) ?? [])
        case .raw: .stream(bytes)
        }
    }

    /// Every snapshot in the input, in order; `port` selects the connection in a capture.
    public static func snapshots(in bytes: [UInt8], port: UInt16? = nil) throws(CaptureError) -> (
        snapshots: [Snapshot], statistics: StandingsDecoder.Statistics
    ) {
        switch try self.contents(of: bytes) {
        case .frames(let frames): self.decode(frames: frames, port: port)
        case .stream(let stream): self.decode(stream: stream)
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
