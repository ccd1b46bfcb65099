#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time used by this process, to tell whether the load generator itself was
/// the bottleneck of a run.
enum ProcessCPU {
    /// User plus system CPU time of the whole process, in nanoseconds.
    static func nanoseconds() -> UInt64 {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)  // Glibc imports the constant as an enum
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        func ns(_ t: timeval) -> UInt64 { UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_usec) * 1_000 }
        return ns(usage.ru_utime) + ns(usage.ru_stime)
    }
}
