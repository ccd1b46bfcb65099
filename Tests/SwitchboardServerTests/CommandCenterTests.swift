import Foundation
import Logging
import SwitchboardControl
import SwitchboardCore
import SwitchboardStore
import Synchronization
import Testing

/// The device registry and command center without sockets: a fake ``DeviceLink``
/// stands in for a connection (as centrifuge's hub tests use a fake transport).
@Suite struct CommandCenterTests {
    /// Records what the hub sends to a device, and whether it was taken over.
    final class FakeLink: DeviceLink {
        let deliveries: AsyncStream<CommandDelivery>
        private let continuation: AsyncStream<CommandDelivery>.Continuation
        let takenOver = Mutex<String?>(nil)

        init() {
            (self.deliveries, self.continuation) = AsyncStream.makeStream(of: CommandDelivery.self)
        }

        func deliver(_ command: CommandDelivery) { self.continuation.yield(command) }
        func takeOver(reason: String) { self.takenOver.withLock { $0 = reason } }

        func next() async -> CommandDelivery? {
            var iterator = self.deliveries.makeAsyncIterator()
            return await iterator.next()
        }
    }

    /// A control plane over a real hub and SQLite store in a fresh directory.
    static func withControl<T>(directory: String = TestFiles.temporaryDirectory(), _ body: (ControlPlane) async throws -> T) async throws -> T {
        let logger = Logger(label: "command-center-test")
        let store = try SQLiteStore(directory: directory, logger: logger)
        let hub = try Hub(store: store, logger: logger)
        hub.start()
        let control = ControlPlane(hub: hub, store: store, configuration: ControlConfiguration(), logger: logger)
        await control.start()
        defer { hub.shutdown() }
        let result = try await body(control)
        await control.stop()
        return result
    }

    @Test func commandRoundTripThroughALink() async throws {
        try await Self.withControl { control in
            let link = FakeLink()
            control.deviceConnected("d1", transport: "test", address: nil, info: nil, link: link)
            async let finished = control.sendCommand(to: "d1", CommandRequest(name: "blink", params: .object([("n", .int(2))])), waitForAnswer: true)
            let delivery = try #require(await link.next())
            #expect(delivery.name == "blink")
            try control.commandAnswered(.object([("id", .string(delivery.id)), ("result", .string("ok"))]), from: "d1")
            let command = try await finished
            #expect(command.state == .succeeded)
            #expect(command.result == .string("ok"))
            // The same answer again is late; an answer from another device is foreign.
            #expect(throws: HubError.self) { try control.commandAnswered(.object([("id", .string(delivery.id))]), from: "d1") }
            #expect(throws: HubError.self) { try control.commandAnswered(.object([("id", .string(delivery.id))]), from: "d2") }
        }
    }

    @Test func newerLinkTakesOverAndTheOlderOneCannotTakeTheDeviceOffline() async throws {
        try await Self.withControl { control in
            let older = FakeLink()
            let newer = FakeLink()
            control.deviceConnected("d1", transport: "test", address: nil, info: .object([("v", .int(1))]), link: older)
            control.deviceConnected("d1", transport: "test", address: nil, info: nil, link: newer)
            #expect(older.takenOver.withLock { $0 } != nil)
            #expect(newer.takenOver.withLock { $0 } == nil)
            control.deviceDisconnected("d1", link: older)
            let device = try #require(control.devices.device("d1"))
            #expect(device.online)
            #expect(device.info["v"] == .int(1))  // no info at the newer hello keeps what was known
            control.deviceDisconnected("d1", link: newer)
            #expect(control.devices.device("d1")?.online == false)
        }
    }

    @Test func queuedCommandsAndTheirDeadlines() async throws {
        let directory = TestFiles.temporaryDirectory()
        let queuedID = try await Self.withControl(directory: directory) { control in
            let link = FakeLink()
            control.deviceConnected("d1", transport: "test", address: nil, info: nil, link: link)
            control.deviceDisconnected("d1", link: link)
            do throws(HubError) {
                _ = try await control.sendCommand(to: "d1", CommandRequest(name: "x"), waitForAnswer: false)
                Issue.record("a command to an offline device without ttl_ms must be refused")
            } catch {
                #expect(error.code == "device_offline")
            }
            let expired = try await control.sendCommand(to: "d1", CommandRequest(name: "x", ttlMs: 50), waitForAnswer: true)
            #expect(expired.state == .expired)
            let queued = try await control.sendCommand(to: "d1", CommandRequest(name: "later", ttlMs: 60_000, key: "k"), waitForAnswer: false)
            #expect(queued.state == .queued)
            let again = try await control.sendCommand(to: "d1", CommandRequest(name: "later", ttlMs: 60_000, key: "k"), waitForAnswer: false)
            #expect(again.id == queued.id)
            return queued.id
        }
        // After a restart the queued command is still there, and goes out when the device connects.
        try await Self.withControl(directory: directory) { control in
            #expect(control.devices.device("d1")?.online == false)
            #expect(control.commands.command(queuedID)?.state == .queued)
            let link = FakeLink()
            control.deviceConnected("d1", transport: "test", address: nil, info: nil, link: link)
            #expect(await link.next()?.id == queuedID)
            #expect(control.commands.command(queuedID)?.state == .sent)
        }
    }
}
