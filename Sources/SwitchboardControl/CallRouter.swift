public import SwitchboardCore
import Synchronization

/// Who is calling a method, for methods whose answer depends on it.
public struct CallContext: Sendable {
    /// The caller's device or client id, if it said one.
    public var device: String?

    public init(device: String?) {
        self.device = device
    }
}

/// The `call` methods of `/ws` (`sources.*`, `devices.*`, `commands.*`): a name → handler table.
public final class CallRouter: Sendable {
    public typealias Handler = @Sendable (_ params: JSONValue, _ context: CallContext) async throws(HubError) -> JSONValue

    private let handlers = Mutex<[String: Handler]>([:])

    public init() {}

    public func register(_ method: String, _ handler: @escaping Handler) {
        self.handlers.withLock { $0[method] = handler }
    }

    /// Every method name, sorted.
    public var methods: [String] { self.handlers.withLock { $0.keys.sorted() } }

    public func handler(for method: String) -> Handler? {
        self.handlers.withLock { $0[method] }
    }
}

extension JSONValue {
    /// The `params` object of a call or request, for methods that take named parameters.
    public func requiredString(_ key: String) throws(HubError) -> String {
        guard let value = self[key] else { throw .badRequest("missing \(key)") }
        guard let text = value.stringValue, !text.isEmpty else { throw .badRequest("\(key) must be a non-empty string") }
        return text
    }
}
