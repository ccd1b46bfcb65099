/// Decodes the standings in captured frames: TCP reassembly, then one ``StandingsDecoder`` per
/// direction of each connection (a restarted connection gets a fresh one).
///
/// `port` keeps only connections with that port at either end (the timing program's connection);
/// without it every TCP stream is decoded and those that are not Java serialization yield nothing.
public struct CaptureDecoder: Sendable {
    public let port: UInt16?
    private var reassembler = TCPReassembler()
    private var decoders: [TCPFlow: StandingsDecoder] = [:]
    /// What the decoders of finished directions could not read, summed.
    public private(set) var statistics = StandingsDecoder.Statistics()
    public private(set) var framesSeen = 0
    public private(set) var segmentsSeen = 0

    public init(port: UInt16? = nil) {
        self.port = port
    }

    /// The snapshots completed by one more frame.
    public mutating func add(_ frame: CapturedFrame) -> [Snapshot] {
        self.framesSeen += 1
        guard let segment = PacketDissector.segment(frame) else { return [] }
        if let port = self.port, segment.flow.source.port != port, segment.flow.destination.port != port { return [] }
        self.segmentsSeen += 1
        return self.apply(self.reassembler.add(segment))
    }

    /// The end of the capture: every direction's last snapshots.
    public mutating func finish() -> [Snapshot] {
        var snapshots = self.apply(self.reassembler.finish())
        for flow in self.decoders.keys.sorted(by: { $0.description < $1.description }) {
            snapshots += self.close(flow)
        }
        return snapshots
    }

    /// Rows gathered one by one become snapshots now (a live capture gone quiet).
    public mutating func flush() -> [Snapshot] {
        var snapshots: [Snapshot] = []
        for flow in self.decoders.keys.sorted(by: { $0.description < $1.description }) {
            snapshots += self.decoders[flow]?.flush() ?? []
        }
        return snapshots
    }

    private mutating func apply(_ events: [TCPReassembler.Event]) -> [Snapshot] {
        var snapshots: [Snapshot] = []
        for event in events {
            switch event {
            case .opened(let flow):
                snapshots += self.close(flow)
                self.decoders[flow] = StandingsDecoder()
            case .data(let flow, let bytes):
                snapshots += self.decoders[flow, default: StandingsDecoder()].feed(bytes)
            case .gap(let flow):
                snapshots += self.decoders[flow]?.skipGap() ?? []
            case .closed(let flow):
                snapshots += self.close(flow)
            }
        }
        return snapshots
    }

    private mutating func close(_ flow: TCPFlow) -> [Snapshot] {
        guard var decoder = self.decoders.removeValue(forKey: flow) else { return [] }
        let snapshots = decoder.finish()
        self.statistics.add(decoder.statistics)
        return snapshots
    }
}

extension StandingsDecoder.Statistics {
    mutating func add(_ other: Self) {
        self.unresolvedReferences += other.unresolvedReferences
        self.skippedBytes += other.skippedBytes
        self.corruptElements += other.corruptElements
        self.streamHeaders += other.streamHeaders
    }
}
