import NIOCore

/// Receives benchmark messages on one MQTT subscriber connection and records them
/// in its event loop's `LoopTally`: the MQTT twin of `SubscriberHandler`, with the
/// same in-place splitting (`FrameReassembler`, here with `MQTTPacket.scan`), one
/// clock read per socket read and the same bookkeeping.
///
/// Installed by `MQTTHandshakeHandler` once the SUBACK is in.
final class MQTTSubscriberHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let tally: LoopTally
    private let row: Int
    private let maxPacketSize: Int
    private var highest = -1
    private var packets = FrameReassembler()

    init(tally: LoopTally, slot: Int, maxPacketSize: Int) {
        self.tally = tally
        row = tally.row(slot)
        self.maxPacketSize = maxPacketSize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Every packet of one read arrived together: one receive time for all of them.
        let now = NIODeadline.now().uptimeNanoseconds
        let maxPacketSize = self.maxPacketSize
        do {
            try packets.feed(unwrapInboundIn(data)) {
                MQTTPacket.missingBytes($0, maxPacketSize: maxPacketSize)
            } scan: {
                try ingest($0, now: now)
            }
        } catch {
            context.fireErrorCaught(error)
        }
    }

    /// Records the complete packets at the start of `bytes`; returns the bytes they took.
    private func ingest(_ bytes: UnsafeRawBufferPointer, now: UInt64) throws -> Int {
        var highest = self.highest
        defer { self.highest = highest }
        return try tally.recorder.ingestMQTT(bytes, maxPacketSize: maxPacketSize, row: row, now: now, highest: &highest)
    }

    func channelInactive(context: ChannelHandlerContext) {
        tally.recordDrop()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

private extension ReceiveRecorder {
    /// Records every complete PUBLISH at the start of `bytes` (all received at `now`)
    /// and returns how many bytes the packets took. Other packets (PINGRESP) are skipped.
    @inline(__always)
    mutating func ingestMQTT(
        _ bytes: UnsafeRawBufferPointer, maxPacketSize: Int, row: Int, now: UInt64, highest: inout Int
    ) throws(MQTTPacket.Failure) -> Int {
        try MQTTPacket.scan(bytes, maxPacketSize: maxPacketSize) { packet in
            guard packet.kind == MQTTPacket.Kind.publish else { return }
            if let payload = MQTTPacket.publishPayload(packet) {
                record(message: payload, row: row, now: now, highest: &highest)
            } else {
                totals.unparsable += 1
            }
        }
    }
}
