/// The receive state of the subscribers of one event loop in one run.
///
/// Confined to its event loop (reached through `NIOLoopBound`), so the per-frame
/// path takes no lock and shares no cache line with another thread; the loops'
/// totals are merged once, at the end.
final class LoopTally {
    var recorder: ReceiveRecorder
    /// Set once the run is over, so that closing our own connections is not counted as a drop.
    var finished = false
    private let seenWords: Int

    init(subscribers: Int, firstMeasured: Int, measuredCount: Int) {
        let words = (measuredCount + 63) / 64
        seenWords = max(1, subscribers * words)
        let seen = UnsafeMutablePointer<UInt64>.allocate(capacity: seenWords)
        seen.initialize(repeating: 0, count: seenWords)
        recorder = ReceiveRecorder(firstMeasured: firstMeasured, measuredCount: measuredCount, wordsPerSubscriber: words, seen: seen)
    }

    deinit { recorder.seen.deallocate() }

    /// The first word of subscriber row `slot` in the receive bitmap.
    func row(_ slot: Int) -> Int { slot * recorder.wordsPerSubscriber }

    /// Counts a subscriber connection the server closed during the run.
    func recordDrop() { if !finished { recorder.totals.dropped += 1 } }
}
