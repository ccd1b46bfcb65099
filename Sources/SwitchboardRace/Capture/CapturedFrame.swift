/// One frame from a capture file or a live capture: its link-layer type (libpcap's `LINKTYPE_…`) and bytes.
public struct CapturedFrame: Sendable {
    public var linkType: UInt32
    public var data: [UInt8]
    /// When it was captured (seconds since the epoch), where the file says; replays keep the pace by it.
    public var timestamp: Double?

    public init(linkType: UInt32, data: [UInt8], timestamp: Double? = nil) {
        self.linkType = linkType
        self.data = data
        self.timestamp = timestamp
    }
}

/// Why a capture file could not be read.
public struct CaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Little reads from a byte array in either byte order, for the file formats.
struct ByteReader {
    let bytes: [UInt8]
    var bigEndian: Bool

    func uint16(at offset: Int) -> UInt16? {
        guard offset >= 0, offset + 2 <= self.bytes.count else { return nil }
        let a = UInt16(self.bytes[offset])
        let b = UInt16(self.bytes[offset + 1])
        return self.bigEndian ? a << 8 | b : b << 8 | a
    }

    func uint32(at offset: Int) -> UInt32? {
        guard offset >= 0, offset + 4 <= self.bytes.count else { return nil }
        var value: UInt32 = 0
        for index in 0..<4 {
            let byte = UInt32(self.bytes[offset + (self.bigEndian ? index : 3 - index)])
            value = value << 8 | byte
        }
        return value
    }
}
