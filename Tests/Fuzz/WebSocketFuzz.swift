// libFuzzer harness for the `/ws` read path. See README.md.
//
// Raw bytes from a client, after the upgrade, go through the handlers the hub installs
// (ByteToMessageHandler(WebSocketFrameDecoder), NIOWebSocketFrameAggregator with the hub's
// settings) in an EmbeddedChannel; every text message is parsed as a `/ws` request
// (JSONParser.parseObject with `data` kept raw, then the fields `handleOp` reads: op, id,
// topic/topics, since). The first input byte picks how the rest is cut into reads.
// Checked: no crash; the only errors are the decoder's and aggregator's protocol errors
// (after which the hub closes the connection, so nothing more is fed), `bad_json` from the
// parser and `bad_topic` from topics; a raw `data` member is valid JSON on its own.
import NIOCore
import NIOEmbedded

/// The hub reads frames up to `maxFrameSize` (max(limits.max_frame_bytes, max_message_bytes + 4096));
/// small here, so inputs of a few KiB reach both sides of the limit.
private let maxFrameSize = 2048

private final class RequestSink: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    var failed = false
    var messages = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            precondition(frame.fin, "the aggregator passed on a non-final text frame")
            self.messages += 1
            precondition(frame.length <= maxFrameSize)
            Self.parseRequest(frame.unmaskedData)
        case .binary:
            precondition(frame.fin, "the aggregator passed on a non-final binary frame")
            precondition(frame.length <= maxFrameSize)
        case .connectionClose, .ping, .pong:
            precondition(frame.fin, "a fragmented control frame was accepted")
            precondition(frame.length <= 125, "a control frame longer than 125 bytes was accepted")
            var payload = frame.unmaskedData
            _ = payload.readInteger(as: UInt16.self)
        case .continuation:
            preconditionFailure("the aggregator passed on a continuation frame")
        default:
            break  // reserved opcodes: the hub answers bad_request
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case is NIOWebSocketError, is NIOWebSocketFrameAggregator.Error: self.failed = true
        default: preconditionFailure("unexpected error \(error)")
        }
    }

    /// What `WebSocketConnection.handleOp` parses before it acts.
    static func parseRequest(_ text: ByteBuffer) {
        let request: JSONParser.Object
        do throws(HubError) {
            request = try JSONParser.parseObject(text, rawKeys: ["data"])
        } catch {
            precondition(error.code == "bad_json", "parseObject threw \(error)")
            precondition((try? JSONParser.parse(text)) == nil || !Self.isObject(text), "parseObject rejects a valid object")
            return
        }
        if let raw = request.raw["data"] {
            precondition((try? JSONParser.parse(raw)) != nil, "raw data is not JSON on its own")
        }
        _ = request["op"]?.stringValue
        _ = request["id"]?.typeName
        if let name = request["topic"]?.stringValue {
            Self.checkTopic { () throws(HubError) in _ = try Topic(validating: name) }
            Self.checkTopic { () throws(HubError) in _ = try TopicPattern(validating: name) }
        }
        for value in request["topics"]?.arrayValue ?? [] {
            guard let name = value.stringValue else { continue }
            Self.checkTopic { () throws(HubError) in _ = try TopicPattern(validating: name) }
        }
        for (name, seq) in request["since"]?.objectValue ?? [] {
            Self.checkTopic { () throws(HubError) in _ = try Topic(validating: name, allowSystem: true) }
            _ = seq.int64Value
        }
        _ = request["last"]?.int64Value
    }

    static func isObject(_ text: ByteBuffer) -> Bool {
        if case .object = try? JSONParser.parse(text) { return true }
        return false
    }

    static func checkTopic(_ body: () throws(HubError) -> Void) {
        do throws(HubError) {
            try body()
        } catch {
            precondition(error.code == "bad_topic", "topic check threw \(error)")
        }
    }
}

private let readSizes = [1, 2, 3, 7, 14, 64, 512, 1 << 20]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocket(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let readSize = readSizes[Int(data[0]) % readSizes.count]
    let bytes = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let sink = RequestSink()
    let channel = EmbeddedChannel()
    do {
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize)),
            NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024, maxAccumulatedFrameSize: maxFrameSize),
            sink,
        ])
    } catch {
        preconditionFailure("pipeline: \(error)")
    }
    var offset = 0
    while offset < bytes.count && !sink.failed {
        let end = min(bytes.count, offset + readSize)
        let read = ByteBuffer(bytes: UnsafeBufferPointer(rebasing: bytes[offset..<end]))
        do {
            try channel.writeInbound(read)
        } catch {
            preconditionFailure("writeInbound: \(error)")
        }
        offset = end
    }
    _ = try? channel.finish()
    return 0
}
