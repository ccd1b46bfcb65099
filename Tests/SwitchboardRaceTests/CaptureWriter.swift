import Foundation

@testable import SwitchboardRace

/// Writes captures for the tests: Ethernet/IPv4/TCP frames of a conversation, as pcap or pcapng.
struct CaptureWriter {
    struct Packet {
        var from: TCPEndpoint
        var to: TCPEndpoint
        var sequence: UInt32
        var flags: UInt8
        var payload: [UInt8]

        static let syn: UInt8 = 0x02
        static let ack: UInt8 = 0x10
        static let psh: UInt8 = 0x08
        static let fin: UInt8 = 0x01
    }

    var packets: [Packet] = []

    /// One connection's data in segments of `segmentSize`, preceded by a SYN and followed by a FIN.
    static func conversation(
        _ bytes: [UInt8],
        from: TCPEndpoint,
        to: TCPEndpoint,
        initialSequence: UInt32,
        segmentSize: Int
    ) -> [Packet] {
        var packets = [Packet(from: from, to: to, sequence: initialSequence, flags: Packet.syn, payload: [])]
        var sequence = initialSequence &+ 1
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + segmentSize)
            packets.append(Packet(from: from, to: to, sequence: sequence, flags: Packet.ack | Packet.psh, payload: Array(bytes[offset..<end])))
            sequence = sequence &+ UInt32(end - offset)
            offset = end
        }
        packets.append(Packet(from: from, to: to, sequence: sequence, flags: Packet.ack | Packet.fin, payload: []))
        return packets
    }

    static func ethernetFrame(_ packet: Packet) -> [UInt8] {
        var tcp: [UInt8] = []
        tcp += Self.be16(packet.from.port) + Self.be16(packet.to.port) + Self.be32(packet.sequence) + Self.be32(0)
        tcp += [0x50, packet.flags] + Self.be16(65535) + [0, 0, 0, 0]
        tcp += packet.payload
        var ip: [UInt8] = [0x45, 0] + Self.be16(UInt16(20 + tcp.count)) + [0, 0, 0x40, 0, 64, 6, 0, 0]
        ip += packet.from.address + packet.to.address
        let ethernet: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 0x00]
        return ethernet + ip + tcp
    }

    func pcap() -> [UInt8] {
        var out: [UInt8] = Self.le32(0xA1B2_C3D4) + Self.le16(2) + Self.le16(4) + Self.le32(0) + Self.le32(0) + Self.le32(65535) + Self.le32(1)
        for (index, packet) in self.packets.enumerated() {
            let frame = Self.ethernetFrame(packet)
            out += Self.le32(UInt32(1_700_000_000 + index)) + Self.le32(0) + Self.le32(UInt32(frame.count)) + Self.le32(UInt32(frame.count))
            out += frame
        }
        return out
    }

    /// Big-endian pcapng, so the reader's byte-order handling is exercised too.
    func pcapng() -> [UInt8] {
        func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
            var body = body
            while body.count % 4 != 0 { body.append(0) }
            let length = UInt32(body.count + 12)
            return Self.be32(type) + Self.be32(length) + body + Self.be32(length)
        }
        var out = block(0x0A0D_0D0A, Self.be32(0x1A2B_3C4D) + Self.be16(1) + Self.be16(0) + [UInt8](repeating: 0xFF, count: 8))
        out += block(1, Self.be16(1) + Self.be16(0) + Self.be32(0))
        out += block(5, [1, 2, 3, 4])  // an interface statistics block, skipped
        for packet in self.packets {
            let frame = Self.ethernetFrame(packet)
            out += block(6, Self.be32(0) + Self.be32(0) + Self.be32(0) + Self.be32(UInt32(frame.count)) + Self.be32(UInt32(frame.count)) + frame)
        }
        return out
    }

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    static func le16(_ value: UInt16) -> [UInt8] { self.be16(value).reversed() }
    static func le32(_ value: UInt32) -> [UInt8] { self.be32(value).reversed() }
}
