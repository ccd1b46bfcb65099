public import NIOCore

/// The data representations of MQTT 3.1.1 §1.5 and the remaining length of §2.2.3.
extension ByteBuffer {
    /// The largest remaining length four bytes can encode (§2.2.3): 268,435,455.
    public static let maxRemainingLength = 268_435_455

    /// Writes a remaining length (1 to 4 bytes, 7 bits each, low group first).
    public mutating func writeRemainingLength(_ length: Int) {
        precondition(length >= 0 && length <= Self.maxRemainingLength, "remaining length out of range")
        var value = length
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value > 0 { byte |= 0x80 }
            self.writeInteger(byte)
        } while value > 0
    }

    /// The number of bytes ``writeRemainingLength(_:)`` writes for `length`.
    public static func remainingLengthSize(_ length: Int) -> Int {
        length < 128 ? 1 : length < 16_384 ? 2 : length < 2_097_152 ? 3 : 4
    }

    /// Writes a UTF-8 string with its two-byte length (§1.5.3). The caller keeps it within 65,535 bytes.
    public mutating func writeMQTTString(_ string: String) {
        self.writeInteger(UInt16(string.utf8.count))
        self.writeString(string)
    }

    /// Writes binary data with its two-byte length (§3.1.3.5, the will message and password).
    public mutating func writeMQTTBinary<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        self.writeInteger(UInt16(bytes.count))
        self.writeBytes(bytes)
    }

    /// Reads a two-byte length and that many bytes, checked as an MQTT UTF-8 string:
    /// well-formed UTF-8 (so no surrogates) and no U+0000 (§1.5.3, [MQTT-1.5.3-1], [MQTT-1.5.3-2]).
    mutating func readMQTTString(_ what: String) throws(PacketError) -> String {
        let bytes = try self.readMQTTBinary(what)
        guard !bytes.readableBytesView.contains(0) else { throw .badUTF8("\(what) contains U+0000") }
        guard let string = bytes.readableBytesView.withContiguousStorageIfAvailable({ String(validating: $0, as: UTF8.self) }) ?? String(validating: Array(bytes.readableBytesView), as: UTF8.self) else {
            throw .badUTF8("\(what) is not well-formed UTF-8")
        }
        return string
    }

    /// Reads a two-byte length and that many bytes.
    mutating func readMQTTBinary(_ what: String) throws(PacketError) -> ByteBuffer {
        guard let length = self.readInteger(as: UInt16.self) else { throw .malformed("\(what): the packet ends inside its length") }
        guard let bytes = self.readSlice(length: Int(length)) else { throw .malformed("\(what): the packet ends inside it") }
        return bytes
    }

    mutating func readPacketID(_ what: String) throws(PacketError) -> UInt16 {
        guard let id = self.readInteger(as: UInt16.self) else { throw .malformed("\(what): the packet ends before its packet identifier") }
        return id
    }
}
