import Logging
public import SwitchboardCore
import Synchronization

/// Commands to devices: created, delivered, answered, timed out — each change
/// stored (documents collection `commands`) and published on `$sys/commands` as
/// `{"event":"<state>","command":{…}}`.
///
/// Decisions:
/// - To a device never seen: `not_found`. To a known device that is offline:
///   queued when the request gives `ttl_ms`, else refused at once with
///   `device_offline` — a caller who did not ask to queue wants to know now,
///   not have a relay toggle hours later.
/// - Only a `queued` command can be cancelled (it has not reached the device);
///   cancelling a sent or finished one is `conflict`.
/// - After a restart, queued commands stay queued (until their ttl); commands
///   that were `sent` become `timed_out`: their answer can no longer arrive, and
///   like any timeout the device may or may not have run them.
/// - An answer is accepted from the command's own device, on any connection
///   (it may have reconnected); a late answer to a finished command is `conflict`.
public final class CommandCenter: Sendable {
    static let collection = "commands"
    /// Finished commands are kept this long (and with them their `key`).
    static let keepFinishedMs: Int64 = 7 * 24 * 3600 * 1000
    /// At most this many commands may be queued or sent at once.
    static let maxPending = 10_000
    /// Past this many commands in memory, finished ones beyond ``keepFinishedMs`` are dropped, then the oldest finished.
    static let maxKept = 20_000

    struct State {
        var commands: [String: Command] = [:]
        /// `device + "\0" + key` → command id.
        var keys: [String: String] = [:]
        var waiters: [String: [Int: Waiter]] = [:]
        var nextWaiter = 0
        var timers: [String: Task<Void, Never>] = [:]
        var stopped = false

        var pendingCount: Int { self.commands.values.count { !$0.state.isFinal } }
    }

    typealias Waiter = CheckedContinuation<Command?, Never>

    private let state = Mutex(State())
    let devices: DeviceRegistry
    let effects: ControlEffects
    let logger: Logger
    /// `params`, `result` and `error` each fit in a `$sys/commands` event with room for the rest of the command.
    let maxPayloadBytes: Int

    init(hub: Hub, store: any DocumentStore, events: SystemEvents, devices: DeviceRegistry, logger: Logger) {
        self.maxPayloadBytes = max(1024, hub.configuration.maxMessageBytes / 2 - 1024)
        self.devices = devices
        self.effects = devices.effects
        self.logger = logger
        self.load(store)
    }

    /// Reads stored commands back: drops old finished ones, finishes those a restart interrupted, re-arms ttl timers.
    private func load(_ store: any DocumentStore) {
        let documents: [(id: String, body: String)]
        do {
            documents = try store.loadDocuments(collection: Self.collection)
        } catch {
            self.logger.error("Loading stored commands failed", metadata: ["error.type": "\(error)"])
            return
        }
        let now = Hub.now()
        self.state.withLock { state in
            for document in documents {
                guard let json = try? JSONParser.parse(document.body), var command = Command(json: json) else {
                    self.logger.warning("Skipping an unreadable stored command", metadata: ["command.id": "\(document.id)"])
                    continue
                }
                if command.state.isFinal, let finished = command.finishedAt, finished < now - Self.keepFinishedMs {
                    self.effects.enqueue(.delete(collection: Self.collection, id: command.id))
                    continue
                }
                switch command.state {
                case .sent:
                    command.finish(
                        .timedOut,
                        now: now,
                        error: .timeout("the hub restarted before the device answered; the command may or may not have run")
                    )
                    self.record(command)
                case .queued:
                    if let expires = command.expiresAt, expires <= now {
                        command.finish(.expired, now: now, error: .timeout("the device did not connect within ttl_ms (\(command.ttlMs) ms)"))
                        self.record(command)
                    } else {
                        self.arm(command, deadline: command.expiresAt ?? now, state: &state)
                    }
                default:
                    break
                }
                state.commands[command.id] = command
                if let key = command.key { state.keys[Self.keyIndex(command.device, key)] = command.id }
            }
        }
    }

    /// Nothing to start: deadlines are armed as commands are loaded (in `init`) or created, and
    /// the effects they cause run on the device registry's queue, which the registry starts.
    func start() async {}

    /// Cancels the timers and releases waiters; commands keep their stored state.
    func stop() async {
        let (timers, waiters) = self.state.withLock { state in
            state.stopped = true
            defer {
                state.timers.removeAll()
                state.waiters.removeAll()
            }
            let waiters = state.waiters.flatMap { id, byWaiter in byWaiter.values.map { ($0, state.commands[id]) } }
            return (Array(state.timers.values), waiters)
        }
        for timer in timers { timer.cancel() }
        for (waiter, command) in waiters { waiter.resume(returning: command) }
    }

    // MARK: - Asking

