// libFuzzer harness for the messages nodes exchange through Redis (Sources/SwitchboardServer/Cluster/ClusterCodec.swift).
//
// Every input is decoded as an announcement (as if published by another node) and as a recent-log
// entry: no crash, only `Malformed` errors, and whatever decodes re-encodes to the same entries.

import NIOCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClusterCodec(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let buffer = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    if let announcement = try? ClusterCodec.decodeAnnouncement(buffer) {
        precondition(announcement.firstSeq > 0 && !announcement.topic.isEmpty)
        for (offset, message) in announcement.messages.enumerated() {
            precondition(message.seq == announcement.firstSeq + Int64(offset))
            let again = try! ClusterCodec.decodeEntry(ClusterCodec.entry(message), topic: message.topic, seq: message.seq)
            precondition(again.ts == message.ts && again.from == message.from && again.data == message.data, "entry round trip")
        }
    }
    if let entry = try? ClusterCodec.decodeEntry(buffer, topic: "t", seq: 1) {
        let again = try! ClusterCodec.decodeEntry(ClusterCodec.entry(entry), topic: "t", seq: 1)
        precondition(again.ts == entry.ts && again.from == entry.from && again.data == entry.data, "entry round trip")
    }
    return 0
}
