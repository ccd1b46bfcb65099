import Foundation
import NIOCore
import Synchronization
import Testing

/// Issue 7, item 7: faults, over the real binary. `kill -9` under acked publishing from several
/// clients at once; a database file that is not SQLite, or cannot be written; a full disk.
@Suite struct FaultTests {
    // MARK: - kill -9

    /// Acknowledgements counted across clients.
    final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        func add() { self.value.add(1, ordering: .relaxed) }
        var count: Int { self.value.load(ordering: .relaxed) }
    }

    /// What one publishing client had acknowledged when the hub died: topic → seq → the `i` it sent.
    struct Acked: Sendable {
        let client: String
        var bySeq: [String: [Int: Int]] = [:]
        var count = 0
        var errors: [String] = []
    }

    /// Publishes `{"c":client,"i":n}` in windows of `window` (all sent, then all acks read) until the
    /// connection dies or `limit` are sent; alternates between the client's own topic and a shared one.
    static func publishOverWebSocket(port: Int, client: String, window: Int, limit: Int, total: Counter) async -> Acked {
        var acked = Acked(client: client)
        guard let socket = try? await TestWebSocket.connect(port: port, path: "/ws") else {
            acked.errors.append("\(client): could not connect")
            return acked
        }
        var next = 1
        while next <= limit {
            var topics: [Int: String] = [:]
            for i in next..<(next + window) {
                let topic = i % 2 == 0 ? "fault/shared" : "fault/\(client)"
                topics[i] = topic
                guard (try? await socket.send(json: ["op": "pub", "id": i, "topic": topic, "data": ["c": client, "i": i]])) != nil else {
                    return acked
                }
            }
            for _ in 0..<window {
                guard let answer = try? await socket.nextJSON(timeout: .seconds(30)) else { return acked }
                guard answer["op"] as? String == "ok", let id = answer["id"] as? Int, let seq = answer["seq"] as? Int, let topic = topics[id] else {
                    acked.errors.append("\(client): \(answer)")
                    continue
                }
                acked.bySeq[topic, default: [:]][seq] = id
                acked.count += 1
                total.add()
            }
            next += window
        }
        return acked
    }

    /// The same over the TCP line protocol: `{"topic":…,"data":…,"id":n}` answered `{"ok":n,"seq":N}`.
    static func publishOverTCP(port: Int, client: String, window: Int, limit: Int, total: Counter) async -> Acked {
        var acked = Acked(client: client)
        guard let socket = try? await TestTCPClient(port: port) else {
            acked.errors.append("\(client): could not connect")
            return acked
        }
        var next = 1
        while next <= limit {
            var topics: [Int: String] = [:]
            var lines = ""
            for i in next..<(next + window) {
                let topic = i % 2 == 0 ? "fault/shared" : "fault/\(client)"
                topics[i] = topic
                lines += #"{"topic":"\#(topic)","data":{"c":"\#(client)","i":\#(i)},"id":\#(i)}"# + "\n"
            }
            guard (try? await socket.sendRaw(.init(string: lines))) != nil else { return acked }
            for _ in 0..<window {
                guard let line = try? await socket.nextLine(timeout: .seconds(30)),
                    let answer = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                else { return acked }
                guard let id = answer["ok"] as? Int, let seq = answer["seq"] as? Int, let topic = topics[id] else {
                    acked.errors.append("\(client): \(line)")
                    continue
                }
                acked.bySeq[topic, default: [:]][seq] = id
                acked.count += 1
                total.add()
            }
            next += window
        }
        return acked
    }

    /// Every message of `topic` in the history: seq → its data.
    static func history(port: Int, topic: String) async throws -> [Int: [String: Any]] {
        var messages: [Int: [String: Any]] = [:]
        var after = 0
        for _ in 0..<10_000 {
            let page = try await TestHTTP.get("http://127.0.0.1:\(port)/api/v1/topics/\(topic)/messages?after=\(after)&limit=1000")
            for message in page.json["messages"] as? [[String: Any]] ?? [] {
                messages[message["seq"] as! Int] = message["data"] as? [String: Any] ?? [:]
            }
            guard let next = page.json["next_after"] as? Int else { break }
            after = next
        }
        return messages
    }

    @Test func killNineUnderAckedPublishingFromSeveralClientsLosesNoAckedMessage() async throws {
        let directory = TestFiles.temporaryDirectory()
        var hub = try HubProcess.start(dataDirectory: directory)
        let total = Counter()
        let (http, tcp) = (hub.httpPort, hub.tcpPort)
        // Four WebSocket and two TCP clients, 100 publishes in flight each, on their own topics and one shared topic.
        let clients: [(String, Bool)] = [("ws1", true), ("ws2", true), ("ws3", true), ("ws4", true), ("tcp1", false), ("tcp2", false)]
        let results = Task {
            await withTaskGroup(of: Acked.self) { group in
                for (client, webSocket) in clients {
                    group.addTask {
                        webSocket
                            ? await Self.publishOverWebSocket(port: http, client: client, window: 100, limit: 200_000, total: total)
                            : await Self.publishOverTCP(port: tcp, client: client, window: 100, limit: 200_000, total: total)
                    }
                }
                return await group.reduce(into: [Acked]()) { $0.append($1) }
            }
        }
        // Kill the hub mid-stream, once a good number of publishes were acknowledged.
        for _ in 0..<600 {
            if total.count >= 6000 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let ackedBeforeKill = total.count
        hub.kill9()
        let acked = await results.value
        #expect(ackedBeforeKill >= 6000, "only \(ackedBeforeKill) publishes were acknowledged before the kill")
        #expect(acked.flatMap(\.errors).isEmpty, "answers other than ok: \(acked.flatMap(\.errors).prefix(5))")

        hub = try HubProcess.start(dataDirectory: directory)
        defer { hub.terminate() }
        var checked = 0
        for topic in ["fault/shared"] + clients.map({ "fault/\($0.0)" }) {
            let stored = try await Self.history(port: hub.httpPort, topic: topic)
            // Seqs are gap-free from 1, whatever was cut off.
            #expect(stored.keys.sorted() == (stored.isEmpty ? [] : Array(1...stored.count)), "\(topic): seqs are not 1…\(stored.count)")
            for result in acked {
                let client = result.client
                for (seq, i) in result.bySeq[topic] ?? [:] {
                    let data = stored[seq]
                    #expect(data?["c"] as? String == client && data?["i"] as? Int == i, "\(topic) seq \(seq): acked \(client) #\(i), stored \(String(describing: data))")
                    checked += 1
                }
            }
            // The next publish follows the highest stored seq.
            let next = try await TestHTTP.post("http://127.0.0.1:\(hub.httpPort)/api/v1/publish/\(topic)", "0")
            #expect(next.json["seq"] as? Int == stored.count + 1, "\(topic): next seq \(String(describing: next.json["seq"])), \(stored.count) stored")
        }
        #expect(checked == acked.map(\.count).reduce(0, +))
        #expect(checked >= ackedBeforeKill)
    }

    // MARK: - A database that cannot be used

    /// Runs `switchboard serve` on `dataDirectory`, expecting it to refuse to start: whether it exited
    /// by itself within 20 s (it is killed otherwise), its exit status, and its stderr.
    static func failedStart(dataDirectory: String) async throws -> (exited: Bool, status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: HubProcess.binary)
        process.arguments = ["serve", "--http", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--mqtt", "127.0.0.1:0", "--data", dataDirectory]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = Task.detached { errors.fileHandleForReading.readDataToEndOfFile() }
        for _ in 0..<200 {
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let exited = !process.isRunning
        if !exited { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let stderr = String(decoding: await output.value, as: UTF8.self)
        return (exited && process.terminationReason == .exit, process.terminationStatus, stderr)
    }

    @Test func aFileThatIsNotSQLiteGivesAClearStartUpError() async throws {
        let directory = TestFiles.temporaryDirectory()
        let file = directory + "/switchboard.sqlite"
        try String(repeating: "these are not the bytes of an SQLite database\n", count: 100).write(toFile: file, atomically: true, encoding: .utf8)
        let (exited, status, stderr) = try await Self.failedStart(dataDirectory: directory)
        #expect(exited && status != 0, "the hub started on a file that is not a database")
        #expect(stderr.contains(file) && stderr.contains("is not an SQLite database"), "stderr: \(stderr)")
        #expect(try String(contentsOfFile: file, encoding: .utf8).hasPrefix("these are not"), "the file was left as it was")
    }

    /// Makes `path` read-only: as root (who may write anything) with a read-only bind mount, otherwise with chmod.
    /// Returns what undoes it.
    static func makeReadOnly(_ path: String, directory isDirectory: Bool) throws -> () -> Void {
        if getuid() == 0 {
            try Self.run(["mount", "--bind", path, path])
            try Self.run(["mount", "-o", "remount,bind,ro", path])
            return { try? Self.run(["umount", path]) }
        }
        try FileManager.default.setAttributes([.posixPermissions: isDirectory ? 0o555 : 0o444], ofItemAtPath: path)
        return { try? FileManager.default.setAttributes([.posixPermissions: isDirectory ? 0o755 : 0o644], ofItemAtPath: path) }
    }

    struct CommandFailed: Error, CustomStringConvertible { let description: String }

    static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailed(description: "\(arguments.joined(separator: " ")): \(String(decoding: output, as: UTF8.self))")
        }
    }

    /// Root writes anything whatever its mode, so it needs a read-only bind mount; anyone else uses chmod.
    static let canMakeReadOnly = getuid() != 0 || canMount

    @Test(.enabled(if: canMakeReadOnly, "root may write a file whatever its mode, and this run may not mount a read-only bind mount"))
    func aReadOnlyDataDirectoryGivesAClearStartUpError() async throws {
        let directory = TestFiles.temporaryDirectory()
        let undo = try Self.makeReadOnly(directory, directory: true)
        defer { undo() }
        let (exited, status, stderr) = try await Self.failedStart(dataDirectory: directory)
        #expect(exited && status != 0, "the hub started in a read-only directory")
        #expect(stderr.contains(directory) && stderr.contains("read-only"), "stderr: \(stderr)")
    }

    @Test(.enabled(if: canMakeReadOnly, "root may write a file whatever its mode, and this run may not mount a read-only bind mount"))
    func aReadOnlyDatabaseFileGivesAClearStartUpError() async throws {
        let directory = TestFiles.temporaryDirectory()
        let hub = try HubProcess.start(dataDirectory: directory)
        let published = try await TestHTTP.post("http://127.0.0.1:\(hub.httpPort)/api/v1/publish/fault/ro", "1")
        #expect(published.json["seq"] as? Int == 1)
        hub.terminate()  // a clean stop: the WAL is checkpointed into the file
        let file = directory + "/switchboard.sqlite"
        let undo = try Self.makeReadOnly(file, directory: false)
        defer { undo() }
        let (exited, status, stderr) = try await Self.failedStart(dataDirectory: directory)
        #expect(exited && status != 0, "the hub started on a read-only database file")
        #expect(stderr.contains(file) && stderr.contains("read-only"), "stderr: \(stderr)")
    }

    // MARK: - A full disk

    /// Whether this test run may mount (root with CAP_SYS_ADMIN): a 1 MiB tmpfs, tried once.
    static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        let probe = TestFiles.temporaryDirectory()
        guard (try? Self.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe])) != nil else { return false }
        try? Self.run(["umount", probe])
        return true
    }()

    /// Writes `path` until the file system is full; returns the bytes written.
    static func fill(_ path: String) -> Int {
        guard let handle = FileHandle(forWritingAtPath: path) ?? {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }() else { return 0 }
        defer { try? handle.close() }
        var written = 0
        for size in [65536, 4096, 512, 64, 1] {
            let chunk = Data(repeating: 0x2A, count: size)
            for _ in 0..<10_000 {
                guard (try? handle.write(contentsOf: chunk)) != nil else { break }
                written += size
            }
        }
        try? handle.synchronize()
        return written
    }

    @Test(
        .enabled(
            if: canMount,
            "needs a size-limited directory: a tmpfs or loop mount, which needs root with CAP_SYS_ADMIN (this run has uid \(getuid()) or no mount permission)"
        ))
    func aFullDiskFailsPublishesClearlyAndRecoversWhenSpaceReturns() async throws {
        let directory = TestFiles.temporaryDirectory()
        try Self.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", directory])
        defer { try? Self.run(["umount", "-l", directory]) }
        let hub = try HubProcess.start(dataDirectory: directory)
        defer { hub.terminate() }
        let subscriber = try await TestWebSocket.connect(port: hub.httpPort, path: "/ws/sub/disk/t")
        let publisher = try await TestWebSocket.connect(port: hub.httpPort, path: "/ws")
        let padding = String(repeating: "x", count: 2000)
        func publish(_ i: Int) async throws -> [String: Any] {
            try await publisher.send(json: ["op": "pub", "id": i, "topic": "disk/t", "data": ["i": i, "pad": padding]])
            return try await publisher.nextJSON(timeout: .seconds(30))
        }
        let first = try await publish(1)
        #expect(first["seq"] as? Int == 1)

        let filler = directory + "/filler"
        #expect(Self.fill(filler) > 0)
        // Publish until the store runs out of room (the WAL may still hold a few pages).
        var ackedSeqs = [1]
        var failure: [String: Any]? = nil
        for i in 2...3000 {
            let answer = try await publish(i)
            if answer["op"] as? String == "ok" {
                ackedSeqs.append(answer["seq"] as! Int)
            } else {
                failure = answer["error"] as? [String: Any]
                break
            }
        }
        let error = try #require(failure, "3000 publishes of 2 KB on a full 4 MiB disk all succeeded")
        #expect(error["code"] as? String == "unavailable")
        let message = error["message"] as? String ?? ""
        #expect(message.contains("disk") && message.contains("full"), "message: \(message)")
        #expect(ackedSeqs == Array(1...ackedSeqs.count), "acked seqs: \(ackedSeqs)")
        // Still full: more publishes fail the same way, and none of them takes a seq.
        for i in 1...5 {
            let answer = try await publish(10_000 + i)
            if answer["op"] as? String == "ok" { ackedSeqs.append(answer["seq"] as! Int) }
        }

        // Space returns: publishing works again, with the seq after the last one stored.
        try FileManager.default.removeItem(atPath: filler)
        var recovered: [String: Any] = [:]
        for attempt in 1...50 {
            recovered = try await publish(20_000 + attempt)
            if recovered["op"] as? String == "ok" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(recovered["op"] as? String == "ok", "after freeing space: \(recovered)")
        let recoveredSeq = recovered["seq"] as? Int ?? -1
        #expect(recoveredSeq == ackedSeqs.count + 1, "the seq after recovery follows the last stored one")
        ackedSeqs.append(recoveredSeq)

        // The subscriber stayed connected and got exactly the stored messages, in order.
        var delivered: [Int] = []
        while delivered.last != recoveredSeq && delivered.count < ackedSeqs.count + 10 {
            guard case .text(let text) = try await subscriber.next(timeout: .seconds(15)) else { break }
            let envelope = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
            delivered.append(envelope["seq"] as? Int ?? -1)
        }
        #expect(delivered == ackedSeqs, "the subscriber got \(delivered.count) messages: \(delivered.suffix(5))")
        let stored = try await Self.history(port: hub.httpPort, topic: "disk/t")
        #expect(stored.keys.sorted() == ackedSeqs, "history: \(stored.count) messages")
    }
}
