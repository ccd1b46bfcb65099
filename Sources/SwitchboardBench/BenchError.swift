#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why a benchmark run could not produce figures.
enum BenchError: Error, CustomStringConvertible {
    case badURL(String)
    case upgradeRefused(String)
    case timedOut(String)
    case fillFailed(String)
    /// A system call failed, with its errno.
    case system(String, Int32)

    var description: String {
        switch self {
        case .badURL(let url): "not a ws:// URL: \(url)"
        case .upgradeRefused(let url): "server refused the WebSocket upgrade for \(url)"
        case .timedOut(let what): "timed out: \(what)"
        case .fillFailed(let why): "could not fill the topic: \(why)"
        case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
        }
    }
}
