import NIOCore

/// The WebSocket client handshake of `bench connect`, done by hand: the request is prepared once
/// as bytes, the answer is checked for `101` and the expected `Sec-WebSocket-Accept`. A fixed key
/// is fine here: the server only checks its form, and the answer proves it computed the accept
/// value.
enum UpgradeHandshake {
    /// The request for `url`, with the RFC 6455 §1.3 sample key.
    static func request(for url: WebSocketURL) -> [UInt8] {
        Array(("GET \(url.requestURI) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8)
    }

    enum Answer: Equatable {
        /// The head has not ended yet: read more.
        case incomplete
        case upgraded
        case refused(String)
    }

    /// A server that sends more than this without ending its answer's head is refused.
    static let maxHeadBytes = 16 * 1024

    /// Judges what the server sent so far.
    static func judge(_ received: [UInt8]) -> Answer {
        guard let end = offset(of: headEnd, in: received[...]) else {
            return received.count > maxHeadBytes ? .refused("answer head over 16 KiB") : .incomplete
        }
        let head = received[..<(end + headEnd.count)]
        guard head.starts(with: "HTTP/1.1 101".utf8), offset(of: expectedAccept, in: head) != nil else {
            return .refused("the server answered '\(String(decoding: head.prefix { $0 != 13 }, as: UTF8.self))'")
        }
        return .upgraded
    }

    /// The accept value for the sample key (RFC 6455 §1.3).
    private static let expectedAccept = Array("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".utf8)
    private static let headEnd: [UInt8] = [13, 10, 13, 10]

    /// Where `needle` first starts in `bytes`, as an index of `bytes`. By hand: the generic
    /// `firstRange(of:)` took a quarter of the load generator's core here.
    private static func offset(of needle: [UInt8], in bytes: ArraySlice<UInt8>) -> Int? {
        bytes.withUnsafeBytes { haystack in
            guard haystack.count >= needle.count else { return nil }
            for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
                if needle.indices.allSatisfy({ haystack[start + $0] == needle[$0] }) { return bytes.startIndex + start }
            }
            return nil
        }
    }
}
