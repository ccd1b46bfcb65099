/// pcapng files (Wireshark's default): blocks of type, length, body, length. Reads section headers
/// (each with its byte order), interface descriptions (link types), enhanced, simple and obsolete
/// packet blocks; skips the rest.
enum PcapngFile {
    static let sectionHeader: UInt32 = 0x0A0D_0D0A
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D

    static func isPcapng(_ bytes: [UInt8]) -> Bool {
        ByteReader(bytes: bytes, bigEndian: true).uint32(at: 0) == Self.sectionHeader
    }

    static func frames(_ bytes: [UInt8]) throws(CaptureError) -> [CapturedFrame] {
        var reader = ByteReader(bytes: bytes, bigEndian: true)
        var interfaces: [(linkType: UInt32, snapLength: Int)] = []
        var frames: [CapturedFrame] = []
        var offset = 0
        while offset + 12 <= bytes.count {
            if reader.uint32(at: offset) == Self.sectionHeader {
                // The byte-order magic says how to read this section, its own length included.
                reader.bigEndian = true
                if reader.uint32(at: offset + 8) != Self.byteOrderMagic { reader.bigEndian = false }
                guard reader.uint32(at: offset + 8) == Self.byteOrderMagic else {
                    throw CaptureError("a pcapng section header without its byte-order magic at offset \(offset)")
                }
                interfaces.removeAll()
            }
            guard let type = reader.uint32(at: offset), let length = reader.uint32(at: offset + 4).map(Int.init) else { break }
            guard length >= 12, length % 4 == 0 else { throw CaptureError("a pcapng block of length \(length) at offset \(offset)") }
            guard offset + length <= bytes.count else { break }  // cut off: the complete blocks count
            let body = offset + 8
            switch type {
            case 1:  // interface description
                let linkType = UInt32(reader.uint16(at: body) ?? 0)
                let snapLength = Int(reader.uint32(at: body + 4) ?? 0)
                interfaces.append((linkType, snapLength == 0 ? Int.max : snapLength))
            case 6, 2:  // enhanced packet, obsolete packet
                let interface = Int(type == 6 ? reader.uint32(at: body) ?? 0 : UInt32(reader.uint16(at: body) ?? 0))
                let captured = Int(reader.uint32(at: body + 12) ?? 0)
                let start = body + 20
                guard interface < interfaces.count, start + captured <= offset + length - 4 else {
                    throw CaptureError("a pcapng packet block at offset \(offset) does not fit its interface or length")
                }
                // Microseconds, the default resolution (an interface's if_tsresol option is not read).
                let units = UInt64(reader.uint32(at: body + 4) ?? 0) << 32 | UInt64(reader.uint32(at: body + 8) ?? 0)
                frames.append(
                    CapturedFrame(
                        linkType: interfaces[interface].linkType,
                        data: Array(bytes[start..<(start + captured)]),
                        timestamp: type == 6 ? Double(units) / 1e6 : nil
                    )
                )
            case 3:  // simple packet: interface 0, as much as the snap length allowed
                guard let interface = interfaces.first else { throw CaptureError("a pcapng simple packet before any interface") }
                let original = Int(reader.uint32(at: body) ?? 0)
                let captured = min(original, interface.snapLength, length - 16)
                let start = body + 4
                frames.append(CapturedFrame(linkType: interface.linkType, data: Array(bytes[start..<(start + max(0, captured))])))
            default:
                break
            }
            offset += length
        }
        return frames
    }
}
