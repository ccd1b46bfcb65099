import Foundation
import NIOCore

/// How many event-loop threads the hub runs.
public enum EventLoopThreads {
    /// Sizes NIO's shared event-loop group by the CPUs this process may run on.
    ///
    /// NIO counts the machine's cores (or the cgroup's CPU quota) but not the affinity mask that
    /// `taskset` or a cpuset sets. Two loops on one allowed CPU only take turns and switch context
    /// on every wake-up, and they split a fan-out that one loop would write in one pass.
    /// Call before anything touches the group; `NIO_SINGLETON_GROUP_LOOP_COUNT`, when set, wins.
    public static func matchCPUAffinity() {
        #if os(Linux)
        guard getenv("NIO_SINGLETON_GROUP_LOOP_COUNT") == nil else { return }
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
            let allowed = Self.count(cpuList: line.dropFirst("Cpus_allowed_list:".count)),
            allowed > 0, allowed < System.coreCount
        else { return }
        setenv("NIO_SINGLETON_GROUP_LOOP_COUNT", String(allowed), 0)
        #endif
    }

    /// The number of CPUs in a kernel CPU list such as `0`, `0-3` or `0,2-3`; nil if it is not one.
    static func count(cpuList: Substring) -> Int? {
        var total = 0
        for part in cpuList.trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int($0) }
            switch bounds.count {
            case 1:
                guard bounds[0] != nil else { return nil }
                total += 1
            case 2:
                guard let low = bounds[0], let high = bounds[1], low <= high else { return nil }
                total += high - low + 1
            default:
                return nil
            }
        }
        return total
    }
}