    /// Creates a command for `device` and delivers it now or queues it; returns it at once (see ``wait(_:)``).
    /// With a `key` already used for this device, returns that command instead and does nothing else.
    public func send(to device: String, _ request: CommandRequest) throws(HubError) -> Command {
        let now = Hub.now()
        guard let known = self.devices.device(device) else {
            throw .notFound("no device '\(device)'; devices appear once they connect and say hello")
        }
        if let declared = known.declaredCommands, !declared.contains(request.name) {
            throw .badRequest("device '\(device)' declares the commands \(declared.joined(separator: ", ")); '\(request.name)' is not one of them")
        }
        guard request.params.serialized.utf8.count <= self.maxPayloadBytes else {
            throw .tooLarge("params are larger than \(self.maxPayloadBytes) bytes")
        }
        let link = self.devices.link(device)
        let outcome: Result<(Command, Bool), HubError> = self.state.withLock { state in
            if let key = request.key, let existing = state.keys[Self.keyIndex(device, key)], let command = state.commands[existing] {
                return .success((command, false))
            }
            guard !state.stopped else { return .failure(.unavailable("the hub is shutting down")) }
            guard state.pendingCount < Self.maxPending else {
                return .failure(.limitExceeded("\(Self.maxPending) commands are already queued or waiting for answers"))
            }
            if state.commands.count >= Self.maxKept { self.prune(&state, now: now) }
            var command = Command(id: Self.newID(), device: device, request: request, now: now)
            if link == nil {
                guard request.ttlMs > 0 else {
                    return .failure(.deviceOffline("device '\(device)' is offline; give ttl_ms to queue the command until it connects"))
                }
                command.expiresAt = now + request.ttlMs
                self.arm(command, deadline: command.expiresAt!, state: &state)
            } else {
                command.state = .sent
                command.sentAt = now
                self.arm(command, deadline: now + command.timeoutMs, state: &state)
            }
            state.commands[command.id] = command
            if let key = command.key { state.keys[Self.keyIndex(device, key)] = command.id }
            self.record(command)
            return .success((command, link != nil))
        }
        let (command, deliver) = try outcome.get()
        if deliver, let link { link.deliver(command.delivery) }
        if command.state == .queued, self.devices.link(device) != nil {
            // The device connected while this was being queued, after its queue was delivered.
            self.deliverQueued(to: device)
            return self.command(command.id) ?? command
        }
        return command
    }

    /// Delivers what is queued for `device`, oldest first. Called when it connects.
    public func deliverQueued(to device: String) {
        guard let link = self.devices.link(device) else { return }
        let now = Hub.now()
        let due: [Command] = self.state.withLock { state in
            var due = state.commands.values.filter { $0.device == device && $0.state == .queued }.sorted { $0.createdAt < $1.createdAt }
            for index in due.indices {
                due[index].state = .sent
                due[index].sentAt = now
                state.commands[due[index].id] = due[index]
                self.arm(due[index], deadline: now + due[index].timeoutMs, state: &state)
                self.record(due[index])
            }
            return due
        }
        for command in due { link.deliver(command.delivery) }
    }

    // MARK: - Answers

    /// A device answered. The command must be `sent` and be for `device`.
    public func answer(_ answer: CommandAnswer, from device: String) throws(HubError) {
        let now = Hub.now()
        let payload: JSONValue
        switch answer.outcome {
        case .result(let value), .error(let value): payload = value
        }
        guard payload.serialized.utf8.count <= self.maxPayloadBytes else {
            throw .tooLarge("a command's result or error is at most \(self.maxPayloadBytes) bytes; the command still waits for an answer")
        }
        let known = self.state.withLock { $0.commands[answer.commandID] != nil }
        if !known, self.devices.presence?.forwardAnswer(answer, from: device) == true {
            return  // A command another node of the cluster sent; that node settles it.
        }
        let outcome: Result<(Command, [Waiter]), HubError> = self.state.withLock { state in
            guard var command = state.commands[answer.commandID], command.device == device else {
                return .failure(.notFound("no command '\(answer.commandID)' for device '\(device)'"))
            }
            guard command.state == .sent else {
                return .failure(.conflict("command '\(command.id)' is \(command.state.rawValue); this answer is ignored"))
            }
            switch answer.outcome {
            case .result(let result):
                command.result = result
                command.finish(.succeeded, now: now, error: nil)
            case .error(let error):
                command.state = .failed
                command.finishedAt = now
                command.error = error
            }
            return .success((command, self.settle(command, state: &state)))
        }
        let (command, waiters) = try outcome.get()
        for waiter in waiters { waiter.resume(returning: command) }
    }

