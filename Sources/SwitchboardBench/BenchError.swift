/// Why a benchmark run could not produce figures.
enum BenchError: Error, CustomStringConvertible {
    case badURL(String)
    case upgradeRefused(String)
    case timedOut(String)

    var description: String {
        switch self {
        case .badURL(let url): "not a ws:// URL: \(url)"
        case .upgradeRefused(let url): "server refused the WebSocket upgrade for \(url)"
        case .timedOut(let what): "timed out: \(what)"
        }
    }
}
