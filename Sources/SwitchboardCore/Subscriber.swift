public import NIOCore
import Synchronization

/// Something that receives committed messages: a WebSocket connection, an
/// SSE stream, a test probe.
///
/// The hub calls ``deliver(_:lossless:)`` on the subscriber's ``eventLoop``,
/// in commit order, with each run of messages of one topic in a commit batch
/// that matches it, then ``flush()``: one flush per batch, never one per message.
public protocol Subscriber: AnyObject, Sendable {
    /// The event loop the subscriber lives on; deliveries are made there.
    var eventLoop: any EventLoop { get }
    /// Called on ``eventLoop`` with a run of messages of one topic, in order.
    /// `lossless` tells whether any matching subscription asked for lossless delivery;
    /// otherwise the messages may be conflated. Writes without flushing.
    func deliver(_ run: MessageRun, lossless: Bool)
    /// Called on ``eventLoop`` after the deliveries of one commit batch.
    func flush()
}

/// Consecutive committed messages of one topic from one commit batch, with
/// their frames concatenated once: every subscriber of the topic is handed
/// the same run and, when it needs all of it, writes it as one buffer.
public final class MessageRun: Sendable {
    public let topic: Topic
    /// In seq order, at least one.
    public let messages: [Message]
    /// The messages' frames of each kind, back to back.
    public let frames: Message.Frames

    public init(topic: Topic, messages: [Message]) {
        precondition(!messages.isEmpty, "a run holds at least one message")
        self.topic = topic
        self.messages = messages
        if messages.count == 1 {
            self.frames = messages[0].frames
        } else {
            func concatenate(_ frame: (Message.Frames) -> ByteBuffer) -> ByteBuffer {
                var buffer = ByteBuffer()
                buffer.reserveCapacity(messages.reduce(0) { $0 + frame($1.frames).readableBytes })
                for message in messages { buffer.writeImmutableBuffer(frame(message.frames)) }
                return buffer
            }
            self.frames = Message.Frames(op: concatenate(\.op), envelope: concatenate(\.envelope), data: concatenate(\.data))
        }
    }

    /// Encodings in other wire formats (MQTT), made by the first subscriber that needs
    /// one and shared with the rest, as ``frames`` are.
    private let sharedEncodings = Mutex<[String: ByteBuffer]>([:])

    /// The run encoded as `format` (a name the transport picks, e.g. `mqtt.qos0`): made
    /// once with `encode`, then the same bytes for every subscriber of the run.
    public func encoded(_ format: String, _ encode: (MessageRun) -> ByteBuffer) -> ByteBuffer {
        if let bytes = self.sharedEncodings.withLock({ $0[format] }) { return bytes }
        let bytes = encode(self)
        self.sharedEncodings.withLock { $0[format] = bytes }
        return bytes
    }

    public var firstSeq: Int64 { self.messages[0].seq }
    public var lastSeq: Int64 { self.messages[self.messages.count - 1].seq }
}

/// How a subscription behaves when its subscriber falls behind.
public enum DeliveryPolicy: String, Sendable {
    /// Queue everything; on overflow the connection is closed (1013) and the client resumes with `since`.
    case lossless
    /// Keep only the newest message per topic while behind; never disconnect.
    case latest
}
