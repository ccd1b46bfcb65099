import SwitchboardCore

extension ControlPlane {
    /// `sources.list`, `sources.get`, `sources.create`, `sources.start`, `sources.stop`, `sources.delete`
    /// over `/ws` `call`: params as the REST body (create) or `{"name":…}`; answers as REST does.
    func registerSourceCalls() {
        let sources = self.sources
        self.calls.register("sources.list") { (_: JSONValue, _: CallContext) async throws(HubError) -> JSONValue in
            .object([("sources", .array(await sources.list()))])
        }
        self.calls.register("sources.get") { (params: JSONValue, _: CallContext) async throws(HubError) -> JSONValue in
            try await sources.get(params.requiredString("name"))
        }
        self.calls.register("sources.create") { (params: JSONValue, _: CallContext) async throws(HubError) -> JSONValue in
            try await sources.create(params)
        }
        self.calls.register("sources.start") { (params: JSONValue, _: CallContext) async throws(HubError) -> JSONValue in
            try await sources.start(params.requiredString("name"))
        }
        self.calls.register("sources.stop") { (params: JSONValue, _: CallContext) async throws(HubError) -> JSONValue in
            try await sources.stop(params.requiredString("name"))
        }
        self.calls.register("sources.delete") { (params: JSONValue, _: CallContext) async throws(HubError) -> JSONValue in
            try await sources.delete(params.requiredString("name"))
        }
    }
}
