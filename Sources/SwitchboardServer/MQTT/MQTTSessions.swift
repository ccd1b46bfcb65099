import Foundation
import Logging
import NIOCore
import SwitchboardCore
import Synchronization

/// The persistent sessions (clean session = 0) and which connection holds each client id.
///
/// A session is its subscriptions and, per topic, the last seq delivered to
/// the client; it lives in memory and in the store's documents (collection
/// `mqtt_sessions`, one document per client id), so that a reconnecting
/// client gets what it missed from the store, across hub restarts too.
final class MQTTSessions: Sendable {
    static let collection = "mqtt_sessions"

    /// What the hub remembers of one persistent session.
    struct State: Codable, Sendable, Equatable {
        /// Topic filter → granted QoS (0 or 1).
        var subscriptions: [String: UInt8] = [:]
        /// Topic → the last seq delivered (QoS 0: written to the socket; QoS 1: acknowledged).
        var positions: [String: Int64] = [:]
    }

    /// A connection holding a client id; a newer connection with the same id takes over (§3.1.4).
    protocol Holder: AnyObject, Sendable {
        /// Closes the connection; the future completes once it has saved its session.
        func takeOver() -> EventLoopFuture<Void>
    }

    private let store: any DocumentStore
    private let logger: Logger
    private let sessions: Mutex<[String: State]>
    private let holders = Mutex<[String: any Holder]>([:])

    init(store: any DocumentStore, logger: Logger) {
        self.store = store
        self.logger = logger
        var sessions: [String: State] = [:]
        do {
            for document in try store.loadDocuments(collection: Self.collection) {
                if let state = try? JSONDecoder().decode(State.self, from: Data(document.body.utf8)) { sessions[document.id] = state }
            }
        } catch {
            logger.error("Loading MQTT sessions failed", metadata: ["error.type": "\(error)"])
        }
        self.sessions = Mutex(sessions)
    }

    /// The stored session of `clientID`, if it has one.
    func state(of clientID: String) -> State? {
        self.sessions.withLock { $0[clientID] }
    }

    /// Stores the session (in memory, and durably). Called when it changes: subscriptions, disconnect.
    func save(_ state: State, for clientID: String) {
        let changed = self.sessions.withLock { sessions -> Bool in
            guard sessions[clientID] != state else { return false }
            sessions[clientID] = state
            return true
        }
        guard changed else { return }
        do {
            let body = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
            try self.store.saveDocument(collection: Self.collection, id: clientID, body: body)
        } catch {
            self.logger.error("Saving an MQTT session failed", metadata: ["mqtt.client_id": "\(clientID)", "error.type": "\(error)"])
        }
    }

    /// Forgets the session (a clean-session connect).
    func remove(_ clientID: String) {
        guard self.sessions.withLock({ $0.removeValue(forKey: clientID) }) != nil else { return }
        do {
            try self.store.deleteDocument(collection: Self.collection, id: clientID)
        } catch {
            self.logger.error("Removing an MQTT session failed", metadata: ["mqtt.client_id": "\(clientID)", "error.type": "\(error)"])
        }
    }

    /// `holder` now holds `clientID`; returns the connection that held it before.
    func claim(_ clientID: String, by holder: any Holder) -> (any Holder)? {
        self.holders.withLock { $0.updateValue(holder, forKey: clientID) }
    }

    /// `holder` let go of `clientID` (nothing happens if a newer connection holds it).
    func release(_ clientID: String, by holder: any Holder) {
        self.holders.withLock { holders in
            if holders[clientID] === holder { holders[clientID] = nil }
        }
    }
}
