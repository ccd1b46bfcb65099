/// What the decoder keeps of a value read from the stream: strings and result rows in full,
/// class descriptions for reading later instances, everything else only as "something".
enum StreamValue: Sendable {
    case null
    /// A reference to a handle the decoder cannot know (it joined the stream after it was assigned).
    case unresolved
    case string(String)
    case classDescription(ClassDescription)
    /// A `String[7]` that is a result row; a later reference to it repeats the row.
    case rowArray(ResultRow)
    case other
}

/// Why parsing an element stopped before its end.
enum ParseStop: Error {
    /// The element goes on beyond the bytes received so far: try again once the buffer holds `needed` bytes.
    case incomplete(needed: Int)
    /// The bytes are not a valid element here.
    case invalid(String)
}

/// A class description as an element refers to it: known, `TC_NULL`, or behind a handle the decoder cannot know.
enum ClassReference {
    case known(ClassDescription)
    case none
    case unknown
}
