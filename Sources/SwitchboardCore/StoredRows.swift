public import NIOCore

/// One stored message as a store reads it. `data` points into the store's own
/// memory and is valid only during the call it is passed to.
public struct StoredRow {
    public var seq: Int64
    public var ts: Int64
    public var from: String?
    /// The bytes of the message's JSON text.
    public var data: UnsafeRawBufferPointer

    public init(seq: Int64, ts: Int64, from: String?, data: UnsafeRawBufferPointer) {
        self.seq = seq
        self.ts = ts
        self.from = from
        self.data = data
    }
}

/// How an outlet writes stored messages, given to the store for a replay: it runs
/// on the store's read thread, once per row, straight from the row's bytes, so a
/// page of history becomes one buffer of frames with no value or copy per message
/// in between (see ``Outlet/replayEncoding(topic:)``).
public struct StoredRowEncoding: Sendable {
    public let write: @Sendable (_ row: StoredRow, _ buffer: inout ByteBuffer) -> Void

    public init(_ write: @escaping @Sendable (_ row: StoredRow, _ buffer: inout ByteBuffer) -> Void) {
        self.write = write
    }
}

/// A page of stored messages of one topic, already encoded for one outlet.
public struct EncodedRows: Sendable {
    /// The messages' encodings, back to back.
    public var bytes = ByteBuffer()
    public private(set) var count = 0
    public private(set) var firstSeq: Int64?
    public private(set) var lastSeq: Int64?

    public init() {}

    /// Encodes `rows` (read by a store that has no direct path).
    public init(_ rows: some Sequence<StoredMessage>, encoding: StoredRowEncoding) {
        for row in rows {
            row.data.withUnsafeReadableBytes { data in
                self.append(StoredRow(seq: row.seq, ts: row.ts, from: row.from, data: data), encoding: encoding)
            }
        }
    }

    /// Appends one row.
    public mutating func append(_ row: StoredRow, encoding: StoredRowEncoding) {
        encoding.write(row, &self.bytes)
        if self.firstSeq == nil { self.firstSeq = row.seq }
        self.lastSeq = row.seq
        self.count += 1
    }
}
