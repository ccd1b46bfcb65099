import NIOCore
import NIOWebSocket

/// WebSocket as a fan-out run speaks it: subscribers split frames themselves
/// (`SubscriberHandler`), the publisher sends masked text frames and discards
/// what it receives (`PublisherHandler`), and a run ends with close frames.
extension WebSocketConnector: FanoutEndpoint {
    func connectSubscriber(number: Int, on eventLoop: any EventLoop, tally: NIOLoopBound<LoopTally>, slot: Int) async throws -> any Channel {
        let maxFrameSize = self.maxFrameSize
        return try await connect(number: number, on: eventLoop, rawFrames: true) {
            SubscriberHandler(tally: tally.value, slot: slot, maxFrameSize: maxFrameSize)
        }
    }

    func connectPublisher(number: Int, on eventLoop: any EventLoop) async throws -> any Channel {
        try await connect(number: number, on: eventLoop) { PublisherHandler() }
    }

    func messageFraming() -> any MessageFraming { WebSocketMessageFraming() }

    /// A close frame; the server answers with its own and closes, and our handlers
    /// close on its answer.
    func closeGracefully(_ channel: any Channel) {
        var status = channel.allocator.buffer(capacity: 2)
        status.writeInteger(UInt16(1000))  // normal closure
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: status), promise: nil)
    }
}

/// Each message as one masked text frame.
struct WebSocketMessageFraming: MessageFraming {
    private var masks = SplitMix64()

    mutating func write(index: Int, intendedTime: UInt64, size: Int, to channel: any Channel) {
        var buffer = channel.allocator.buffer(capacity: size + 64)
        BenchMessage.write(index: index, intendedTime: intendedTime, size: size, into: &buffer)
        channel.write(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(using: &masks), data: buffer), promise: nil)
    }
}
