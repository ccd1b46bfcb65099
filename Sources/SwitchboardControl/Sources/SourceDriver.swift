import SwitchboardCore

/// One kind of source (`sensor`, `exec`, …): validates its params when the
/// source is created, describes its topic for dashboards, and produces messages while it runs.
protocol SourceDriver: Sendable {
    /// Reads and checks `params`; a bad one is a `bad_request` naming the param and why.
    init(params: JSONValue) throws(HubError)

    /// The stream descriptor set on the source's topic when it is created (SPEC's shape), or `nil` if unknown.
    func descriptor(title: String) -> JSONValue?

    /// Refuses a topic this source cannot publish to (a replay into its own origin).
    func check(topic: Topic) throws(HubError)

    /// Produces messages until the task is cancelled (stop, delete, shutdown) or the source is done.
    func run(_ context: SourceContext) async
}

extension SourceDriver {
    func check(topic: Topic) throws(HubError) {}
}

/// Every kind a source can be, by the name clients use.
enum SourceKinds {
    static let all: [(name: String, type: any SourceDriver.Type)] = [
        ("clock", ClockSource.self),
        ("sensor", SensorSource.self),
        ("accel", AccelSource.self),
        ("sine", SineSource.self),
        ("exec", ExecSource.self),
        ("tcp-client", TCPClientSource.self),
        ("replay", ReplaySource.self),
        ("race", RaceSource.self),
    ]

    /// A driver for `kind` with `params`, or a `bad_request` that lists the kinds.
    static func driver(kind: String, params: JSONValue) throws(HubError) -> any SourceDriver {
        guard let type = Self.all.first(where: { $0.name == kind })?.type else {
            throw .badRequest("unknown source kind '\(kind)'; kinds are \(Self.all.map(\.name).joined(separator: ", "))")
        }
        return try type.init(params: params)
    }
}

extension JSONValue {
    /// A number rounded to `places` decimals, so simulated readings stay short on the wire.
    static func rounded(_ value: Double, places: Int = 3) -> JSONValue {
        var factor = 1.0
        for _ in 0..<places { factor *= 10 }
        return .double((value * factor).rounded() / factor)
    }

    /// SPEC's stream descriptor: `{"title","kind","fields","unit","window"}`.
    static func descriptor(title: String, kind: String, fields: [String], unit: String? = nil, window: Int = 200) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("title", .string(title)), ("kind", .string(kind)), ("fields", .array(fields.map { .string($0) })),
        ]
        if let unit, !unit.isEmpty { members.append(("unit", .string(unit))) }
        members.append(("window", .int(window)))
        return .object(members)
    }
}
