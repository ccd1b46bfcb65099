#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The number of files this process may open: thousands of client connections
/// need more than the usual soft limit of 1024.
enum FileDescriptorLimit {
    /// Raises the soft limit to the hard limit and returns the soft limit now in force
    /// (nil if it cannot be read).
    @discardableResult
    static func raiseToHardLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(resource, &limit)
            guard getrlimit(resource, &limit) == 0 else { return nil }
        }
        return Int(clamping: limit.rlim_cur)
    }

    #if canImport(Glibc)
    // Glibc imports the resource as an enum.
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
