import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Memory and open files of a process, from Linux's `/proc`: the idle benchmark's
/// figure is the server's resident set size per connection.
enum ProcessStatus {
    /// `VmRSS` of process `pid` (this process when nil), in KiB; nil when unreadable.
    static func residentKiB(pid: Int32? = nil) -> Int? {
        guard let status = try? String(contentsOfFile: "\(directory(pid))/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            // "VmRSS:     12345 kB"
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) }
        }
        return nil
    }

    /// How many file descriptors process `pid` has open; nil when `/proc/<pid>/fd`
    /// cannot be read (another user's process).
    static func openFileDescriptors(pid: Int32? = nil) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "\(directory(pid))/fd"))?.count
    }

    /// User plus system CPU time of all threads of process `pid`, in nanoseconds
    /// (`utime` and `stime` of `/proc/<pid>/stat`); nil when unreadable.
    static func cpuNanoseconds(pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name (which may hold spaces): state, ppid, … utime is the 12th, stime the 13th.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        return (user + system) * (1_000_000_000 / clockTicksPerSecond)
    }

    private static let clockTicksPerSecond = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))

    /// Whether process `pid` still exists.
    static func exists(pid: Int32) -> Bool {
        FileManager.default.fileExists(atPath: directory(pid))
    }

    private static func directory(_ pid: Int32?) -> String {
        pid.map { "/proc/\($0)" } ?? "/proc/self"
    }
}
