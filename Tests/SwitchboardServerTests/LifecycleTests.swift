import Foundation
import NIOCore
import Testing

import SwitchboardCore
@testable import SwitchboardServer

@Suite struct LifecycleTests {
    @Test func gracefulShutdownClosesWebSocketsWith1001AndKeepsAcknowledgedMessages() async throws {
        let directory = TestFiles.temporaryDirectory()
        var client: TestWebSocket?
        try await TestHub.with(dataDirectory: directory) { hub in
            let subscriber = try await hub.webSocket("/ws/sub/life/t")
            client = subscriber
            let publisher = try await hub.webSocket("/ws")
            for index in 1...100 {
                try await publisher.send(json: ["op": "pub", "id": index, "topic": "life/t", "data": index])
            }
            for _ in 1...100 { _ = try await publisher.nextJSON() }
        }
        var code: UInt16?
        while code == nil, let frame = try? await client?.next(timeout: .seconds(5)) {
            if case .close(let closeCode, _) = frame { code = closeCode }
        }
        #expect(code == 1001)
        try await TestHub.with(dataDirectory: directory) { hub in
            let topics = try await TestHTTP.get("\(hub.http)/api/v1/topics")
            let entry = (topics.json["topics"] as! [[String: Any]]).first { $0["topic"] as? String == "life/t" }
            #expect(entry?["last_seq"] as? Int == 100)
        }
    }

    /// The hub runs its own HTTP listener: at shutdown it asks idle keep-alive connections to
    /// finish, and they are closed by the server rather than left open.
    @Test func gracefulShutdownClosesIdleKeepAliveHTTPConnections() async throws {
        var connection: RawConnection?
        try await TestHub.with { hub in
            let raw = try await RawConnection.connect(port: hub.httpPort)
            try await raw.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let answer = try await raw.waitFor(text: "\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            #expect(answer.lowercased().contains("\r\nserver: switchboard\r\n"))
            #expect(answer.lowercased().contains("\r\ndate: "))
            connection = raw
        }
        let raw = try #require(connection)
        let deadline = ContinuousClock.now + .seconds(10)
        while raw.channel.isActive && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!raw.channel.isActive, "closed by the hub at shutdown")
    }

    @Test func aHubPinnedToOneCPURunsOneEventLoopAndServes() async throws {
        let hub = try HubProcess.start(dataDirectory: TestFiles.temporaryDirectory(), launcher: ["taskset", "-c", "0"])
        defer { hub.terminate() }
        #expect(hub.startupLog.contains("event_loops=1"), "\(hub.startupLog)")
        let publisher = try await TestWebSocket.connect(port: hub.httpPort, path: "/ws")
        try await publisher.send(json: ["op": "pub", "id": 1, "topic": "pinned/t", "data": ["i": 1]])
        #expect(try await publisher.nextJSON()["seq"] as? Int == 1)
    }

    @Test(arguments: [
        ("Cpus_allowed_list:\t0", 1), ("Cpus_allowed_list:\t0-3", 4), ("Cpus_allowed_list:\t0,2-3,7", 4),
        ("Name:\tx\nCpus_allowed_list:\t1\nMems_allowed_list:\t0", 1), ("Cpus_allowed_list:\t3-1", nil), ("Name:\tx", nil),
    ] as [(String, Int?)])
    func theCPUsAProcessMayRunOnAreReadFromItsStatus(_ status: String, _ count: Int?) {
        #expect(EventLoopSizing.cpusAllowed(status: status) == count)
    }

    @Test func theDateHeaderIsAnIMFFixdate() {
        #expect(HTTPDateHeader.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDateHeader.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test func configurationPrecedenceIsFileThenEnvironmentThenFlags() throws {
        let file = TestFiles.temporaryDirectory() + "/switchboard.yaml"
        try """
            http: 127.0.0.1:9001
            tcp: 127.0.0.1:9002
            data: /tmp/from-file
            max_message_bytes: 1000
            retain_age: 7d
            retention:
              - pattern: race/#
                age: forever
              - pattern: lab/+/raw
                count: 10
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try SwitchboardConfiguration.load(
            file: file,
            environment: ["SWITCHBOARD_HTTP": "127.0.0.1:9101", "SWITCHBOARD_DATA": "/tmp/from-env", "SWITCHBOARD_TCP": "off"],
            flags: ["data": "/tmp/from-flag"]
        )
        #expect(configuration.http == HostPort(host: "127.0.0.1", port: 9101), "environment beats file")
        #expect(configuration.tcp == nil)
        #expect(configuration.dataDirectory == "/tmp/from-flag", "flag beats environment")
        #expect(configuration.hub.maxMessageBytes == 1000)
        #expect(configuration.hub.retainAgeMs == Int64(7 * 86_400_000))
        #expect(configuration.hub.retention.count == 2)
        #expect(configuration.hub.retention[0].maxAgeMs == nil)
        #expect(configuration.hub.retention[0].maxCount == 1_000_000, "an omitted field falls back to the default")
        #expect(configuration.hub.retention[1].maxCount == 10)
        #expect(configuration.hub.retention[1].maxAgeMs == Int64(7 * 86_400_000))

        #expect(throws: ConfigurationError.self) {
            try SwitchboardConfiguration.load(file: nil, environment: [:], flags: ["retain_age": "soon"])
        }
        #expect(throws: ConfigurationError.self) {
            try SwitchboardConfiguration.load(file: nil, environment: ["SWITCHBOARD_HTTP": "nowhere"], flags: [:])
        }
    }
}
