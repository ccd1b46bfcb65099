#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A live capture on a network interface through libpcap, loaded with `dlopen` when first used —
/// so building Switchboard needs no libpcap headers and a hub without libpcap still runs (only
/// this mode then fails, saying what to install).
///
/// ```swift
/// let capture = try LiveCapture(interface: "eth0", filter: "tcp and host 192.168.100.10 and host 192.168.100.20")
/// while running { if case .frame(let frame) = try capture.next() { decoder.add(frame) } }
/// ```
/// `next()` blocks for at most the read timeout (100 ms), so a caller can stop between calls.
public final class LiveCapture: @unchecked Sendable {
    public enum Next: Sendable {
        case frame(CapturedFrame)
        /// Nothing arrived within the read timeout.
        case timeout
    }

    public struct Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Library names tried in order.
    public static let libraryNames = ["libpcap.so.1", "libpcap.so.0.8", "libpcap.so", "libpcap.A.dylib", "libpcap.dylib"]

    private let library: Library
    private let handle: OpaquePointer
    private let linkType: UInt32
    /// What poll() waits on; -1 where the platform has none (then reads are retried every 10 ms).
    private var descriptor: Int32 = -1

    /// Opens `interface` (promiscuous off) with a BPF `filter`; throws a clear error when libpcap is
    /// missing, the interface does not exist, the capture is not permitted or the filter is invalid.
    public init(interface: String, filter: String, libraryNames: [String] = LiveCapture.libraryNames) throws(Error) {
        let library = try Library.load(names: libraryNames)
        var errorBuffer = [CChar](repeating: 0, count: 512)
        guard let handle = library.openLive(interface, 262_144, 0, 100, &errorBuffer) else {
            let reason = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let rights = reason.lowercased().contains("permi")
                ? "; capturing needs root or the capabilities CAP_NET_RAW and CAP_NET_ADMIN (sudo setcap cap_net_raw,cap_net_admin=eip $(which switchboard)), or use mode \"tap\", which needs neither"
                : ""
            throw Error(description: "cannot capture on \(interface): \(reason)\(rights)")
        }
        self.library = library
        self.handle = handle
        self.linkType = UInt32(bitPattern: library.datalink(handle))
        // struct bpf_program { u_int bf_len; struct bpf_insn *bf_insns; }: 16 bytes, 8-aligned.
        let program = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 8)
        program.initializeMemory(as: UInt8.self, repeating: 0, count: 16)
        defer { program.deallocate() }
        // Every stored property is set: from here on a throw runs deinit, which closes the handle.
        guard library.compile(handle, program, filter, 1, 0xFFFF_FFFF) == 0 else {
            throw Error(description: "the capture filter '\(filter)' is not valid: \(library.lastError(handle))")
        }
        defer { library.freeCode(program) }
        guard library.setFilter(handle, program) == 0 else {
            throw Error(description: "cannot set the capture filter '\(filter)': \(library.lastError(handle))")
        }
        // Non-blocking, waited for with poll(): on Linux a read can block forever while nothing arrives.
        guard library.setNonblock(handle, 1, &errorBuffer) == 0 else {
            throw Error(description: "cannot capture on \(interface) without blocking: \(library.lastError(handle))")
        }
        self.descriptor = library.selectableDescriptor(handle)
    }

    deinit {
        self.library.close(self.handle)
    }

    /// The next frame, or `.timeout` after about 100 ms without one.
    public func next() throws(Error) -> Next {
        var header: UnsafeMutableRawPointer?
        var data: UnsafePointer<UInt8>?
        var result = self.library.nextEx(self.handle, &header, &data)
        if result == 0 {
            if self.descriptor >= 0 {
                var waiting = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&waiting, 1, 100)
            } else {
                usleep(10_000)
            }
            result = self.library.nextEx(self.handle, &header, &data)
        }
        switch result {
        case 1:
            guard let header, let data else { return .timeout }
            // struct pcap_pkthdr { struct timeval ts; bpf_u_int32 caplen; bpf_u_int32 len; }
            let captured = Int(header.load(fromByteOffset: MemoryLayout<timeval>.size, as: UInt32.self))
            return .frame(CapturedFrame(linkType: self.linkType, data: Array(UnsafeBufferPointer(start: data, count: captured))))
        case 0:
            return .timeout
        default:
            throw Error(description: "the capture ended: \(self.library.lastError(self.handle))")
        }
    }

    /// The libpcap functions this capture uses, looked up once.
    struct Library: @unchecked Sendable {
        typealias OpenLive = @convention(c) (UnsafePointer<CChar>, Int32, Int32, Int32, UnsafeMutablePointer<CChar>) -> OpaquePointer?
        typealias Compile = @convention(c) (OpaquePointer, UnsafeMutableRawPointer, UnsafePointer<CChar>, Int32, UInt32) -> Int32
        typealias SetFilter = @convention(c) (OpaquePointer, UnsafeMutableRawPointer) -> Int32
        typealias FreeCode = @convention(c) (UnsafeMutableRawPointer) -> Void
        typealias NextEx = @convention(c) (
            OpaquePointer, UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafeMutablePointer<UnsafePointer<UInt8>?>
        ) -> Int32
        typealias Datalink = @convention(c) (OpaquePointer) -> Int32
        typealias GetError = @convention(c) (OpaquePointer) -> UnsafePointer<CChar>?
        typealias Close = @convention(c) (OpaquePointer) -> Void
        typealias SetNonblock = @convention(c) (OpaquePointer, Int32, UnsafeMutablePointer<CChar>) -> Int32
        typealias SelectableDescriptor = @convention(c) (OpaquePointer) -> Int32

        let openLive: OpenLive
        let compile: Compile
        let setFilter: SetFilter
        let freeCode: FreeCode
        let nextEx: NextEx
        let datalink: Datalink
        let getError: GetError
        let close: Close
        let setNonblock: SetNonblock
        let selectableDescriptor: SelectableDescriptor

        static func load(names: [String]) throws(Error) -> Library {
            guard let library = names.lazy.compactMap({ dlopen($0, RTLD_NOW) }).first else {
                throw Error(
                    description: "libpcap is not installed (looked for \(names.joined(separator: ", "))): install it (Debian/Ubuntu: apt-get install libpcap0.8) or use mode \"tap\""
                )
            }
            func symbol<T>(_ name: String, as type: T.Type) throws(Error) -> T {
                guard let pointer = dlsym(library, name) else { throw Error(description: "libpcap has no \(name)") }
                return unsafeBitCast(pointer, to: type)
            }
            return Library(
                openLive: try symbol("pcap_open_live", as: OpenLive.self),
                compile: try symbol("pcap_compile", as: Compile.self),
                setFilter: try symbol("pcap_setfilter", as: SetFilter.self),
                freeCode: try symbol("pcap_freecode", as: FreeCode.self),
                nextEx: try symbol("pcap_next_ex", as: NextEx.self),
                datalink: try symbol("pcap_datalink", as: Datalink.self),
                getError: try symbol("pcap_geterr", as: GetError.self),
                close: try symbol("pcap_close", as: Close.self),
                setNonblock: try symbol("pcap_setnonblock", as: SetNonblock.self),
                selectableDescriptor: try symbol("pcap_get_selectable_fd", as: SelectableDescriptor.self)
            )
        }

        func lastError(_ handle: OpaquePointer) -> String {
            self.getError(handle).map { String(cString: $0) } ?? "unknown error"
        }
    }

    /// The BPF filter for the connection between two hosts (and a port, when given).
    public static func filter(hosts: [String], port: Int?) -> String {
        var parts = ["tcp"] + hosts.map { "host \($0)" }
        if let port { parts.append("port \(port)") }
        return parts.joined(separator: " and ")
    }
}
