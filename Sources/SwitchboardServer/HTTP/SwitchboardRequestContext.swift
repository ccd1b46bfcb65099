import Logging
import Hummingbird
import NIOCore

/// The request context of every HTTP route: the core storage plus the
/// connection's event loop, where SSE sessions live.
struct SwitchboardRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let eventLoop: any EventLoop

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.eventLoop = source.channel.eventLoop
    }
}
