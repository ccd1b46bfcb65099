import Logging
public import SwitchboardCore

/// Every managed source: its record, its driver and the task running it.
///
/// Operations that change a source (create, start, stop, delete, and the failures and recoveries
/// a running source reports) pass one at a time through a gate, and each publishes its event on
/// `$sys/sources` and waits for the commit before the next begins — so every subscriber sees
/// every change, in the order the changes happened, before the caller gets its answer.
public actor SourceRegistry {
    struct Entry {
        var record: SourceRecord
        /// `nil` when the stored params no longer make a driver (then the source is `failed`).
        var driver: (any SourceDriver)?
        var task: Task<Void, Never>?
        /// Bumped whenever a run starts or ends, so reports of an earlier run are ignored.
        var generation = 0
    }

    struct Report: Sendable {
        let name: String
        let generation: Int
        let report: SourceReport
    }

    static let collection = "sources"

    let hub: Hub
    let store: any DocumentStore
    let events: SystemEvents
    let configuration: ControlConfiguration
    let logger: Logger
    private var entries: [String: Entry] = [:]
    /// Held from the start until the stored sources are loaded, so no request sees a half-loaded registry.
    private var gateBusy = true
    private var gateWaiters: [CheckedContinuation<Void, Never>] = []
    private let reports: AsyncStream<Report>
    private let reportSink: AsyncStream<Report>.Continuation
    private var reportConsumer: Task<Void, Never>?
    /// Set at shutdown: nothing may start after the running sources were stopped.
    private var shuttingDown = false
    /// In a cluster: a source runs only on the node holding its lease.
    private var leases: (any SourceLeases)?
    private var balancer: Task<Void, Never>?

    init(hub: Hub, store: any DocumentStore, events: SystemEvents, configuration: ControlConfiguration, logger: Logger) {
        self.hub = hub
        self.store = store
        self.events = events
        self.configuration = configuration
        self.logger = logger
        (self.reports, self.reportSink) = AsyncStream.makeStream(of: Report.self)
    }

    // MARK: - Reading

    /// Every source, sorted by name. Waits for a change in progress, so a reader sees it once it is announced.
    public func list() async -> [JSONValue] {
        await self.acquire()
        defer { self.release() }
        return self.entries.keys.sorted().compactMap { self.entries[$0]?.record.json }
    }

    public func get(_ name: String) async throws(HubError) -> JSONValue {
        await self.acquire()
        defer { self.release() }
        return try self.entry(name).record.json
    }

    private func entry(_ name: String) throws(HubError) -> Entry {
        guard let entry = self.entries[name] else { throw .notFound("no source named '\(name)'") }
        return entry
    }

    // MARK: - Changing

    /// Creates a source from a `POST /api/v1/sources` body, stores it and starts it unless `state` is `stopped`.
    public func create(_ body: JSONValue) async throws(HubError) -> JSONValue {
        var record = try SourceRecord(json: body)
        let driver = try self.driver(for: record)
        await self.acquire()
        defer { self.release() }
        try self.refuseWhileShuttingDown()
        guard self.entries[record.name] == nil else { throw .conflict("a source named '\(record.name)' already exists") }
        try self.save(record)
        self.describe(record, driver: driver)
        let running = record.desired == .running
        record.state = .stopped
        self.entries[record.name] = Entry(record: record, driver: driver)
        await self.publish("created", record)
        if running { await self.launch(record.name) }
        self.logger.info("Source created", metadata: ["source": "\(record.name)", "kind": "\(record.kind)"])
        return self.entries[record.name]!.record.json
    }

    /// Starts a stopped or failed source (a failed one starts afresh, without waiting for its back-off).
    public func start(_ name: String) async throws(HubError) -> JSONValue {
        await self.acquire()
        defer { self.release() }
        try self.refuseWhileShuttingDown()
        var entry = try self.entry(name)
        guard entry.record.state != .running else { return entry.record.json }
        guard entry.driver != nil else {
            throw .badRequest("source '\(name)' cannot start: \(entry.record.error ?? "its params are not valid")")
        }
        await self.halt(name)
        entry.record.desired = .running
        try self.save(entry.record)
        self.entries[name]?.record.desired = .running
        await self.launch(name)
        return self.entries[name]!.record.json
    }

    /// Stops a source; a stopped source stays stopped across restarts.
    public func stop(_ name: String) async throws(HubError) -> JSONValue {
        await self.acquire()
        defer { self.release() }
        var entry = try self.entry(name)
        guard entry.record.state != .stopped || entry.record.desired != .stopped else { return entry.record.json }
        await self.halt(name)
        entry.record.desired = .stopped
        entry.record.state = .stopped
        entry.record.error = nil
        try self.save(entry.record)
        self.entries[name]?.record = entry.record
        await self.publish("stopped", entry.record)
        return entry.record.json
    }

    /// Stops and forgets a source. Its topic and messages stay.
    public func delete(_ name: String) async throws(HubError) -> JSONValue {
        await self.acquire()
        defer { self.release() }
        var record = try self.entry(name).record
        await self.halt(name)
        do {
            try self.store.deleteDocument(collection: Self.collection, id: name)
        } catch {
            throw .unavailable("could not delete source '\(name)' from the store: \(error)")
        }
        self.entries[name] = nil
        record.state = .stopped
        record.error = nil
        await self.publish("deleted", record)
        self.logger.info("Source deleted", metadata: ["source": "\(name)"])
        return record.json
    }

    /// Makes this registry one node's part of a cluster (call before ``start()``).
    public func attach(_ leases: any SourceLeases) {
        self.leases = leases
    }

    // MARK: - Lifecycle

    /// Loads the stored sources and starts those that should run; then creates the configured
    /// sources that are missing, and with `demo` the demo sources. Call after the hub started.
    func start() async {
        self.reportConsumer = Task { [reports] in
            for await report in reports { await self.apply(report) }
        }
        await self.loadStored()
        self.release()
        for definition in self.configuration.sources where self.entries[definition.name] == nil {
            await self.createLogged(definition, why: "configured")
        }
        if self.configuration.demo {
            for definition in DemoSources.all {
                if self.entries[definition.name] == nil {
                    await self.createLogged(definition, why: "demo")
                } else if self.entries[definition.name]?.record.state != .running {
                    _ = try? await self.start(definition.name)
                }
            }
        }
        if let leases {
            self.balancer = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: leases.renewInterval)
                    await self?.balance()
                }
            }
        }
    }

    /// In a cluster, every lease interval: picks up sources other nodes created, changed or deleted,
    /// renews the leases of the sources running here (stopping any whose lease was lost), and starts
    /// those that should run and that no node holds — a dead node's sources move here.
    private func balance() async {
        guard let leases else { return }
        await self.acquire()
        defer { self.release() }
        guard !self.shuttingDown else { return }
        guard let documents = try? self.store.loadDocuments(collection: Self.collection) else { return }
        var stored: [String: SourceRecord] = [:]
        for document in documents {
            if let record = try? SourceRecord(json: try JSONParser.parse(document.body)) { stored[record.name] = record }
        }
        for name in self.entries.keys where stored[name] == nil {
            await self.halt(name)  // Deleted on another node.
            self.entries[name] = nil
        }
        for (name, record) in stored {
            if self.entries[name] == nil {
                var fresh = record
                fresh.state = .stopped
                self.entries[name] = Entry(record: fresh, driver: try? self.driver(for: fresh))
            }
            self.entries[name]?.record.desired = record.desired
            let runsHere = self.entries[name]?.task != nil
            switch (record.desired, runsHere) {
            case (.running, true):
                if !(await leases.hold(name)) {
                    self.logger.warning("Lost a source's lease to another node; stopping it here", metadata: ["source": "\(name)"])
                    await self.halt(name)
                }
            case (.running, false):
                await self.launch(name)
            case (.stopped, true):
                await self.halt(name)  // Stopped on another node.
                self.entries[name]?.record.state = .stopped
            case (_, false):
                self.entries[name]?.record.state = .stopped
            case (.failed, true):
                break  // Not a desired state.
            }
        }
    }

    /// Stops every running source for shutdown; their desired states stay stored for the next start.
    func stop() async {
        self.balancer?.cancel()
        await self.acquire()
        defer { self.release() }
        self.shuttingDown = true
        let tasks = self.entries.values.compactMap(\.task)
        for name in self.entries.keys {
            self.entries[name]?.generation += 1
            self.entries[name]?.task = nil
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        if let leases {
            // Hand the sources over now rather than after the lease expires.
            for (name, entry) in self.entries where entry.record.desired == .running { await leases.release(name) }
        }
        self.reportSink.finish()
        self.reportConsumer?.cancel()
    }

    /// Runs while the gate is still held from `init`.
    private func loadStored() async {
        let documents: [(id: String, body: String)]
        do {
            documents = try self.store.loadDocuments(collection: Self.collection)
        } catch {
            self.logger.error("Could not load the stored sources", metadata: ["error.type": "\(error)"])
            return
        }
        for document in documents {
            do {
                var record = try SourceRecord(json: try JSONParser.parse(document.body))
                record.state = .stopped
                do {
                    let driver = try self.driver(for: record)
                    self.entries[record.name] = Entry(record: record, driver: driver)
                    if record.desired == .running { await self.launch(record.name) }
                } catch {
                    // Kept, and shown as failed, so the user sees why instead of losing the source.
                    record.state = .failed
                    record.error = error.message
                    self.entries[record.name] = Entry(record: record, driver: nil)
                    await self.publish("failed", record)
                }
            } catch {
                self.logger.error("A stored source is unreadable; skipped", metadata: ["source": "\(document.id)", "error.type": "\(error)"])
            }
        }
    }

    private func createLogged(_ definition: SourceDefinition, why: String) async {
        do {
            _ = try await self.create(definition.json)
        } catch {
            self.logger.error("Could not create a \(why) source", metadata: ["source": "\(definition.name)", "error.type": "\(error)"])
        }
    }

    // MARK: - Running

    private func driver(for record: SourceRecord) throws(HubError) -> any SourceDriver {
        if record.kind == "exec" && !self.configuration.allowExec {
            throw .forbidden("exec sources run programs and are off; start the hub with --allow-exec (or allow_exec: true)")
        }
        let driver = try SourceKinds.driver(kind: record.kind, params: record.params)
        try driver.check(topic: record.topic)
        return driver
    }

    /// Starts the driver's task and publishes `started`.
    private func launch(_ name: String) async {
        guard var entry = self.entries[name], let driver = entry.driver else { return }
        if let leases, !(await leases.hold(name)) {
            // Another node of the cluster runs it.
            self.entries[name]?.record.state = .running
            return
        }
        entry.generation += 1
        let generation = entry.generation
        let sink = self.reportSink
        let context = SourceContext(
            name: name,
            topic: entry.record.topic,
            hub: self.hub,
            logger: self.logger,
            report: { sink.yield(Report(name: name, generation: generation, report: $0)) }
        )
        entry.task = Task { await driver.run(context) }
        entry.record.state = .running
        entry.record.error = nil
        self.entries[name] = entry
        await self.publish("started", entry.record)
    }

    /// Cancels the source's task and waits until it has ended, so nothing is published after its `stopped`.
    private func halt(_ name: String) async {
        guard let task = self.entries[name]?.task else { return }
        self.entries[name]?.generation += 1
        self.entries[name]?.task = nil
        task.cancel()
        await task.value
        await self.leases?.release(name)
    }

    /// Applies what a running source reported, unless that run has ended since.
    private func apply(_ report: Report) async {
        await self.acquire()
        defer { self.release() }
        guard var entry = self.entries[report.name], entry.generation == report.generation else { return }
        switch report.report {
        case .running:
            guard entry.record.state != .running else { return }
            entry.record.state = .running
            entry.record.error = nil
            self.entries[report.name] = entry
            await self.publish("started", entry.record)
        case .failed(let reason):
            entry.record.state = .failed
            entry.record.error = reason
            self.entries[report.name] = entry
            self.logger.warning("Source failed", metadata: ["source": "\(report.name)", "reason": "\(reason)"])
            await self.publish("failed", entry.record)
        case .finished:
            entry.generation += 1
            entry.task = nil
            entry.record.state = .stopped
            entry.record.desired = .stopped
            entry.record.error = nil
            self.entries[report.name] = entry
            try? self.save(entry.record)
            await self.publish("stopped", entry.record)
        }
    }

    // MARK: - Helpers

    private func refuseWhileShuttingDown() throws(HubError) {
        if self.shuttingDown { throw .unavailable("the hub is shutting down") }
    }

    private func save(_ record: SourceRecord) throws(HubError) {
        do {
            try self.store.saveDocument(collection: Self.collection, id: record.name, body: record.document.serialized)
        } catch {
            throw .unavailable("could not store source '\(record.name)': \(error)")
        }
    }

    /// Sets the stream descriptor a dashboard charts the topic by (a replay copies its origin's).
    private func describe(_ record: SourceRecord, driver: any SourceDriver) {
        // Data of unknown shape (a program's, a TCP peer's) gets a title; the dashboard infers the rest.
        let descriptor =
            driver.descriptor(title: record.name)?.serialized
            ?? (driver as? ReplaySource)?.descriptor(copiedFrom: self.hub)
            ?? JSONValue.object([("title", .string(record.name))]).serialized
        do {
            try self.hub.setDescriptor(descriptor, for: record.topic)
        } catch {
            self.logger.warning("Could not set a source's descriptor", metadata: ["source": "\(record.name)", "error.type": "\(error)"])
        }
    }

    private func publish(_ event: String, _ record: SourceRecord) async {
        await self.events.publish(SystemEvents.sources, event: event, kind: "source", object: record.json)
    }

    /// One change at a time, in arrival order; held across the awaits of a change.
    private func acquire() async {
        guard self.gateBusy else {
            self.gateBusy = true
            return
        }
        await withCheckedContinuation { self.gateWaiters.append($0) }
    }

    private func release() {
        if self.gateWaiters.isEmpty {
            self.gateBusy = false
        } else {
            // Handed straight to the next waiter: the gate stays busy.
            self.gateWaiters.removeFirst().resume()
        }
    }
}
