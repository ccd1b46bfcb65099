// libFuzzer harness for the TCP line protocol's read path. See README.md.
//
// Raw bytes from a device go through ByteToMessageHandler(LineDecoder) in an EmbeddedChannel,
// as on the hub's TCP port, and every line through TCPLine.payload (blank, JSON, or base64 of
// JSON) and JSONParser.parse, as TCPLineConnection does. The first input byte picks how the
// rest is cut into reads. Checked: no crash; the lines are exactly the input's lines (a
// trailing `\r` dropped; the last line without `\n` counts at end of input) until a line is
// too long, which is reported once and only for a line over the limit, after which nothing
// is read; base64 is decoded exactly when a line does not start with `{` or `[`, and decodes
// to text that does; only `bad_json` errors.
import NIOCore
import NIOEmbedded

private let maxLength = 256
private let readSizes = [1, 2, 3, 7, 16, 64, 300, 1 << 20]

private final class LineSink: ChannelInboundHandler {
    typealias InboundIn = LineDecoder.Event
    var lines: [[UInt8]] = []
    var tooLong = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .tooLong:
            self.tooLong += 1
        case .line(let line):
            precondition(self.tooLong == 0, "a line after the too-long one")
            self.lines.append(Array(line.readableBytesView))
            Self.handle(line)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        preconditionFailure("LineDecoder threw \(error)")
    }

    /// What `TCPLineConnection.received` does before it acts on a line.
    static func handle(_ line: ByteBuffer) {
        let trimmed = line.readableBytesView.drop { $0 == 0x20 || $0 == 0x09 }
        switch TCPLine.payload(of: line) {
        case .blank:
            precondition(trimmed.allSatisfy { $0 == 0x20 || $0 == 0x09 }, "a line with text is blank")
        case .notBase64:
            precondition(trimmed.first != UInt8(ascii: "{") && trimmed.first != UInt8(ascii: "["), "JSON taken for base64")
        case .text(let text, let encoding):
            let first = text.readableBytesView.first
            precondition(first == UInt8(ascii: "{") || first == UInt8(ascii: "["), "payload starts with \(String(describing: first))")
            precondition((encoding == .json) == (trimmed.first == first), "encoding \(encoding) for a line starting \(String(describing: trimmed.first))")
            do throws(HubError) {
                switch try JSONParser.parse(text) {
                case .object, .array: break
                default: preconditionFailure("a payload starting with { or [ parsed to a scalar")
                }
            } catch {
                precondition(error.code == "bad_json", "parse threw \(error)")
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTCPLines(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let readSize = readSizes[Int(data[0]) % readSizes.count]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let sink = LineSink()
    let channel = EmbeddedChannel()
    do {
        try channel.pipeline.syncOperations.addHandlers([ByteToMessageHandler(LineDecoder(maxLength: maxLength)), sink])
    } catch {
        preconditionFailure("pipeline: \(error)")
    }
    var offset = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + readSize)
        do {
            try channel.writeInbound(ByteBuffer(bytes: bytes[offset..<end]))
        } catch {
            preconditionFailure("writeInbound: \(error)")
        }
        offset = end
    }
    _ = try? channel.finish()  // end of input: the last line without a newline

    // The lines the input holds: each `\n`-terminated one without a trailing `\r`, then the rest as it is.
    var segments = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    let last = segments.removeLast()
    var expected = segments.map { $0.last == UInt8(ascii: "\r") ? Array($0.dropLast()) : $0 }
    if !last.isEmpty { expected.append(last) }
    let raw = segments + (last.isEmpty ? [] : [last])

    precondition(sink.tooLong <= 1, "too-long reported \(sink.tooLong) times")
    precondition(sink.lines.count <= expected.count && zip(sink.lines, expected).allSatisfy { $0 == $1 }, "lines differ from the input's")
    if sink.tooLong == 0 {
        precondition(sink.lines.count == expected.count, "\(expected.count - sink.lines.count) lines lost")
    } else {
        precondition(sink.lines.count < expected.count, "too long, but every line was read")
        precondition(raw[sink.lines.count].count > maxLength, "a line of \(raw[sink.lines.count].count) bytes reported too long")
    }
    for line in sink.lines { precondition(line.count <= maxLength, "a line of \(line.count) bytes passed") }
    return 0
}