    /// Cancels a queued command.
    public func cancel(_ id: String) throws(HubError) -> Command {
        let now = Hub.now()
        let outcome: Result<(Command, [Waiter]), HubError> = self.state.withLock { state in
            guard var command = state.commands[id] else { return .failure(.notFound("no command '\(id)'")) }
            guard command.state == .queued else {
                return .failure(.conflict("command '\(id)' is \(command.state.rawValue); only queued commands can be cancelled"))
            }
            command.finish(.cancelled, now: now, error: nil)
            return .success((command, self.settle(command, state: &state)))
        }
        let (command, waiters) = try outcome.get()
        for waiter in waiters { waiter.resume(returning: command) }
        return command
    }

    // MARK: - Reading

    public func command(_ id: String) -> Command? {
        self.state.withLock { $0.commands[id] }
    }

    /// Commands, newest first, optionally of one device.
    public func list(device: String? = nil, limit: Int = 100) -> [Command] {
        let all = self.state.withLock { state in state.commands.values.filter { device == nil || $0.device == device } }
        return Array(all.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }.prefix(limit))
    }

    /// Waits until the command is finished (or the caller's task is cancelled, or the hub stops) and returns it.
    public func wait(_ id: String) async -> Command? {
        let waiterID = self.state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Command?, Never>) in
                let immediate: Command?? = self.state.withLock { state in
                    guard let command = state.commands[id] else { return .some(nil) }
                    if command.state.isFinal || state.stopped || Task.isCancelled { return .some(command) }
                    state.waiters[id, default: [:]][waiterID] = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let released = self.state.withLock { state in
                (state.waiters[id]?.removeValue(forKey: waiterID), state.commands[id])
            }
            if let waiter = released.0, let command = released.1 { waiter.resume(returning: command) }
        }
    }

    // MARK: - Internals

    /// Stores and publishes the command's current state.
    private func record(_ command: Command) {
        self.effects.record(
            collection: Self.collection,
            id: command.id,
            topic: SystemEvents.commands,
            event: command.state.rawValue,
            kind: "command",
            object: command.json
        )
    }

    /// Saves a finished command and stops its timer; returns its waiters, to be resumed after the lock.
    private func settle(_ command: Command, state: inout State) -> [Waiter] {
        state.commands[command.id] = command
        state.timers.removeValue(forKey: command.id)?.cancel()
        self.record(command)
        return state.waiters.removeValue(forKey: command.id).map { Array($0.values) } ?? []
    }

    /// Schedules the command's deadline: expiry while queued, timeout while sent.
    private func arm(_ command: Command, deadline: Int64, state: inout State) {
        state.timers.removeValue(forKey: command.id)?.cancel()
        guard !state.stopped else { return }
        let id = command.id
        let expected = command.state
        state.timers[id] = Task { [weak self] in
            let delay = max(0, deadline - Hub.now())
            try? await Task.sleep(for: .milliseconds(delay))
            guard !Task.isCancelled else { return }
            self?.deadlinePassed(id, expected: expected)
        }
    }

    private func deadlinePassed(_ id: String, expected: Command.State) {
        let now = Hub.now()
        let settled: (Command, [Waiter])? = self.state.withLock { state in
            guard var command = state.commands[id], command.state == expected else { return nil }
            state.timers.removeValue(forKey: id)
            switch expected {
            case .queued:
                command.finish(.expired, now: now, error: .timeout("the device did not connect within ttl_ms (\(command.ttlMs) ms)"))
            case .sent:
                command.finish(.timedOut, now: now, error: .timeout("no answer from the device within timeout_ms (\(command.timeoutMs) ms)"))
            default:
                return nil
            }
            return (command, self.settle(command, state: &state))
        }
        guard let settled else { return }
        let (command, waiters) = settled
        for waiter in waiters { waiter.resume(returning: command) }
    }

    /// Forgets finished commands (and their keys): those older than ``keepFinishedMs``, then the oldest, down to 3/4 of ``maxKept``.
    private func prune(_ state: inout State, now: Int64) {
        let finished = state.commands.values.filter(\.state.isFinal).sorted { ($0.finishedAt ?? 0) < ($1.finishedAt ?? 0) }
        var excess = state.commands.count - Self.maxKept * 3 / 4
        for command in finished {
            let old = (command.finishedAt ?? 0) < now - Self.keepFinishedMs
            guard old || excess > 0 else { break }
            state.commands.removeValue(forKey: command.id)
            if let key = command.key { state.keys.removeValue(forKey: Self.keyIndex(command.device, key)) }
            self.effects.enqueue(.delete(collection: Self.collection, id: command.id))
            excess -= 1
        }
    }

    private static func keyIndex(_ device: String, _ key: String) -> String { device + "\u{0}" + key }

    static func newID() -> String {
        let random = UInt64.random(in: 0...UInt64.max)
        let hex = String(random, radix: 16)
        return "c-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension Command {
    mutating func finish(_ state: State, now: Int64, error: HubError?) {
        self.state = state
        self.finishedAt = now
        if let error { self.error = error.json }
    }
}
