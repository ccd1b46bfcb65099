public import NIOCore

/// Where a ``Session`` writes: a WebSocket connection, an SSE stream.
/// Every method is called on the session's event loop.
public protocol Outlet: AnyObject {
    /// The bytes to write for `message` in this outlet's format.
    func encode(_ message: Message) -> ByteBuffer
    /// The bytes to write for a whole run, the same as its messages' encodings back to back.
    func encode(_ run: MessageRun) -> ByteBuffer
    /// The bytes to write for stored messages of `topic` (a replay from the store), back to back.
    func encode(_ rows: ArraySlice<StoredMessage>, topic: Topic) -> ByteBuffer
    /// How the store's read thread may encode stored messages of `topic` itself, the same bytes
    /// as ``encode(_:topic:)``; `nil` when encoding needs the connection's state (MQTT packet ids).
    func replayEncoding(topic: Topic) -> StoredRowEncoding?
    /// The bytes announcing messages `from...to` of `topic` that cannot be replayed.
    func encodeGap(topic: Topic, from: Int64, to: Int64) -> ByteBuffer
    /// Queues bytes; `promise` completes once they are handed to the OS.
    func write(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?)
    /// Sends what was queued.
    func flush()
    /// Closes the connection because its outbound queue overflowed (WebSocket 1013).
    func closeSlowConsumer(reason: String)
}
