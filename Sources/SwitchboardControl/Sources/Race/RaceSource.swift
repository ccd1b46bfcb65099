import Foundation
import SwitchboardCore
import SwitchboardRace

/// `race`: decodes Winlaufen's results stream (seed 001) and publishes each new standings snapshot
/// `{"rows":[{"rank","bib","name","club","class","time","gap",…start-list columns}]}` on its topic
/// (default `race/results`), with a `leaderboard` descriptor — only when it changed.
///
/// Params by `mode`:
/// - `file`: `file` (a pcap, pcapng, hex dump or raw stream), `port` (the connection in a capture),
///   `speed` (default 1: the capture's own pace), `max_gap_ms` (default 10000), `interval_ms`
///   (between snapshots of a file without timestamps, default 1000). Stops at the end.
/// - `capture`: `interface`, `hosts` (the timing PC and the Sprecher-PC), `port`, or a BPF `filter`
///   of your own; through libpcap (loaded at run time), which needs capture rights.
/// - `tap`: `listen` (`HOST:PORT`, or a port on 127.0.0.1) and `target` (`HOST:PORT` of the real
///   Sprecher-PC): every byte is forwarded unchanged both ways, and a copy decoded. No root needed.
///
/// All modes: `startlist` (a `Startlist.csv`), `startlist_bib_column`, `startlist_columns`
/// (`{"output key":"CSV header"}`; default every column), `startlist_watch` (default false),
/// `startlist_poll_ms` (default 1000), `flush_ms` (rows that came one by one are a snapshot after
/// this long without data, default 500).
struct RaceSource: SourceDriver {
    enum Mode: Sendable {
        case file(path: String, port: UInt16?, speed: Double, maxGapMs: Int, intervalMs: Int)
        case capture(interface: String, filter: String)
        case tap(listen: Address, target: Address)
    }

    struct Address: Sendable, CustomStringConvertible {
        var host: String
        var port: Int
        var description: String { "\(self.host):\(self.port)" }
    }

    static let defaultTopic = "race/results"

    let mode: Mode
    let startList: RaceStartList?
    let flushAfter: Duration

    init(params: JSONValue) throws(HubError) {
        var params = try SourceParams(params, kind: "race")
        let mode = try params.requiredString("mode", hint: "file (a capture or stream file), capture (an interface, through libpcap) or tap (a TCP relay)")
        let port = try params.optionalInteger("port", in: 1...65535)
        switch mode {
        case "file":
            let path = try params.requiredString("file", hint: "a pcap, pcapng, hex dump or raw stream")
            guard FileManager.default.isReadableFile(atPath: path) else { throw .badRequest("race param 'file': \(path) is not a readable file") }
            self.mode = .file(
                path: path,
                port: port.map(UInt16.init),
                speed: try params.number("speed", default: 1, in: 0.01...100_000),
                maxGapMs: try params.optionalInteger("max_gap_ms", in: 0...3_600_000) ?? 10_000,
                intervalMs: try params.optionalInteger("interval_ms", in: 0...3_600_000) ?? 1000
            )
        case "capture":
            let interface = try params.requiredString("interface", hint: "the network interface to capture on, for example eth0")
            var hosts: [String] = []
            switch params.raw("hosts") {
            case nil: break
            case .array(let values)?:
                for value in values {
                    guard let host = value.stringValue, !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else {
                        throw .badRequest("race param 'hosts' must be a list of IP addresses, not \(value.serialized)")
                    }
                    hosts.append(host)
                }
            case let other?:
                throw .badRequest("race param 'hosts' must be a list of IP addresses, not \(other.typeName)")
            }
            let filter = try params.string("filter") ?? LiveCapture.filter(hosts: hosts, port: port)
            self.mode = .capture(interface: interface, filter: filter)
        case "tap":
            let listen = try Self.address(try params.requiredString("listen", hint: "HOST:PORT to listen on (or a port on 127.0.0.1)"), name: "listen")
            let target = try Self.address(try params.requiredString("target", hint: "HOST:PORT of the real Sprecher-PC"), name: "target")
            self.mode = .tap(listen: listen, target: target)
        default:
            throw .badRequest("race param 'mode' must be file, capture or tap, not '\(mode)'")
        }
        self.startList = try Self.startList(&params)
        self.flushAfter = .milliseconds(try params.optionalInteger("flush_ms", in: 10...600_000) ?? 500)
        try params.rejectUnknown()
    }

    static func address(_ text: String, name: String) throws(HubError) -> Address {
        if let port = Int(text), (1...65535).contains(port) { return Address(host: "127.0.0.1", port: port) }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw .badRequest("race param '\(name)' must be HOST:PORT, not '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw .badRequest("race param '\(name)' must be HOST:PORT, not '\(text)'") }
        return Address(host: host, port: port)
    }

    static func startList(_ params: inout SourceParams) throws(HubError) -> RaceStartList? {
        let path = try params.string("startlist")
        let bibColumn = try params.string("startlist_bib_column")
        var columns: [(key: String, header: String)]?
        switch params.raw("startlist_columns") {
        case nil: break
        case .object(let members)?:
            columns = []
            for (key, value) in members {
                guard let header = value.stringValue else {
                    throw .badRequest("race param 'startlist_columns' maps output keys to CSV headers: '\(key)' is not a string")
                }
                columns?.append((key, header))
            }
        case let other?:
            throw .badRequest("race param 'startlist_columns' must be an object {\"key\":\"CSV header\"}, not \(other.typeName)")
        }
        let watch = try params.bool("startlist_watch", default: false)
        let poll = try params.optionalInteger("startlist_poll_ms", in: 50...3_600_000) ?? 1000
        guard let path else { return nil }
        return try RaceStartList(
            path: path,
            mapping: StartList.Mapping(bibColumn: bibColumn, columns: columns),
            watch: watch,
            pollInterval: .milliseconds(poll)
        )
    }

    func descriptor(title: String) -> JSONValue? {
        RacePublisher.descriptor(title: title)
    }

    func run(_ context: SourceContext) async {
        let publisher = RacePublisher(context: context, startList: self.startList)
        let publishing = Task { await publisher.run() }
        var reachedTheEnd = false
        switch self.mode {
        case .file(let path, let port, let speed, let maxGapMs, let intervalMs):
            let replay = RaceFileReplay(path: path, port: port, speed: speed, maxGapMs: maxGapMs, intervalMs: intervalMs)
            reachedTheEnd = await replay.run(context: context, publisher: publisher)
        case .capture(let interface, let filter):
            await RaceCapture(interface: interface, filter: filter, flushAfter: self.flushAfter).run(context: context, publisher: publisher)
        case .tap(let listen, let target):
            await RaceTap(listen: listen, target: target, flushAfter: self.flushAfter).run(context: context, publisher: publisher)
        }
        // The last snapshots are published before the source says it is done.
        publisher.finish()
        await withTaskCancellationHandler { await publishing.value } onCancel: { publishing.cancel() }
        if reachedTheEnd && !Task.isCancelled { context.report(.finished) }
    }
}
