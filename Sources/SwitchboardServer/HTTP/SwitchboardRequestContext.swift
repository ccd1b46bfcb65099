import Logging
import Hummingbird
import NIOCore
import SwitchboardAuth

/// The request context of every HTTP route: the core storage plus the
/// connection's event loop, where SSE sessions live.
struct SwitchboardRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let eventLoop: any EventLoop
    /// Set by ``AuthMiddleware`` for every route that is not open.
    var grant: Grant?
    /// The dashboard session, when the request came with its cookie.
    var session: LoginSession?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.eventLoop = source.channel.eventLoop
    }
}
