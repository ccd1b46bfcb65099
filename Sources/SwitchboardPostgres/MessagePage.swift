import NIOCore
import PostgresNIO
import SwitchboardCore

/// A page of message rows turned into `StoredMessage`s.
enum MessagePage {
    /// Reads rows of `seq, ts, "from", data` as messages of `topic`.
    ///
    /// Every `data` of a page is copied into one buffer and each message gets a slice of it:
    /// one allocation per page, and messages kept for long (the hub's history) do not pin the
    /// much larger buffers the rows arrived in.
    static func read(_ rows: PostgresQueryResult, topic: String) throws -> [StoredMessage] {
        var decoded: [(seq: Int64, ts: Int64, from: String?, data: ByteBuffer)] = []
        decoded.reserveCapacity(rows.count)
        var total = 0
        for row in rows {
            let columns = try row.decode((Int64, Int64, String?, ByteBuffer).self)
            total += columns.3.readableBytes
            decoded.append(columns)
        }
        var page = ByteBuffer()
        page.reserveCapacity(total)
        var starts: [Int] = []
        starts.reserveCapacity(decoded.count)
        for index in decoded.indices {
            starts.append(page.writerIndex)
            page.writeImmutableBuffer(decoded[index].data)
        }
        return decoded.indices.map { index in
            let row = decoded[index]
            let data = page.getSlice(at: starts[index], length: row.data.readableBytes)!
            return StoredMessage(topic: topic, seq: row.seq, ts: row.ts, from: row.from, data: data)
        }
    }
}
