/// Decodes Winlaufen's results stream — a Java `ObjectOutputStream` — into standings snapshots,
/// fed with bytes in chunks of any size (one TCP segment, one byte, a whole file).
///
/// ```swift
/// var decoder = StandingsDecoder()
/// for chunk in chunks { for snapshot in decoder.feed(chunk) { publish(snapshot) } }
/// for snapshot in decoder.finish() { publish(snapshot) }
/// ```
///
/// From a stream header (or a reset) on, the decoder follows the grammar exactly and resolves
/// every back-reference. Joined mid-stream, or after bytes it cannot read, it searches for arrays
/// and objects it can read on their own and takes the result rows from them; references then point
/// to handles it cannot know, so they are `nil` (and counted), never guessed, until the next reset
/// or stream header makes the handle numbers known again.
///
/// A snapshot is the rows of one top-level object (one `writeObject` of the standings). Rows that
/// come one by one — arrays written on their own, or found while searching — are gathered until
/// the rank goes down (a new list starts), the stream ends, or ``flush()`` is called.
public struct StandingsDecoder: Sendable {
    /// What the decoder could not read, for logs and tests.
    public struct Statistics: Equatable, Sendable {
        /// References to handles assigned before the decoder joined: their values are `nil`.
        public var unresolvedReferences = 0
        /// Bytes passed over while searching for something readable.
        public var skippedBytes = 0
        /// Elements that broke the grammar (a corrupt or cut stream).
        public var corruptElements = 0
        /// Stream headers seen (one per connection, or per restarted `ObjectOutputStream`).
        public var streamHeaders = 0
    }

    enum Mode {
        /// Handle numbers known; reading element after element at the top level.
        case synchronised
        /// Position or handle numbers unknown: looking for an element that can be read on its own.
        case searching
    }

    enum Anchor {
        case header
        case reset
        case element
    }

    private var parser = ObjectStreamParser()
    private var mode = Mode.searching
    /// Nothing to try until the buffer holds this many bytes.
    private var waitUntil = 0
    /// Where the element that did not complete starts, and how many bytes the buffer held then.
    /// Each retry reads the element from its start, so while full-sized chunks keep coming, retries
    /// wait for the buffer to grow by half the element (fed one byte or one segment at a time, a big
    /// element is not read hundreds of times); a chunk shorter than the largest so far — the end of
    /// what the sender wrote — is tried at once, so a finished snapshot is not held back.
    private var incomplete: (start: Int, bufferCount: Int)?
    private var largestChunk = 0
    private var endOfStream = false
    private var looseRows: [ResultRow] = []
    public private(set) var statistics = Statistics()

    public init() {}

    /// Takes the next bytes of the stream; returns the snapshots they completed.
    public mutating func feed<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> [Snapshot] {
        let before = self.parser.bytes.count
        self.parser.bytes.append(contentsOf: bytes)
        let chunk = self.parser.bytes.count - before
        let endOfWrite = chunk < self.largestChunk
        self.largestChunk = max(self.largestChunk, chunk)
        guard self.parser.bytes.count >= self.waitUntil, endOfWrite || self.grewEnough else { return [] }
        return self.process()
    }

    private var grewEnough: Bool {
        guard let incomplete = self.incomplete else { return true }
        let count = self.parser.bytes.count
        return (count - incomplete.bufferCount) * 2 >= count - incomplete.start
    }

    /// The stream ended: reads what is left as far as it goes, and returns the last snapshots.
    public mutating func finish() -> [Snapshot] {
        self.endOfStream = true
        var snapshots = self.process()
        self.flushLoose(into: &snapshots)
        return snapshots
    }

    /// The stream went quiet (a live source calls this after a while without data): an element
    /// that is complete by now is read even if its retry was held back, and rows gathered one by
    /// one become a snapshot.
    public mutating func flush() -> [Snapshot] {
        var snapshots = self.parser.bytes.count >= self.waitUntil ? self.process() : []
        self.flushLoose(into: &snapshots)
        return snapshots
    }

    /// Bytes are missing here (a capture lost a segment): what was received before is read as far
    /// as it goes, then the decoder searches again and handle numbers are unknown until a reset.
    public mutating func skipGap() -> [Snapshot] {
        self.endOfStream = true
        let snapshots = self.process()
        self.endOfStream = false
        self.parser.bytes.removeAll(keepingCapacity: true)
        self.parser.position = 0
        self.waitUntil = 0
        self.incomplete = nil
        self.forgetHandles()
        return snapshots
    }

