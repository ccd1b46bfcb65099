/// A connection of a run could not be opened; names which one and where.
struct ConnectError: Error, CustomStringConvertible {
    let role: String
    let url: any CustomStringConvertible & Sendable
    let underlying: any Error

    var description: String { "\(role) could not connect to \(url): \(underlying)" }
}
