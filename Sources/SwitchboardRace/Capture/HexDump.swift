/// Reads a hex dump as Wireshark, `hexdump -C` and seed 001 print it: lines of an offset, up to 16
/// two-digit hex bytes, then the bytes as text (which is ignored).
///
/// ```
/// 0110  05 75 71 00 7E 00 23 00 00 00 07 74 00 01 31 74  .uq.~.#....t..1t
/// ```
enum HexDump {
    /// The bytes, or `nil` when the text is not such a dump (no line of offset and bytes).
    static func parse(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var lines = 0
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            guard let lineBytes = Self.lineBytes(Array(line.utf8)) else { continue }
            bytes += lineBytes
            lines += 1
        }
        return lines > 0 ? bytes : nil
    }

    /// The bytes of one line: after the offset, hex pairs one space apart. Two spaces end them (the
    /// text column follows), except after the eighth byte, where dumps put an extra space.
    static func lineBytes(_ line: [UInt8]) -> [UInt8]? {
        var index = 0
        while index < line.count, Self.hexValue(line[index]) != nil { index += 1 }
        var offsetEnd = index
        if index < line.count, line[index] == UInt8(ascii: ":") { index += 1 } else { offsetEnd = index }
        guard (4...8).contains(offsetEnd), index < line.count, line[index] == UInt8(ascii: " ") else { return nil }
        var bytes: [UInt8] = []
        while bytes.count < 16 {
            var spaces = 0
            while index < line.count, line[index] == UInt8(ascii: " ") || line[index] == UInt8(ascii: "\t") {
                spaces += 1
                index += 1
            }
            guard spaces > 0, spaces == 1 || bytes.isEmpty || (bytes.count == 8 && spaces == 2) else { break }
            guard index + 1 < line.count, let high = Self.hexValue(line[index]), let low = Self.hexValue(line[index + 1]) else { break }
            guard index + 2 == line.count || line[index + 2] == UInt8(ascii: " ") || line[index + 2] == UInt8(ascii: "\t") else { break }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes.isEmpty ? nil : bytes
    }

    static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
