// libFuzzer harness for SwitchboardMQTT's PacketDecoder. Built by build-mqtt.sh and run by
// scripts/test for a bounded time; see README.md.
//
// It is compiled together with the SwitchboardMQTT sources (so the decoder is
// coverage-instrumented) and linked against the NIOCore that SwiftPM built.
import NIOCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMQTTDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let limit = 4096

    // Whole input at once: packets until the first error or incomplete one.
    var buffer = ByteBuffer(bytes: bytes)
    var packets: [Packet] = []
    var failure: PacketError? = nil
    while true {
        let before = buffer.readableBytes
        do throws(PacketError) {
            guard let packet = try PacketDecoder.decode(&buffer, maxPacketSize: limit) else {
                precondition(buffer.readableBytes == before, "an incomplete packet consumed bytes")
                break
            }
            precondition(buffer.readableBytes < before, "a packet consumed nothing")
            packets.append(packet)
        } catch {
            let codes: Set<String> = ["malformed", "too_large", "bad_utf8", "reserved_flags", "unsupported_level"]
            precondition(codes.contains(error.code), "unexpected error \(error)")
            failure = error
            break
        }
    }

    // The same bytes in two pieces decode to the same packets and the same failure.
    if size > 1 {
        let cut = Int(bytes[0]) % size
        var split = ByteBuffer(bytes: bytes[..<cut])
        var again: [Packet] = []
        var againFailure: PacketError? = nil
        var fed = false
        while true {
            do throws(PacketError) {
                if let packet = try PacketDecoder.decode(&split, maxPacketSize: limit) {
                    again.append(packet)
                    continue
                }
            } catch {
                againFailure = error
                break
            }
            guard !fed else { break }
            fed = true
            split.writeBytes(bytes[cut...])
        }
        precondition(again == packets, "splitting the input changed the packets")
        precondition((againFailure == nil) == (failure == nil), "splitting the input changed the outcome")
    }

    // Every packet decoded re-encodes to bytes that decode to the same packet.
    for packet in packets {
        var encoded = packet.bytes
        let decoded = try? PacketDecoder.decode(&encoded, maxPacketSize: Int.max)
        precondition(decoded == packet, "\(packet) does not survive encoding")
        precondition(encoded.readableBytes == 0, "re-encoded \(packet) has extra bytes")
    }
    return 0
}
