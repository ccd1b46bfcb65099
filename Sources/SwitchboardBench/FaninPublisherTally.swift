/// What the server sent to the publishers of a fan-in run, and which of their
/// connections it closed. Confined to the publishers' event loop.
final class FaninPublisherTally {
    /// Text or binary frames received (the simple publish endpoint sends none unless a publish fails).
    var frames = 0
    /// Of those, frames that report an error (`{"op":"error",…}`).
    var errors = 0
    /// The first error frame, shortened, to say what went wrong.
    var firstError: String?
    /// Publisher connections the server closed during the run.
    var dropped = 0
    /// Set once the run is over, so that closing our own connections is not counted as a drop.
    var finished = false

    func recordDrop() { if !finished { dropped += 1 } }
}
