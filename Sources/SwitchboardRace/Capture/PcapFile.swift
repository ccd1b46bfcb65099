/// Classic libpcap files (`tcpdump -w`): a 24-byte header, then records of a 16-byte header and
/// the frame. Both byte orders, microsecond and nanosecond variants.
enum PcapFile {
    static let magics: [UInt32] = [0xA1B2_C3D4, 0xA1B2_3C4D]

    static func isPcap(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        let big = ByteReader(bytes: bytes, bigEndian: true).uint32(at: 0)!
        let little = ByteReader(bytes: bytes, bigEndian: false).uint32(at: 0)!
        return Self.magics.contains(big) || Self.magics.contains(little)
    }

    /// The frames; a file cut off in its last record yields the complete records before it.
    static func frames(_ bytes: [UInt8]) throws(CaptureError) -> [CapturedFrame] {
        var reader = ByteReader(bytes: bytes, bigEndian: true)
        guard let magic = reader.uint32(at: 0), bytes.count >= 24 else { throw CaptureError("a pcap file shorter than its header") }
        if !Self.magics.contains(magic) { reader.bigEndian = false }
        let fractionsPerSecond = reader.uint32(at: 0) == 0xA1B2_3C4D ? 1e9 : 1e6
        guard let linkType = reader.uint32(at: 20) else { throw CaptureError("a pcap file shorter than its header") }
        var frames: [CapturedFrame] = []
        var offset = 24
        while offset + 16 <= bytes.count {
            guard let length = reader.uint32(at: offset + 8).map(Int.init) else { break }
            guard length <= 1 << 24 else { throw CaptureError("a pcap record of \(length) bytes at offset \(offset)") }
            let start = offset + 16
            guard start + length <= bytes.count else { break }
            let seconds = Double(reader.uint32(at: offset) ?? 0) + Double(reader.uint32(at: offset + 4) ?? 0) / fractionsPerSecond
            frames.append(CapturedFrame(linkType: linkType & 0x0FFF_FFFF, data: Array(bytes[start..<(start + length)]), timestamp: seconds))
            offset = start + length
        }
        return frames
    }
}
