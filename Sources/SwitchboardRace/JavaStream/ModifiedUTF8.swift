/// Java's "modified UTF-8" (`DataInput.readUTF`): NUL is two bytes (`C0 80`) and characters
/// outside the BMP are two 3-byte surrogates (CESU-8), so it is decoded to UTF-16 first.
enum ModifiedUTF8 {
    /// The text, or `nil` when the bytes are not modified UTF-8.
    static func decode(_ bytes: ArraySlice<UInt8>) -> String? {
        // Without NUL bytes and characters beyond the BMP (whose surrogates are not valid UTF-8),
        // modified UTF-8 is UTF-8: the standard library's validating decoder is much faster.
        if !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) { return text }
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let first = bytes[index]
            switch first >> 4 {
            case 0x0...0x7:
                guard first != 0 else { return nil }
                units.append(UInt16(first))
                index += 1
            case 0xC, 0xD:
                guard index + 1 < bytes.endIndex else { return nil }
                let second = bytes[index + 1]
                guard second & 0xC0 == 0x80 else { return nil }
                units.append(UInt16(first & 0x1F) << 6 | UInt16(second & 0x3F))
                index += 2
            case 0xE:
                guard index + 2 < bytes.endIndex else { return nil }
                let second = bytes[index + 1]
                let third = bytes[index + 2]
                guard second & 0xC0 == 0x80, third & 0xC0 == 0x80 else { return nil }
                units.append(UInt16(first & 0x0F) << 12 | UInt16(second & 0x3F) << 6 | UInt16(third & 0x3F))
                index += 3
            default:
                return nil
            }
        }
        // A lone surrogate (Java allows it) becomes U+FFFD.
        return String(decoding: units, as: UTF16.self)
    }
}
