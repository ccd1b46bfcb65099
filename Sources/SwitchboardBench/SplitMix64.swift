/// A fast, non-cryptographic random number generator for WebSocket masking keys.
///
/// RFC 6455 asks clients for unpredictable masks to protect intermediaries from
/// browser scripts; a load generator only needs them to vary. The system
/// generator would make one `getrandom` system call per message.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