    // MARK: - Stepping

    private mutating func process() -> [Snapshot] {
        self.incomplete = nil
        var snapshots: [Snapshot] = []
        while self.parser.position < self.parser.bytes.count {
            guard self.endOfStream || self.parser.bytes.count >= self.waitUntil else { break }
            let before = self.parser.position
            let progressed =
                switch self.mode {
                case .synchronised: self.stepSynchronised(into: &snapshots)
                case .searching: self.stepSearching(into: &snapshots)
                }
            guard progressed else { break }
            // Every step that reports progress moves forward; this keeps it so whatever happens.
            if self.parser.position <= before { self.parser.position = before + 1 }
        }
        self.compact()
        return snapshots
    }

    private mutating func stepSynchronised(into snapshots: inout [Snapshot]) -> Bool {
        let start = self.parser.position
        let tag = self.parser.bytes[start]
        switch tag {
        case ObjectStreamConstants.magic[0]:
            guard self.available(from: start) >= 4 else { return self.waitOrGiveUp(needed: start + 4, start: start) }
            guard self.anchor(at: start) == .header else { return self.corrupt(start: start, into: &snapshots) }
            self.parser.position += 4
            self.startStream(into: &snapshots)
            return true
        case ObjectStreamConstants.tcReset:
            self.parser.position += 1
            self.parser.handles.removeAll(keepingCapacity: true)
            return true
        case ObjectStreamConstants.tcBlockData, ObjectStreamConstants.tcBlockDataLong:
            // Primitive data written at the top level (`writeInt` and the like): not standings.
            do throws(ParseStop) {
                self.parser.position += 1
                let length = tag == ObjectStreamConstants.tcBlockData ? Int(try self.parser.readByte()) : try self.parser.readInt32()
                _ = try self.parser.skip(length)
                return true
            } catch .incomplete(let needed) {
                self.parser.position = start
                return self.waitOrGiveUp(needed: needed, start: start)
            } catch {
                self.parser.position = start
                return self.corrupt(start: start, into: &snapshots)
            }
        default:
            return self.readElement(start: start, into: &snapshots)
        }
    }

    /// One top-level element, all or nothing: an element that did not complete leaves no handles behind.
    private mutating func readElement(start: Int, into snapshots: inout [Snapshot]) -> Bool {
        let handleCount = self.parser.handles.count
        self.parser.rows.removeAll(keepingCapacity: true)
        self.parser.lastRowEnd = nil
        self.parser.resolvesHandles = true
        self.parser.limits = .synchronised
        do throws(ParseStop) {
            _ = try self.parser.readContent()
            let tag = self.parser.bytes[start]
            if tag == ObjectStreamConstants.tcArray || tag == ObjectStreamConstants.tcReference {
                self.addLoose(self.parser.rows, into: &snapshots)
            } else if !self.parser.rows.isEmpty {
                self.flushLoose(into: &snapshots)
                snapshots.append(Snapshot(rows: self.parser.rows))
            }
            return true
        } catch .incomplete(let needed) {
            guard self.endOfStream else {
                self.parser.handles.removeSubrange(handleCount...)
                self.parser.position = start
                self.waitUntil = needed
                self.incomplete = (start, self.parser.bytes.count)
                return false
            }
            return self.corrupt(start: start, into: &snapshots)
        } catch {
            return self.corrupt(start: start, into: &snapshots)
        }
    }

    /// The element at `start` broke off: the rows it held so far stand (they were read exactly),
    /// the search resumes behind them, and handle numbers are unknown from here on.
    private mutating func corrupt(start: Int, into snapshots: inout [Snapshot]) -> Bool {
        self.statistics.corruptElements += 1
        self.addLoose(self.parser.rows, into: &snapshots)
        self.parser.position = max(start + 1, self.parser.lastRowEnd ?? 0)
        self.parser.rows.removeAll(keepingCapacity: true)
        self.parser.lastRowEnd = nil
        self.forgetHandles()
        return true
    }

