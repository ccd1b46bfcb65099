/// One end of a TCP connection.
public struct TCPEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6).
    public var address: [UInt8]
    public var port: UInt16

    public init(address: [UInt8], port: UInt16) {
        self.address = address
        self.port = port
    }

    public var description: String {
        if self.address.count == 4 { return self.address.map(String.init).joined(separator: ".") + ":\(self.port)" }
        var groups: [String] = []
        for index in stride(from: 0, to: self.address.count - 1, by: 2) {
            groups.append(String(UInt16(self.address[index]) << 8 | UInt16(self.address[index + 1]), radix: 16))
        }
        return "[" + groups.joined(separator: ":") + "]:\(self.port)"
    }
}

/// One direction of a TCP connection: the bytes `source` sends to `destination`.
public struct TCPFlow: Hashable, Sendable, CustomStringConvertible {
    public var source: TCPEndpoint
    public var destination: TCPEndpoint

    public init(source: TCPEndpoint, destination: TCPEndpoint) {
        self.source = source
        self.destination = destination
    }

    public var description: String { "\(self.source) → \(self.destination)" }
}

/// A TCP segment taken from a frame.
public struct TCPSegment: Sendable {
    public var flow: TCPFlow
    public var sequence: UInt32
    public var syn: Bool
    public var fin: Bool
    public var rst: Bool
    public var payload: ArraySlice<UInt8>
}

/// Takes frames apart down to TCP: Ethernet (with VLAN tags), Linux cooked (v1, v2), BSD loopback,
/// raw IP; IPv4 (unfragmented) and IPv6 (TCP right after the fixed header).
enum PacketDissector {
    static func segment(_ frame: CapturedFrame) -> TCPSegment? {
        let bytes = frame.data
        let network: (type: UInt16, offset: Int)?
        switch frame.linkType {
        case 1:  // Ethernet
            var offset = 12
            var type = Self.uint16(bytes, offset)
            while let tag = type, tag == 0x8100 || tag == 0x88A8 {
                offset += 4
                type = Self.uint16(bytes, offset)
            }
            network = type.map { ($0, offset + 2) }
        case 113:  // Linux cooked capture
            network = Self.uint16(bytes, 14).map { ($0, 16) }
        case 276:  // Linux cooked capture v2
            network = Self.uint16(bytes, 0).map { ($0, 20) }
        case 0, 108:  // BSD loopback: the address family, in host or network order
            guard bytes.count >= 4 else { return nil }
            let family = bytes[0] != 0 ? UInt32(bytes[0]) : UInt32(bytes[3])
            network = (family == 2 ? 0x0800 : 0x86DD, 4)
        case 101, 12, 14, 228, 229:  // raw IP
            guard let first = bytes.first else { return nil }
            network = (first >> 4 == 4 ? 0x0800 : 0x86DD, 0)
        default:
            network = nil
        }
        guard let network else { return nil }
        switch network.type {
        case 0x0800: return Self.ipv4(bytes, network.offset)
        case 0x86DD: return Self.ipv6(bytes, network.offset)
        default: return nil
        }
    }

    static func ipv4(_ bytes: [UInt8], _ offset: Int) -> TCPSegment? {
        guard offset + 20 <= bytes.count, bytes[offset] >> 4 == 4, bytes[offset + 9] == 6 else { return nil }
        let headerLength = Int(bytes[offset] & 0x0F) * 4
        let total = Int(Self.uint16(bytes, offset + 2) ?? 0)
        // A fragment cannot be read on its own; the timing program's segments are far smaller than a frame.
        let fragment = (Self.uint16(bytes, offset + 6) ?? 0) & 0x3FFF
        guard headerLength >= 20, fragment == 0 else { return nil }
        let end = total >= headerLength ? min(bytes.count, offset + total) : bytes.count
        let source = Array(bytes[(offset + 12)..<(offset + 16)])
        let destination = Array(bytes[(offset + 16)..<(offset + 20)])
        return Self.tcp(bytes, offset + headerLength, end: end, source: source, destination: destination)
    }

    static func ipv6(_ bytes: [UInt8], _ offset: Int) -> TCPSegment? {
        guard offset + 40 <= bytes.count, bytes[offset] >> 4 == 6, bytes[offset + 6] == 6 else { return nil }
        let payload = Int(Self.uint16(bytes, offset + 4) ?? 0)
        let end = min(bytes.count, offset + 40 + payload)
        let source = Array(bytes[(offset + 8)..<(offset + 24)])
        let destination = Array(bytes[(offset + 24)..<(offset + 40)])
        return Self.tcp(bytes, offset + 40, end: end, source: source, destination: destination)
    }

    static func tcp(_ bytes: [UInt8], _ offset: Int, end: Int, source: [UInt8], destination: [UInt8]) -> TCPSegment? {
        guard offset + 20 <= end else { return nil }
        let headerLength = Int(bytes[offset + 12] >> 4) * 4
        guard headerLength >= 20, offset + headerLength <= end else { return nil }
        let flags = bytes[offset + 13]
        var sequence: UInt32 = 0
        for index in 4..<8 { sequence = sequence << 8 | UInt32(bytes[offset + index]) }
        return TCPSegment(
            flow: TCPFlow(
                source: TCPEndpoint(address: source, port: Self.uint16(bytes, offset)!),
                destination: TCPEndpoint(address: destination, port: Self.uint16(bytes, offset + 2)!)
            ),
            sequence: sequence,
            syn: flags & 0x02 != 0,
            fin: flags & 0x01 != 0,
            rst: flags & 0x04 != 0,
            payload: bytes[(offset + headerLength)..<end]
        )
    }

    static func uint16(_ bytes: [UInt8], _ offset: Int) -> UInt16? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
}
