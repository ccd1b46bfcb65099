import NIOCore

/// Waits for a server to finish the work an earlier run left it (a failed run
/// can leave a long queue of publishes to commit), so that it does not fail the next.
enum ServerQuiet {
    /// Returns once process `pid` used less than `threshold` of a CPU over one second,
    /// or after `timeout` seconds (false), or at once if its CPU time cannot be read.
    @discardableResult
    static func wait(pid: Int32, threshold: Double = 0.05, timeout: Double = 60) async -> Bool {
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout * 1e9))
        while NIODeadline.now() < deadline {
            guard let before = ProcessStatus.cpuNanoseconds(pid: pid) else { return true }
            try? await Task.sleep(for: .seconds(1))
            guard let after = ProcessStatus.cpuNanoseconds(pid: pid) else { return true }
            if Double(after &- before) / 1e9 < threshold { return true }
        }
        return false
    }
}
