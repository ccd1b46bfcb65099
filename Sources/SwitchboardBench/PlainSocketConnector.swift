#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Histogram
import NIOCore

/// Opens and closes WebSocket connections with plain non-blocking sockets and `poll`, on the
/// calling thread: the load generator of `bench connect`. Through NIO (a channel, a pipeline and
/// promises per connection) the generator saturated its core before the hub did, and reported its
/// own limit rather than the server's. Linux only, like the rest of the benchmarks.
final class PlainSocketConnector {
    struct Opened {
        /// The connections whose upgrade completed, still open.
        var sockets: [Int32] = []
        var failed = 0
        var firstFailure: String?
        /// Set-up time of each opened connection (connect, upgrade request, `101` answer), ns.
        var setup = LatencySummary.makeHistogram()
    }

    struct Closed {
        var closing = 0
        var forced = 0
        var seconds: Double = 0
    }

    private let address: SocketAddress
    /// 127.0.0.1 … 127.0.0.N, taken in turn (empty: sockets are not bound).
    private let sources: [SocketAddress]
    private let timeoutNanoseconds: UInt64

    init(address: SocketAddress, sourceAddresses: Int, timeout: Double) throws {
        self.address = address
        self.sources = try (0..<sourceAddresses).map { try SocketAddress(ipAddress: "127.0.0.\($0 + 1)", port: 0) }
        self.timeoutNanoseconds = UInt64(timeout * 1e9)
    }

    // MARK: - Opening

    /// One connection under way.
    private struct Attempt {
        let socket: Int32
        let number: Int
        let begun: UInt64
        var upgrading = false
        var received: [UInt8] = []
    }

    /// Opens connections 0 ..< `count`, at most `concurrency` under way, until `maxFailures` failed.
    func openAll(count: Int, concurrency: Int, maxFailures: Int, request: (Int) -> [UInt8]) -> Opened {
        var opened = Opened()
        opened.sockets.reserveCapacity(count)
        var slots = [Attempt?](repeating: nil, count: max(1, concurrency))
        var freeSlots = Array((0..<slots.count).reversed())
        var next = 0
        var polled: [pollfd] = []
        var polledSlots: [Int] = []
        var lastScan = Self.now()

        func fail(_ slot: Int, _ reason: String) {
            let attempt = slots[slot]!
            close(attempt.socket)
            slots[slot] = nil
            freeSlots.append(slot)
            opened.failed += 1
            if opened.firstFailure == nil { opened.firstFailure = "connection \(attempt.number): \(reason)" }
        }

        while true {
            while !freeSlots.isEmpty, next < count, opened.failed < maxFailures {
                let slot = freeSlots.removeLast()
                let number = next
                next += 1
                let begun = Self.now()
                do {
                    let socket = try self.connect(number: number)
                    slots[slot] = Attempt(socket: socket, number: number, begun: begun)
                } catch {
                    freeSlots.append(slot)
                    opened.failed += 1
                    if opened.firstFailure == nil { opened.firstFailure = "connection \(number): \(error)" }
                }
            }
            if freeSlots.count == slots.count { break }

            // Connecting sockets wait to be writable, upgrading ones for the answer.
            polled.removeAll(keepingCapacity: true)
            polledSlots.removeAll(keepingCapacity: true)
            for (slot, attempt) in slots.enumerated() {
                guard let attempt else { continue }
                polled.append(pollfd(fd: attempt.socket, events: Int16(attempt.upgrading ? POLLIN : POLLOUT), revents: 0))
                polledSlots.append(slot)
            }
            let ready = poll(&polled, nfds_t(polled.count), 10)
            for index in polled.indices where ready > 0 && polled[index].revents != 0 {
                let slot = polledSlots[index]
                guard var attempt = slots[slot] else { continue }
                if !attempt.upgrading {
                    // Connected (or refused): send the upgrade request, then wait for the answer.
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(attempt.socket, SOL_SOCKET, SO_ERROR, &error, &length)
                    if error != 0 {
                        fail(slot, "connect: \(Self.describe(error))")
                        continue
                    }
                    let bytes = request(attempt.number)
                    let written = bytes.withUnsafeBytes { Self.send(attempt.socket, $0) }
                    guard written == bytes.count else {
                        fail(slot, written < 0 ? "write: \(Self.describe(errno))" : "short write of the upgrade request")
                        continue
                    }
                    attempt.upgrading = true
                    slots[slot] = attempt
                    continue
                }
                switch Self.readAnswer(attempt.socket, into: &attempt.received) {
                case .incomplete:
                    slots[slot] = attempt
                case .refused(let reason):
                    fail(slot, reason)
                case .upgraded:
                    opened.sockets.append(attempt.socket)
                    opened.setup.record(min(Self.now() - attempt.begun, ReceiveTotals.highestLatency))
                    slots[slot] = nil
                    freeSlots.append(slot)
                }
            }

            let now = Self.now()
            if now - lastScan > 50_000_000 {
                lastScan = now
                for slot in slots.indices where slots[slot].map({ now - $0.begun > self.timeoutNanoseconds }) == true {
                    fail(slot, "no upgrade within \(Double(self.timeoutNanoseconds) / 1e9) s")
                }
            }
        }
        return opened
    }

