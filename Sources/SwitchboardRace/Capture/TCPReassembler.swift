/// Puts TCP segments back into byte streams, one per direction of each connection: segments that
/// arrive out of order wait for the ones before them, retransmitted bytes are delivered once, and
/// a SYN on a direction already seen starts it afresh (the connection restarted).
///
/// ```swift
/// var reassembler = TCPReassembler()
/// for event in reassembler.add(segment) {
///     if case .data(let flow, let bytes) = event { decoders[flow].feed(bytes) }
/// }
/// ```
public struct TCPReassembler: Sendable {
    public enum Event: Equatable, Sendable {
        /// A SYN: a new connection's bytes follow (whatever came before on this flow is over).
        case opened(TCPFlow)
        /// The next bytes of the flow, in order, each byte once.
        case data(TCPFlow, [UInt8])
        /// Bytes are missing before the data that follows (never captured, or given up waiting for).
        case gap(TCPFlow)
        /// FIN (once all data before it arrived) or RST.
        case closed(TCPFlow)
    }

    /// Bounds on what waits for a missing segment; beyond them the reassembler declares a gap.
    public struct Limits: Sendable {
        public var maxPendingSegments = 4096
        public var maxPendingBytes = 16 << 20

        public init() {}
    }

    struct Direction: Sendable {
        /// The sequence number of the next byte to deliver.
        var next: UInt32
        /// Segments beyond `next`, by sequence number.
        var pending: [UInt32: ArraySlice<UInt8>] = [:]
        var pendingBytes = 0
        /// Where the sender's FIN sits, once seen.
        var finAt: UInt32?
    }

    public var limits = Limits()
    private var directions: [TCPFlow: Direction] = [:]
    /// Where closed directions ended, so a late retransmission does not look like a new stream.
    private var closedAt: [TCPFlow: UInt32] = [:]

    public init() {}

    /// The events one segment causes, in order.
    public mutating func add(_ segment: TCPSegment) -> [Event] {
        let flow = segment.flow
        var events: [Event] = []
        if segment.rst {
            if let direction = self.directions.removeValue(forKey: flow) {
                self.closedAt[flow] = direction.next
                events.append(.closed(flow))
            }
            return events
        }
        var sequence = segment.sequence
        if segment.syn {
            // The SYN takes one sequence number; data (rare on a SYN) follows it.
            if self.directions[flow] != nil { events.append(.closed(flow)) }
            self.directions[flow] = Direction(next: sequence &+ 1)
            events.append(.opened(flow))
            sequence = sequence &+ 1
        } else if self.directions[flow] == nil {
            if let end = self.closedAt[flow], Int32(bitPattern: sequence &- end) <= 0 { return events }
            // Joined mid-connection: the stream starts at the first segment seen.
            self.directions[flow] = Direction(next: sequence)
        }
        guard var direction = self.directions[flow] else { return events }
        if segment.fin { direction.finAt = sequence &+ UInt32(segment.payload.count) }
        if !segment.payload.isEmpty { self.accept(segment.payload, at: sequence, into: &direction, flow: flow, events: &events) }
        if let finAt = direction.finAt, finAt == direction.next {
            self.directions[flow] = nil
            self.closedAt[flow] = finAt
            events.append(.closed(flow))
        } else {
            self.directions[flow] = direction
        }
        return events
    }

    /// The end of the capture: what still waits is delivered with gaps where bytes are missing.
    public mutating func finish() -> [Event] {
        var events: [Event] = []
        for flow in self.directions.keys.sorted(by: { $0.description < $1.description }) {
            guard var direction = self.directions[flow] else { continue }
            while !direction.pending.isEmpty {
                events.append(.gap(flow))
                self.skipToEarliestPending(&direction)
                self.drain(&direction, flow: flow, events: &events)
            }
            events.append(.closed(flow))
        }
        self.directions.removeAll()
        return events
    }

    private mutating func accept(
        _ payload: ArraySlice<UInt8>,
        at sequence: UInt32,
        into direction: inout Direction,
        flow: TCPFlow,
        events: inout [Event]
    ) {
        let offset = Int(Int32(bitPattern: sequence &- direction.next))
        if offset > 0 {
            if let waiting = direction.pending[sequence], waiting.count >= payload.count { return }
            direction.pendingBytes += payload.count - (direction.pending[sequence]?.count ?? 0)
            direction.pending[sequence] = payload
            if direction.pending.count > self.limits.maxPendingSegments || direction.pendingBytes > self.limits.maxPendingBytes {
                events.append(.gap(flow))
                self.skipToEarliestPending(&direction)
                self.drain(&direction, flow: flow, events: &events)
            }
            return
        }
        self.deliver(payload, at: sequence, into: &direction, flow: flow, events: &events)
        self.drain(&direction, flow: flow, events: &events)
    }

    /// Delivers the part of `payload` beyond what was delivered already.
    private func deliver(_ payload: ArraySlice<UInt8>, at sequence: UInt32, into direction: inout Direction, flow: TCPFlow, events: inout [Event]) {
        let already = Int(Int32(bitPattern: direction.next &- sequence))
        guard already >= 0, already < payload.count else { return }
        let fresh = payload.dropFirst(already)
        events.append(.data(flow, Array(fresh)))
        direction.next = direction.next &+ UInt32(fresh.count)
    }

    /// Delivers waiting segments as long as they continue the stream.
    private func drain(_ direction: inout Direction, flow: TCPFlow, events: inout [Event]) {
        var progressed = true
        while progressed, !direction.pending.isEmpty {
            progressed = false
            for (sequence, payload) in direction.pending where Int32(bitPattern: sequence &- direction.next) <= 0 {
                direction.pending[sequence] = nil
                direction.pendingBytes -= payload.count
                self.deliver(payload, at: sequence, into: &direction, flow: flow, events: &events)
                progressed = true
                break
            }
        }
    }

    private func skipToEarliestPending(_ direction: inout Direction) {
        let next = direction.next
        if let earliest = direction.pending.keys.min(by: { ($0 &- next) < ($1 &- next) }) { direction.next = earliest }
    }
}
