import NIOCore
import SwitchboardAuth
import SwitchboardCore
import Synchronization

/// A token bucket: `rate` tokens a second, at most `burst` saved up.
struct TokenBucket: Sendable {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var last: NIODeadline

    init(rate: Int, burst: Int? = nil) {
        self.rate = Double(rate)
        self.burst = Double(burst ?? rate)
        self.tokens = self.burst
        self.last = .now()
    }

    /// Takes one token if there is one.
    mutating func take(now: NIODeadline = .now()) -> Bool {
        let elapsed = Double((now - self.last).nanoseconds) / 1e9
        self.last = now
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        guard self.tokens >= 1 else { return false }
        self.tokens -= 1
        return true
    }
}

/// Publish rate limits: one bucket per connection (owned by the connection, on
/// its event loop) and one per credential (shared by every connection and HTTP
/// request of the same token or user). `0` turns a limit off.
///
/// A refused publish is `rate_limited`, stores nothing and hands out no seq: a
/// device backs off and sends the same message again with its idempotency `key`.
final class PublishRateLimiter: Sendable {
    let perConnection: Int
    let perCredential: Int
    private let credentialBuckets = Mutex<[String: TokenBucket]>([:])

    init(perConnection: Int, perCredential: Int) {
        self.perConnection = perConnection
        self.perCredential = perCredential
    }

    /// A connection's own bucket, or `nil` when unlimited.
    func connectionBucket() -> TokenBucket? {
        self.perConnection > 0 ? TokenBucket(rate: self.perConnection) : nil
    }

    /// Admits one publish by `grant` over a connection with `bucket`, or throws `rate_limited`.
    func admit(_ grant: Grant, bucket: inout TokenBucket?) throws(HubError) {
        if bucket != nil, !bucket!.take() {
            HubStats.shared.rejected("rate_limited")
            throw .rateLimited("more than \(self.perConnection) publishes a second on this connection; back off and resend (with the same key)")
        }
        guard self.perCredential > 0, grant.subject != Grant.anonymous.subject else { return }
        let admitted = self.credentialBuckets.withLock { buckets in
            buckets[grant.subject, default: TokenBucket(rate: self.perCredential)].take()
        }
        guard admitted else {
            HubStats.shared.rejected("rate_limited")
            throw .rateLimited("more than \(self.perCredential) publishes a second for \(grant.subject); back off and resend (with the same key)")
        }
    }
}