    /// A new non-blocking socket connecting (or connected) to the server, from its source address.
    private func connect(number: Int) throws -> Int32 {
        let family = self.address.protocol == .inet6 ? AF_INET6 : AF_INET
        let socket = Glibc.socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw BenchError.system("socket", errno) }
        if !self.sources.isEmpty {
            // The port is chosen at connect, per destination (IP_BIND_ADDRESS_NO_PORT): see ClientSockets.
            var on: Int32 = 1
            setsockopt(socket, Int32(IPPROTO_IP), 24, &on, socklen_t(MemoryLayout<Int32>.size))
            let bound = self.sources[number % self.sources.count].withSockAddr { bind(socket, $0, socklen_t($1)) }
            guard bound == 0 else {
                let code = errno
                close(socket)
                throw BenchError.system("bind", code)
            }
        }
        let result = self.address.withSockAddr { Glibc.connect(socket, $0, socklen_t($1)) }
        guard result == 0 || errno == EINPROGRESS else {
            let code = errno
            close(socket)
            throw BenchError.system("connect", code)
        }
        return socket
    }

    /// Reads what the server sent so far and judges its answer's head once complete.
    private static func readAnswer(_ socket: Int32, into received: inout [UInt8]) -> UpgradeHandshake.Answer {
        var chunk = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(socket, $0.baseAddress, $0.count) }
            if count == 0 { return .refused("connection closed before the upgrade") }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                return .refused("read: \(describe(errno))")
            }
            received.append(contentsOf: chunk[0..<count])
            if count < chunk.count { break }
        }
        return UpgradeHandshake.judge(received)
    }

    // MARK: - Holding and closing

    /// How many of `sockets` the server has closed: reads what they hold (a ping, a close frame) and
    /// counts those whose stream has ended.
    func closedByServer(_ sockets: [Int32]) -> Int {
        var sink = [UInt8](repeating: 0, count: 4096)
        return sockets.filter { socket in
            while true {
                let count = sink.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if count > 0 { continue }
                return count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
            }
        }.count
    }

    /// Sends each socket a close frame (1000, masked), waits up to `grace` for the server to close
    /// it, then closes what is left by force.
    func closeAll(_ sockets: [Int32], grace: Double) -> Closed {
        let started = Self.now()
        var closed = Closed(closing: sockets.count)
        // FIN, close, mask 0 (a zero mask leaves the payload as is), payload 03 E8 = 1000.
        let frame: [UInt8] = [0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8]
        var open: [pollfd] = []
        for socket in sockets {
            if frame.withUnsafeBytes({ Self.send(socket, $0) }) == frame.count {
                open.append(pollfd(fd: socket, events: Int16(POLLIN), revents: 0))
            } else {
                close(socket)  // already gone
            }
        }
        var sink = [UInt8](repeating: 0, count: 4096)
        let deadline = started + UInt64(grace * 1e9)
        while !open.isEmpty, Self.now() < deadline {
            guard poll(&open, nfds_t(open.count), 10) > 0 else { continue }
            // The server's close frame, then its end of the stream.
            open.removeAll { entry in
                guard entry.revents != 0 else { return false }
                let count = sink.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                guard count == 0 || (count < 0 && errno != EAGAIN) else { return false }
                close(entry.fd)
                return true
            }
        }
        for entry in open { close(entry.fd) }
        closed.forced = open.count
        closed.seconds = Double(Self.now() - started) / 1e9
        return closed
    }

    /// `send` without `SIGPIPE`: a socket the server already closed must not end the run.
    private static func send(_ socket: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        Glibc.send(socket, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
    }

    private static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    private static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}
