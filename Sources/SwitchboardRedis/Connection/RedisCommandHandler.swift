import NIOCore

/// Sends commands and matches replies to them in order: Redis answers each connection's commands
/// in the order it got them, so a FIFO of pending requests is all the bookkeeping pipelining needs.
///
/// A request is one or more commands in one write, completed when all their replies are in.
/// The oldest request's deadline is watched by one timer; on a timeout that request fails with
/// `.timeout` and the connection closes, because every later reply would go to the wrong command.
final class RedisCommandHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = Request
    typealias OutboundOut = ByteBuffer

    static let name = "redis.commands"

    struct Request: Sendable {
        let commands: [[RESPArg]]
        let promise: EventLoopPromise<[RESPValue]>
    }

    private struct Pending {
        var remaining: Int
        var replies: [RESPValue]
        let promise: EventLoopPromise<[RESPValue]>
        let deadline: NIODeadline
    }

    private let timeout: TimeAmount
    private var pending = CircularBuffer<Pending>()
    private var timer: Scheduled<Void>?
    private var isClosed = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = Self.unwrapOutboundIn(data)
        guard !self.isClosed else {
            request.promise.fail(RedisError.unavailable("connection closed"))
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        guard !request.commands.isEmpty else {
            request.promise.succeed([])
            promise?.succeed(())
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: RESPEncoder.estimatedSize(of: request.commands))
        for command in request.commands {
            RESPEncoder.write(command, into: &buffer)
        }
        var replies: [RESPValue] = []
        replies.reserveCapacity(request.commands.count)
        self.pending.append(
            Pending(remaining: request.commands.count, replies: replies, promise: request.promise, deadline: .now() + self.timeout)
        )
        self.armTimer(context: context)
        context.write(Self.wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = Self.unwrapInboundIn(data)
        guard !self.pending.isEmpty else {
            self.failAll(RedisError.protocolViolation("a reply nobody asked for"), context: context)
            context.close(promise: nil)
            return
        }
        self.pending[self.pending.startIndex].replies.append(reply)
        self.pending[self.pending.startIndex].remaining -= 1
        if self.pending.first!.remaining == 0 {
            let done = self.pending.removeFirst()
            done.promise.succeed(done.replies)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.isClosed = true
        self.failAll(RedisError.unavailable("connection closed"), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure = error as? RedisError ?? RedisError.unavailable("\(error)")
        self.isClosed = true
        self.failAll(failure, context: context)
        context.close(promise: nil)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(RedisError.unavailable("connection closed"), context: context)
    }

    // MARK: - Timeout

    private func armTimer(context: ChannelHandlerContext) {
        guard self.timer == nil, let deadline = self.pending.first?.deadline else { return }
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timer = nil
            self.checkDeadline(context: context)
        }
    }

    private func checkDeadline(context: ChannelHandlerContext) {
        guard let oldest = self.pending.first else { return }
        guard oldest.deadline <= .now() else {
            self.armTimer(context: context)
            return
        }
        self.pending.removeFirst()
        self.isClosed = true
        // Closed before any caller hears of it: whoever reacts to these failures must already see
        // the connection gone (`isActive` false), not send the next command into it.
        context.close(promise: nil)
        oldest.promise.fail(RedisError.timeout("no reply within \(self.timeout.nanoseconds / 1_000_000) ms"))
        self.failAll(RedisError.unavailable("connection closed after a command timed out"), context: context)
    }

    private func failAll(_ error: RedisError, context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        let failed = self.pending
        self.pending.removeAll()
        for request in failed { request.promise.fail(error) }
    }
}

extension RedisCommandHandler.Request {
    /// Sends the commands on a channel whose pipeline holds a `RedisCommandHandler`; any thread.
    static func send(_ commands: [[RESPArg]], on channel: any Channel) -> EventLoopFuture<[RESPValue]> {
        let promise = channel.eventLoop.makePromise(of: [RESPValue].self)
        let written = channel.eventLoop.makePromise(of: Void.self)
        // A write that never reached the handler (the channel closed meanwhile) still fails the request.
        written.futureResult.whenFailure { _ in promise.fail(RedisError.unavailable("connection closed")) }
        channel.writeAndFlush(RedisCommandHandler.Request(commands: commands, promise: promise), promise: written)
        return promise.futureResult
    }
}
