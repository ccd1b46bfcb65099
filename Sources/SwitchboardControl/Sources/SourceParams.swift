import SwitchboardCore

/// Reads a source's `params` object, one named parameter at a time, with a
/// specific error per parameter (which one, and why) and defaults for the rest.
///
/// ```swift
/// var params = try SourceParams(json, kind: "sensor")
/// let rate = try params.number("rate_hz", default: 1, in: 0.001...1000)
/// try params.rejectUnknown()
/// ```
struct SourceParams {
    let kind: String
    private let members: [(String, JSONValue)]
    private var read: Set<String> = []

    init(_ params: JSONValue, kind: String) throws(HubError) {
        self.kind = kind
        switch params {
        case .null: self.members = []
        case .object(let members): self.members = members
        default: throw .badRequest("params must be an object, not \(params.typeName)")
        }
    }

    private mutating func value(_ name: String) -> JSONValue? {
        self.read.insert(name)
        guard let value = self.members.last(where: { $0.0 == name })?.1, value != .null else { return nil }
        return value
    }

    /// A number within `range`, or `fallback` when absent.
    mutating func number(_ name: String, default fallback: Double, in range: ClosedRange<Double>) throws(HubError) -> Double {
        try self.optionalNumber(name, in: range) ?? fallback
    }

    mutating func optionalNumber(_ name: String, in range: ClosedRange<Double>) throws(HubError) -> Double? {
        guard let value = self.value(name) else { return nil }
        guard let number = value.doubleValue, number.isFinite else {
            throw .badRequest("\(self.kind) param '\(name)' must be a number, not \(value.typeName)")
        }
        guard range.contains(number) else {
            throw .badRequest(
                "\(self.kind) param '\(name)' must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound)), not \(Self.format(number))"
            )
        }
        return number
    }

    /// A whole number within `range`, or `nil` when absent.
    mutating func optionalInteger(_ name: String, in range: ClosedRange<Int>) throws(HubError) -> Int? {
        guard let value = self.value(name) else { return nil }
        guard let number = value.int64Value else {
            throw .badRequest(
                "\(self.kind) param '\(name)' must be a whole number, not \(value.typeName == "a number" ? value.serialized : value.typeName)"
            )
        }
        guard number >= Int64(range.lowerBound), number <= Int64(range.upperBound) else {
            throw .badRequest("\(self.kind) param '\(name)' must be between \(range.lowerBound) and \(range.upperBound), not \(number)")
        }
        return Int(number)
    }

    mutating func string(_ name: String) throws(HubError) -> String? {
        guard let value = self.value(name) else { return nil }
        guard let text = value.stringValue else {
            throw .badRequest("\(self.kind) param '\(name)' must be a string, not \(value.typeName)")
        }
        return text
    }

    mutating func requiredString(_ name: String, hint: String) throws(HubError) -> String {
        guard let text = try self.string(name), !text.isEmpty else {
            throw .badRequest("\(self.kind) param '\(name)' is required: \(hint)")
        }
        return text
    }

    mutating func bool(_ name: String, default fallback: Bool) throws(HubError) -> Bool {
        guard let value = self.value(name) else { return fallback }
        guard let flag = value.boolValue else {
            throw .badRequest("\(self.kind) param '\(name)' must be true or false, not \(value.typeName)")
        }
        return flag
    }

    /// The raw value, for parameters with a shape of their own.
    mutating func raw(_ name: String) -> JSONValue? {
        self.value(name)
    }

    /// Refuses parameters the kind does not know, so a typo is not silently ignored.
    func rejectUnknown() throws(HubError) {
        let known = self.read.sorted()
        for (name, _) in self.members where !self.read.contains(name) {
            throw .badRequest("unknown \(self.kind) param '\(name)'; known params: \(known.joined(separator: ", "))")
        }
    }

    static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}
