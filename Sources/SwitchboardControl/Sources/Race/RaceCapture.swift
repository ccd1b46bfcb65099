import Foundation
import Logging
import Synchronization
import SwitchboardCore
import SwitchboardRace

/// A `race` source's `capture` mode: libpcap on an interface, on a thread of its own (its reads
/// block), decoded here. A capture that cannot start (no libpcap, no rights, a bad filter) is
/// `failed` with the reason, retried every 10 seconds.
struct RaceCapture {
    let interface: String
    let filter: String
    let flushAfter: Duration

    enum Event: Sendable {
        case frame(CapturedFrame)
        case quiet
        case failed(String)
    }

    func run(context: SourceContext, publisher: RacePublisher) async {
        var failed = false
        while !Task.isCancelled {
            let capture: LiveCapture
            do {
                capture = try LiveCapture(interface: self.interface, filter: self.filter)
            } catch {
                context.report(.failed("\(error)"))
                failed = true
                do { try await Task.sleep(for: .seconds(10)) } catch { return }
                continue
            }
            if failed { context.report(.running) }
            failed = false
            context.logger.info("Race capture started", metadata: ["source": "\(context.name)", "interface": "\(self.interface)", "filter": "\(self.filter)"])
            if let reason = await self.decode(capture, publisher: publisher) {
                context.report(.failed(reason))
                failed = true
                do { try await Task.sleep(for: .seconds(10)) } catch { return }
            }
        }
    }

    /// Reads frames until cancelled (`nil`) or the capture fails (the reason).
    func decode(_ capture: LiveCapture, publisher: RacePublisher) async -> String? {
        let (events, sink) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(100_000))
        let stop = StopFlag()
        let reader = Thread {
            while !stop.isSet {
                do {
                    switch try capture.next() {
                    case .frame(let frame): sink.yield(.frame(frame))
                    case .timeout: sink.yield(.quiet)
                    }
                } catch {
                    sink.yield(.failed("\(error)"))
                    break
                }
            }
            sink.finish()
        }
        reader.start()
        defer { stop.set() }
        var decoder = CaptureDecoder()
        var lastFrame = ContinuousClock.now
        return await withTaskCancellationHandler {
            for await event in events {
                switch event {
                case .frame(let frame):
                    lastFrame = .now
                    publisher.submit(decoder.add(frame))
                case .quiet:
                    if ContinuousClock.now - lastFrame >= self.flushAfter { publisher.submit(decoder.flush()) }
                case .failed(let reason):
                    return reason
                }
            }
            return nil
        } onCancel: {
            stop.set()
        }
    }
}

/// Set once, read from another thread.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { self.flag.withLock { $0 } }
    func set() { self.flag.withLock { $0 = true } }
}
