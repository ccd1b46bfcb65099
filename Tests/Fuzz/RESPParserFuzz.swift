// libFuzzer harness for the Redis client's read path. See README.md.
//
// Raw bytes from a (broken or hostile) Redis server go through ByteToMessageHandler(RESPDecoder)
// in an EmbeddedChannel, as on a RedisClient or RedisSubscriber connection, with small limits so
// inputs of a few KiB reach them. The first input byte picks how the rest is cut into reads.
// Checked: no crash; the only error is a `RedisError` of kind `.protocolViolation`, after which
// nothing more is fed (the client closes the connection); the replies and the outcome are the
// same as RESPParser's on the whole input at once; each reply re-encodes to bytes that parse
// back to the same reply; a reply never exceeds the limits.
import NIOCore
import NIOEmbedded

private let readSizes = [1, 2, 3, 7, 16, 64, 300, 1 << 20]
private let limits = RESPParser.Limits(maxBulkLength: 4096, maxArrayLength: 64, maxDepth: 8, maxLineLength: 256)

private final class ReplySink: ChannelInboundHandler {
    typealias InboundIn = RESPValue
    var replies: [RESPValue] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.replies.append(Self.unwrapInboundIn(data))
    }
}

private func check(_ error: any Error) {
    guard let error = error as? RedisError, error.kind == .protocolViolation else {
        preconditionFailure("the decoder threw \(error)")
    }
}

private func depth(_ value: RESPValue) -> Int {
    guard let elements = value.array else { return 0 }
    precondition(elements.count <= limits.maxArrayLength, "an array of \(elements.count) elements passed")
    return 1 + (elements.map(depth).max() ?? 0)
}

/// Everything RESPParser reads off `bytes` at once, and whether it stopped on an error.
private func parseWhole(_ bytes: [UInt8]) -> (replies: [RESPValue], failed: Bool) {
    var parser = RESPParser(limits: limits)
    var buffer = ByteBuffer(bytes: bytes)
    var replies: [RESPValue] = []
    do {
        while let reply = try parser.next(&buffer) { replies.append(reply) }
        return (replies, false)
    } catch {
        check(error)
        return (replies, true)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let readSize = readSizes[Int(data[0]) % readSizes.count]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let sink = ReplySink()
    let channel = EmbeddedChannel()
    do {
        try channel.pipeline.syncOperations.addHandlers([ByteToMessageHandler(RESPDecoder(limits: limits)), sink])
    } catch {
        preconditionFailure("pipeline: \(error)")
    }
    var failed = false
    var offset = 0
    while offset < bytes.count, !failed {
        let end = min(bytes.count, offset + readSize)
        do {
            try channel.writeInbound(ByteBuffer(bytes: bytes[offset..<end]))
        } catch {
            check(error)
            failed = true
        }
        offset = end
    }
    _ = try? channel.finish()

    let whole = parseWhole(bytes)
    precondition(whole.failed == failed, "reads of \(readSize) bytes: failed \(failed), at once: \(whole.failed)")
    precondition(whole.replies == sink.replies, "reads of \(readSize) bytes gave other replies than the whole input")

    for reply in sink.replies {
        precondition(depth(reply) <= limits.maxDepth, "a reply nested deeper than the limit")
        if let bulk = reply.buffer { precondition(bulk.readableBytes <= limits.maxBulkLength) }
        var encoded = ByteBuffer()
        reply.write(to: &encoded)
        var parser = RESPParser()  // default limits: invalid UTF-8 in a line re-encodes longer
        do {
            let reparsed = try parser.next(&encoded)
            precondition(reparsed == reply, "a reply re-encoded parses to another")
            precondition(encoded.readableBytes == 0, "a re-encoded reply left bytes over")
        } catch {
            preconditionFailure("a re-encoded reply does not parse: \(error)")
        }
    }
    return 0
}
