import NIOCore

/// The receive buffer sizes of every accepted connection. NIO keeps a channel's
/// last receive buffer for the next read, so its size is memory that every idle
/// connection holds: NIO's default starts at 2 KiB, a quarter of an idle
/// WebSocket's whole footprint. This starts at 512 bytes (an upgrade request or
/// a device's line fits) and doubles whenever a read fills the buffer, up to
/// NIO's 64 KiB, so a busy publisher still reads in large chunks.
enum ReceiveBuffers {
    static let allocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536)
}