    private mutating func stepSearching(into snapshots: inout [Snapshot]) -> Bool {
        let start = self.parser.position
        let lookahead = min(4, self.available(from: start))
        guard let anchor = self.anchor(at: start) else {
            if lookahead < 4, !self.endOfStream, self.couldBeAnchor(at: start) {
                return self.waitOrGiveUp(needed: start + 4, start: start)
            }
            self.parser.position += 1
            self.statistics.skippedBytes += 1
            return true
        }
        switch anchor {
        case .header:
            self.parser.position += 4
            self.startStream(into: &snapshots)
        case .reset:
            // What follows starts a new handle table: from here on the decoder reads exactly again.
            self.parser.position += 1
            self.parser.handles.removeAll(keepingCapacity: true)
            self.mode = .synchronised
        case .element:
            let unresolved = self.parser.unresolvedReferences
            self.parser.rows.removeAll(keepingCapacity: true)
            self.parser.resolvesHandles = false
            self.parser.limits = .guessing
            do throws(ParseStop) {
                _ = try self.parser.readContent()
                self.addLoose(self.parser.rows, into: &snapshots)
            } catch .incomplete(let needed) where !self.endOfStream {
                self.parser.unresolvedReferences = unresolved
                self.parser.position = start
                self.waitUntil = needed
                self.incomplete = (start, self.parser.bytes.count)
                return false
            } catch {
                // Not an element after all: rows inside it are found again by the search, one byte on.
                self.parser.unresolvedReferences = unresolved
                self.parser.position = start + 1
                self.statistics.skippedBytes += 1
            }
            self.statistics.unresolvedReferences = self.parser.unresolvedReferences
        }
        return true
    }

    private func available(from index: Int) -> Int { self.parser.bytes.count - index }

    private mutating func waitOrGiveUp(needed: Int, start: Int) -> Bool {
        if self.endOfStream {
            self.parser.position = self.parser.bytes.count
            self.statistics.skippedBytes += self.parser.bytes.count - start
            return true
        }
        self.waitUntil = needed
        return false
    }

    // MARK: - Anchors

    /// Something that can be read without knowing what came before: a stream header, a reset
    /// followed by an element with a new class description, an array, or an object of a new class.
    func anchor(at index: Int) -> Anchor? {
        let bytes = self.parser.bytes
        func byte(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }
        switch byte(0) {
        case ObjectStreamConstants.magic[0]:
            return byte(1) == 0xED && byte(2) == 0x00 && byte(3) == 0x05 ? .header : nil
        case ObjectStreamConstants.tcReset:
            let starts: [UInt8] = [ObjectStreamConstants.tcObject, ObjectStreamConstants.tcArray, ObjectStreamConstants.tcEnum]
            guard let next = byte(1), starts.contains(next), byte(2) == ObjectStreamConstants.tcClassDesc else { return nil }
            return .reset
        case ObjectStreamConstants.tcArray:
            if byte(1) == ObjectStreamConstants.tcClassDesc { return .element }
            return byte(1) == ObjectStreamConstants.tcReference && byte(2) == 0x00 && byte(3) == 0x7E ? .element : nil
        case ObjectStreamConstants.tcObject:
            return byte(1) == ObjectStreamConstants.tcClassDesc ? .element : nil
        default:
            return nil
        }
    }

    private func couldBeAnchor(at index: Int) -> Bool {
        let first = self.parser.bytes[index]
        return first == ObjectStreamConstants.magic[0] || first == ObjectStreamConstants.tcReset
            || first == ObjectStreamConstants.tcArray || first == ObjectStreamConstants.tcObject
    }

    // MARK: - State

    private mutating func startStream(into snapshots: inout [Snapshot]) {
        self.statistics.streamHeaders += 1
        self.flushLoose(into: &snapshots)
        self.parser.handles.removeAll(keepingCapacity: true)
        self.mode = .synchronised
    }

    private mutating func forgetHandles() {
        self.parser.handles.removeAll(keepingCapacity: true)
        self.mode = .searching
    }

    private mutating func addLoose(_ rows: [ResultRow], into snapshots: inout [Snapshot]) {
        for row in rows {
            if let last = self.looseRows.last, row.rank < last.rank { self.flushLoose(into: &snapshots) }
            self.looseRows.append(row)
        }
    }

    private mutating func flushLoose(into snapshots: inout [Snapshot]) {
        guard !self.looseRows.isEmpty else { return }
        snapshots.append(Snapshot(rows: self.looseRows))
        self.looseRows.removeAll(keepingCapacity: true)
    }

    /// Drops what was read, once it is a good part of the buffer.
    private mutating func compact() {
        let consumed = self.parser.position
        guard consumed >= 1 << 16 || consumed == self.parser.bytes.count, consumed > 0 else { return }
        self.parser.bytes.removeSubrange(0..<consumed)
        self.parser.position = 0
        self.waitUntil = max(0, self.waitUntil - consumed)
        self.incomplete = self.incomplete.map { ($0.start - consumed, $0.bufferCount - consumed) }
    }
}
