import Foundation
import Testing

@testable import SwitchboardRace

#if canImport(Glibc)
import Glibc
#endif

/// The live capture through libpcap (loaded with dlopen): clear errors, and a real capture of the
/// JDK stream sent over loopback (needs libpcap0.8 and capture rights, so it runs as root only).
@Suite struct LiveCaptureTests {
    static let libpcapPresent = LiveCapture.libraryNames.contains { name in
        guard let handle = dlopen(name, RTLD_NOW) else { return false }
        dlclose(handle)
        return true
    }
    static let canCapture = libpcapPresent && geteuid() == 0 && JavaFixtures.enabled

    @Test func aMissingLibraryIsAClearError() {
        #expect {
            _ = try LiveCapture(interface: "lo", filter: "tcp", libraryNames: ["libpcap-not-installed.so.9"])
        } throws: { error in
            "\(error)".contains("libpcap is not installed") && "\(error)".contains("apt-get install libpcap0.8") && "\(error)".contains("tap")
        }
    }

    @Test(.enabled(if: libpcapPresent)) func anUnknownInterfaceAndABadFilterAreClearErrors() {
        #expect {
            _ = try LiveCapture(interface: "no-such-interface0", filter: "tcp")
        } throws: { error in
            "\(error)".hasPrefix("cannot capture on no-such-interface0: ")
        }
        if geteuid() == 0 {
            #expect {
                _ = try LiveCapture(interface: "lo", filter: "tcp and and")
            } throws: { error in
                "\(error)".hasPrefix("the capture filter 'tcp and and' is not valid")
            }
        }
    }

    @Test func theFilterNamesBothHostsAndThePort() {
        #expect(LiveCapture.filter(hosts: ["192.168.100.10", "192.168.100.20"], port: 4711) == "tcp and host 192.168.100.10 and host 192.168.100.20 and port 4711")
    }

    @Test(.enabled(if: canCapture, "needs libpcap, root and the JDK")) func theStreamSentOverLoopbackIsCapturedAndDecodedExactly() async throws {
        let fixtures = try JavaFixtures.load()
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        try #require(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let capture = try LiveCapture(interface: "lo", filter: LiveCapture.filter(hosts: ["127.0.0.1"], port: port))
        let receiver = Thread {
            let connection = accept(listener, nil, nil)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while buffer.withUnsafeMutableBytes({ recv(connection, $0.baseAddress, $0.count, 0) }) > 0 {}
            close(connection)
            close(listener)
        }
        receiver.start()
        let stream = fixtures.stream
        let listening = address
        let sender = Thread {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var target = listening
            _ = withUnsafePointer(to: &target) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            var offset = 0
            while offset < stream.count {
                let end = min(stream.count, offset + 3000)
                let sent = stream[offset..<end].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent <= 0 { break }
                offset += sent
                usleep(200)
            }
            close(fd)
        }
        sender.start()
        var decoder = CaptureDecoder(port: UInt16(port))
        var snapshots: [Snapshot] = []
        var quiet = 0
        let deadline = Date().addingTimeInterval(30)
        while quiet < 5, Date() < deadline {
            switch try capture.next() {
            case .frame(let frame):
                quiet = 0
                snapshots += decoder.add(frame)
            case .timeout:
                quiet += snapshots.count >= fixtures.expected.count ? 1 : 0
            }
        }
        snapshots += decoder.finish()
        #expect(snapshots.map(\.json) == fixtures.expected)
    }
}
