public import NIOCore

/// Something that receives committed messages: a WebSocket connection, an
/// SSE stream, a test probe.
///
/// The hub calls ``deliver(_:)`` on the subscriber's ``eventLoop``, in commit
/// order, with the messages of one commit batch that match it, then
/// ``flush()``: one flush per batch, never one per message.
public protocol Subscriber: AnyObject, Sendable {
    /// The event loop the subscriber lives on; deliveries are made there.
    var eventLoop: any EventLoop { get }
    /// Called on ``eventLoop`` with the matching messages of one topic in one commit, in order.
    /// Writes without flushing; ``flush()`` follows once the whole batch is handed over.
    func deliver(_ deliveries: [Delivery])
    /// Called on ``eventLoop`` after the deliveries of one commit batch.
    func flush()
}

/// A message on its way to one subscriber.
public struct Delivery: Sendable {
    public let message: Message
    /// Whether any matching subscription asked for `lossless` delivery; otherwise the message may be conflated.
    public let lossless: Bool
}

/// How a subscription behaves when its subscriber falls behind.
public enum DeliveryPolicy: String, Sendable {
    /// Queue everything; on overflow the connection is closed (1013) and the client resumes with `since`.
    case lossless
    /// Keep only the newest message per topic while behind; never disconnect.
    case latest
}
