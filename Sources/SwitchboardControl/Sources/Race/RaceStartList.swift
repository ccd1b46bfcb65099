import Foundation
import Logging
import Synchronization
import SwitchboardCore
import SwitchboardRace

/// A `race` source's start list: read when the source is created (a bad file is a `bad_request`
/// naming the line), and with `startlist_watch` read again whenever the file changes.
final class RaceStartList: Sendable {
    let path: String
    let mapping: StartList.Mapping
    let watch: Bool
    let pollInterval: Duration
    private let state: Mutex<(list: StartList, stamp: Stamp?)>

    /// What tells a changed file: its modification time and size.
    struct Stamp: Equatable {
        var modified: Date?
        var size: Int?
    }

    init(path: String, mapping: StartList.Mapping, watch: Bool, pollInterval: Duration) throws(HubError) {
        self.path = path
        self.mapping = mapping
        self.watch = watch
        self.pollInterval = pollInterval
        let stamp = Self.stamp(path)
        self.state = Mutex((try Self.read(path, mapping: mapping), stamp))
    }

    var current: StartList { self.state.withLock { $0.list } }

    static func read(_ path: String, mapping: StartList.Mapping) throws(HubError) -> StartList {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .badRequest("race param 'startlist': cannot read \(path)")
        }
        do {
            return try StartList(csv: bytes, mapping: mapping)
        } catch {
            throw .badRequest("race param 'startlist': \(path) \(error)")
        }
    }

    static func stamp(_ path: String) -> Stamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return Stamp(modified: attributes[.modificationDate] as? Date, size: (attributes[.size] as? NSNumber)?.intValue)
    }

    /// Polls the file; calls `changed` after each good new version. A bad version is reported as a
    /// failure (the source keeps the last good list) until the file is fixed.
    func watchForChanges(logger: Logger, report: @Sendable (SourceReport) -> Void, changed: @Sendable () -> Void) async {
        var failing = false
        while !Task.isCancelled {
            do { try await Task.sleep(for: self.pollInterval) } catch { return }
            let stamp = Self.stamp(self.path)
            guard stamp != self.state.withLock({ $0.stamp }) else { continue }
            do {
                let list = try Self.read(self.path, mapping: self.mapping)
                self.state.withLock { $0 = (list, stamp) }
                if failing { report(.running) }
                failing = false
                logger.info("Start list read again", metadata: ["file": "\(self.path)", "entries": "\(list.entries.count)"])
                changed()
            } catch {
                self.state.withLock { $0.stamp = stamp }
                failing = true
                report(.failed(error.message + " (the last good start list stays in use)"))
            }
        }
    }
}
