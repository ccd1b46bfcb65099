import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import SwitchboardTestServices
import Testing

@testable import SwitchboardServer

/// The WebSocket upgrade's fast path: the hand-written head parser against NIO's HTTP parser,
/// and the sniffer on a real hub, over raw TCP, for the requests it takes and those it hands on.
@Suite struct UpgradeSnifferTests {
    static let sampleKey = "dGhlIHNhbXBsZSBub25jZQ=="
    static let sampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    static func upgradeRequest(_ path: String, extra: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(sampleKey)\r\nSec-WebSocket-Version: 13\r\n\(extra)\r\n"
    }

    static func read(_ text: String) -> UpgradeRequestHead.Reading {
        Self.read(Array(text.utf8))
    }

    static func read(_ bytes: [UInt8]) -> UpgradeRequestHead.Reading {
        bytes.withUnsafeBytes { UpgradeRequestHead.read($0) }
    }

    // MARK: the parser

    @Test func readsAPlainUpgradeAndItsKey() throws {
        let text = Self.upgradeRequest("/ws/sub/lab/%23?since=5", extra: "Sec-WebSocket-Protocol:  mqtt ,\tother \r\n") + "x"
        guard case .head(let head, let length) = Self.read(text) else { Issue.record("not read"); return }
        #expect(length == text.utf8.count - 1, "the byte after the empty line is not part of the head")
        #expect(head.uri == "/ws/sub/lab/%23?since=5")
        #expect(head.first("host") == "127.0.0.1")
        #expect(head.values("sec-websocket-protocol") == ["mqtt", "other"])
        #expect(head.webSocketKey == Self.sampleKey)
        #expect(WebSocketUpgradeSniffer.acceptValue(key: Self.sampleKey) == Self.sampleAccept, "RFC 6455 §1.3's example")
    }

    @Test func everyPrefixOfAHeadWaitsForMore() {
        let bytes = Array(Self.upgradeRequest("/ws").utf8)
        for end in 0..<bytes.count {
            #expect(Self.read(Array(bytes[..<end])) == .incomplete, "prefix of \(end) bytes")
        }
    }

