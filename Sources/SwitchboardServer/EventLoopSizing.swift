import Foundation
public import NIOCore

/// How many event loops the hub runs: one per CPU it may run on.
///
/// NIO sizes its shared group by the machine's cores (and a cgroup's cpuset), not by the
/// process's CPU affinity: a hub started under `taskset -c 0` (or systemd's `CPUAffinity=`) ran two
/// loops on one core, and every connection handed from the accepting loop to the other cost a
/// cross-thread wake-up — about a quarter of the connection set-up rate.
public enum EventLoopSizing {
    /// Sizes NIO's shared event loop group to the CPUs this process may run on, unless
    /// `NIO_SINGLETON_GROUP_LOOP_COUNT` says otherwise. Call once, before anything uses the group.
    public static func fitToCPUAffinity(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard environment["NIO_SINGLETON_GROUP_LOOP_COUNT"] == nil,
            let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let allowed = cpusAllowed(status: status), allowed < System.coreCount
        else { return }
        NIOSingletons.groupLoopCountSuggestion = allowed
    }

    /// The number of CPUs in `/proc/self/status`'s `Cpus_allowed_list` (`0`, `0-3`, `0,2-3`).
    static func cpusAllowed(status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        var count = 0
        for range in line.dropFirst("Cpus_allowed_list:".count).split(separator: ",") {
            let bounds = range.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            switch bounds.count {
            case 1: guard bounds[0] != nil else { return nil }; count += 1
            case 2: guard let low = bounds[0], let high = bounds[1], high >= low else { return nil }; count += high - low + 1
            default: return nil
            }
        }
        return count > 0 ? count : nil
    }
}
