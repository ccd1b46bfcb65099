import SwitchboardCore

/// What `serve --demo` creates (if missing) and starts, so a newcomer's dashboard is alive at once.
enum DemoSources {
    static let all: [SourceDefinition] = [
        SourceDefinition(
            name: "demo-temperature",
            kind: "sensor",
            topic: "demo/temperature",
            params: .object([("rate_hz", .int(2)), ("unit", .string("°C")), ("min", .int(15)), ("max", .int(30)), ("start", .int(21))]),
            running: true
        ),
        SourceDefinition(name: "demo-clock", kind: "clock", topic: "demo/clock", params: .object([]), running: true),
        SourceDefinition(name: "demo-accel", kind: "accel", topic: "demo/accel", params: .object([("rate_hz", .int(20))]), running: true),
        SourceDefinition(name: "demo-wave", kind: "sine", topic: "demo/wave", params: .object([("rate_hz", .int(10))]), running: true),
    ]
}