    @Test func leavesEverythingElseToNIO() {
        let other = [
            "POST /ws HTTP/1.1\r\n\r\n", "get /ws HTTP/1.1\r\n\r\n", "GET http://x/ws HTTP/1.1\r\n\r\n", "GET /ws HTTP/1.0\r\n\r\n",
            "GET /ws HTTP/1.1\n\n", "GET /ws HTTP/1.1\r\nHost: x\n", "GET /ws HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
            "GET /ws HTTP/1.1\r\nHost : x\r\n\r\n", "GET /ws HTTP/1.1\r\n: x\r\n\r\n", "GET /ws HTTP/1.1\r\nUser-Agent: caf\u{E9}\r\n\r\n",
            "GET /w\u{7F}s HTTP/1.1\r\n\r\n", "GET /ws HTTP/1.1\r\nX: a\rb\r\n\r\n", "GET /ws  HTTP/1.1\r\n\r\n",
        ]
        for text in other { #expect(Self.read(text) == .other, "\(text.debugDescription)") }
        let long = "GET /ws HTTP/1.1\r\n" + String(repeating: "X-Filler: 0123456789\r\n", count: 500)
        #expect(Self.read(long) == .other, "a head that cannot fit is not waited for")
        let many = "GET /ws HTTP/1.1\r\n" + String(repeating: "X: y\r\n", count: UpgradeRequestHead.maxFields + 1) + "\r\n"
        #expect(Self.read(many) == .other)
    }

    @Test func aKeyOnlyForUpgradesNIOWouldAccept() throws {
        func key(_ fields: String) throws -> String? {
            guard case .head(let head, _) = Self.read("GET /ws HTTP/1.1\r\n\(fields)\r\n") else { throw CancellationError() }
            return head.webSocketKey
        }
        let valid = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: k\r\nSec-WebSocket-Version: 13\r\n"
        #expect(try key(valid) == "k")
        #expect(try key(valid.replacingOccurrences(of: "Connection: Upgrade", with: "Connection: keep-alive, UPGRADE")) == "k")
        #expect(try key(valid.replacingOccurrences(of: "Upgrade: websocket", with: "Upgrade: h2c, websocket")) == nil)
        #expect(try key(valid.replacingOccurrences(of: "Connection: Upgrade", with: "Connection: keep-alive")) == nil)
        #expect(try key(valid.replacingOccurrences(of: "13", with: "8")) == nil)
        #expect(try key(valid + "Sec-WebSocket-Key: k2\r\n") == nil, "two keys")
        #expect(try key(valid + "Content-Length: 5\r\n") == nil, "a body")
        #expect(try key(valid + "Transfer-Encoding: chunked\r\n") == nil, "a body")
        #expect(try key(valid + "Content-Length: 0\r\n") == "k")
    }

    /// Random upgrade requests, mutated byte by byte: whatever the hand-written parser accepts,
    /// NIO's HTTP parser (llhttp) reads the same way — target, fields, and whether it is an upgrade.
    @Test func agreesWithNIOsParserOnRandomRequests() throws {
        var random = SeededRNG(seed: 6455)
        let names = ["Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Origin", "Cookie", "Authorization",
            "Sec-WebSocket-Protocol", "User-Agent", "Content-Length", "X-A"]
        let values = ["websocket", "Upgrade", "keep-alive, Upgrade", "13", "8", Self.sampleKey, "mqtt", "a=b; c=d", "Bearer sbt_x_y",
            "http://127.0.0.1", "0", "5", "", " ", "a,b", "WebSocket"]
        let mutations: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x20, 0x3A, 0x2C, 0x7F, 0x80, 0xFF, 0x61, 0x2F, 0x3F, 0x25]
        var accepted = 0
        for round in 0..<3000 {
            var text = "GET /" + (0..<random.int(0...3)).map { _ in random.pick(["ws", "sub", "%23", "a?b=c", "&x", "pub", "mqtt", "~"]) }.joined(separator: "/")
                + " HTTP/1.1\r\n"
            for _ in 0..<random.int(3...9) {
                let name = random.pick(names)
                let cased = random.chance(0.3) ? name.lowercased() : (random.chance(0.1) ? name.uppercased() : name)
                text += "\(cased):\(random.pick(["", " ", "  ", "\t"]))\(random.pick(values))\(random.pick(["", " ", "\t"]))\r\n"
            }
            text += "\r\n"
            var bytes = Array(text.utf8)
            for _ in 0..<(random.chance(0.5) ? random.int(1...3) : 0) {
                let at = random.int(0..<bytes.count)
                switch random.int(0..<3) {
                case 0: bytes[at] = random.pick(mutations)
                case 1: bytes.insert(random.pick(mutations), at: at)
                default: bytes.remove(at: at)
                }
            }
            guard case .head(let ours, let length) = Self.read(bytes) else { continue }
            accepted += 1
            let head = bytes[..<length]
            guard let theirs = try? Self.nioHead(Array(head)) else {
                // llhttp is stricter about some fields (a Content-Length that is not a number): such a request must be left to it.
                #expect(ours.webSocketKey == nil, "round \(round): NIO refuses \(String(decoding: head, as: UTF8.self).debugDescription)")
                continue
            }
            #expect(theirs.method == .GET && theirs.version == .http1_1, "round \(round)")
            #expect(theirs.uri == ours.uri, "round \(round): \(String(decoding: head, as: UTF8.self).debugDescription)")
            let theirFields = theirs.headers.map { UpgradeRequestHead.Field(name: $0.name.lowercased(), value: String($0.value.trimmingSpacesAndTabs())) }
            #expect(theirFields == ours.fields, "round \(round): \(String(decoding: head, as: UTF8.self).debugDescription)")
            #expect((ours.webSocketKey != nil) == Self.nioWouldUpgrade(theirs), "round \(round): \(String(decoding: head, as: UTF8.self).debugDescription)")
            if round < 300 {
                for end in stride(from: 0, to: length, by: 7) { #expect(Self.read(Array(bytes[..<end])) == .incomplete, "round \(round), prefix \(end)") }
            }
        }
        #expect(accepted > 1000, "enough requests were accepted to compare (\(accepted))")
    }

    static func nioHead(_ bytes: [UInt8]) throws -> HTTPRequestHead {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder()))
        defer { _ = try? channel.finish() }
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        guard case .head(let head) = try channel.readInbound(as: HTTPServerRequestPart.self) else { throw CancellationError() }
        return head
    }

    /// NIO's `NIOTypedHTTPServerUpgradeHandler` + `NIOTypedWebSocketServerUpgrader` conditions, for requests without a body.
    static func nioWouldUpgrade(_ head: HTTPRequestHead) -> Bool {
        let upgrade = head.headers[canonicalForm: "upgrade"].map { $0.lowercased() }
        let hasBody = head.headers.contains(name: "transfer-encoding") || head.headers[canonicalForm: "content-length"].contains { $0 != "0" }
        return !hasBody && upgrade == ["websocket"] && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
            && head.headers[canonicalForm: "sec-websocket-version"] == ["13"] && head.headers[canonicalForm: "sec-websocket-key"].count == 1
            && !(head.headers[canonicalForm: "sec-websocket-key"].first?.isEmpty ?? true)
    }

    // MARK: on a real hub

    /// A masked client text frame.
    static func textFrame(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8), mask: [UInt8] = [1, 2, 3, 4]
        precondition(payload.count < 126)
        return [0x81, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    @Test func aPublishSentWithTheRequestIsNotLost() async throws {
        try await TestHub.with { hub in
            let connection = try await RawConnection.connect(port: hub.httpPort)
            // One write: the upgrade request and, right behind it, two frames.
            try await connection.write(Array(Self.upgradeRequest("/ws/pub/sniff/t").utf8) + Self.textFrame(#"{"v":1}"#) + Self.textFrame(#"{"v":2}"#))
            let answer = try await connection.waitFor(text: "\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
            #expect(answer.contains("Sec-WebSocket-Accept: \(Self.sampleAccept)\r\n"))
            var stored = ""
            for _ in 0..<500 where !stored.contains(#""v":2"#) {
                stored = try await TestHTTP.get("\(hub.http)/api/v1/topics/sniff/t/messages").text
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(stored.contains(#"{"v":1}"#) && stored.contains(#"{"v":2}"#), "\(stored)")
            await connection.close()
        }
    }

    @Test func aRequestArrivingByteByByteIsUpgraded() async throws {
        try await TestHub.with { hub in
            let subscriber = try await RawConnection.connect(port: hub.httpPort)
            for byte in Self.upgradeRequest("/ws/sub/sniff/slow?format=data").utf8 { try await subscriber.write([byte]) }
            let answer = try await subscriber.waitFor(text: "\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 101 "))
            #expect(answer.contains("Sec-WebSocket-Accept: \(Self.sampleAccept)\r\n"))
            _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/sniff/slow", #"{"n":7}"#)
            let frame = try await subscriber.waitFor { String(decoding: $0, as: UTF8.self).contains(#"{"n":7}"#) }
            #expect(String(decoding: frame, as: UTF8.self).contains(#"{"n":7}"#), "the subscription works after the upgrade")
            await subscriber.close()
        }
    }

    @Test func requestsTheSnifferLeavesAloneGoTheUsualWay() async throws {
        try await TestHub.with { hub in
            // An upgrade with a byte outside ASCII in a header: NIO's pipeline upgrades it.
            let unusual = try await RawConnection.connect(port: hub.httpPort)
            try await unusual.write(Array(Self.upgradeRequest("/ws").utf8.dropLast(2)) + Array("User-Agent: caf".utf8) + [0xE9] + Array("\r\n\r\n".utf8))
            let upgraded = try await unusual.waitFor(text: "\r\n\r\n")
            #expect(upgraded.hasPrefix("HTTP/1.1 101 ") && upgraded.contains(Self.sampleAccept), "\(upgraded)")
            await unusual.close()

            // An upgrade to a path with no WebSocket endpoint is refused, as before.
            let nowhere = try await RawConnection.connect(port: hub.httpPort)
            try await nowhere.write(Self.upgradeRequest("/ws/nowhere"))
            let refused = try await nowhere.waitFor(text: "not_found")
            #expect(refused.hasPrefix("HTTP/1.1 400 "), "\(refused)")
            await nowhere.close()

            // Plain HTTP keeps its connection for a second request.
            let http = try await RawConnection.connect(port: hub.httpPort)
            try await http.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try await http.waitFor { String(decoding: $0, as: UTF8.self).components(separatedBy: "HTTP/1.1 200").count == 2 }
            try await http.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let both = try await http.waitFor { String(decoding: $0, as: UTF8.self).components(separatedBy: "HTTP/1.1 200").count == 3 }
            #expect(String(decoding: both, as: UTF8.self).components(separatedBy: "HTTP/1.1 200").count == 3, "two answers on one connection")
            await http.close()

            // Half a head, then gone: nothing breaks.
            let quitter = try await RawConnection.connect(port: hub.httpPort)
            try await quitter.write("GET /ws HTTP/1.1\r\nHost: 127.")
            await quitter.close()
            let next = try await hub.webSocket("/ws")
            try await next.send(json: ["op": "call", "id": 1, "method": "time"])
            #expect(try await next.nextJSON()["op"] as? String == "result")
            await next.close()
        }
    }

    @Test func mqttOverWebSocketGetsItsSubprotocol() async throws {
        try await TestHub.with { hub in
            let connection = try await RawConnection.connect(port: hub.httpPort)
            try await connection.write(Self.upgradeRequest("/mqtt", extra: "Sec-WebSocket-Protocol: mqtt\r\n"))
            let answer = try await connection.waitFor(text: "\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 101 "))
            #expect(answer.contains("Sec-WebSocket-Protocol: mqtt\r\n"))
            await connection.close()
        }
    }
}
