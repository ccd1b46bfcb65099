import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP/1.1 POST on a fresh connection, answered with the status and body:
/// enough to fill a hub with messages before a benchmark, without a client library.
enum HTTPPost {
    struct Response {
        let status: HTTPResponseStatus
        let body: String
    }

    static func send(
        host: String, port: Int, path: String, contentType: String, body: ByteBuffer,
        on eventLoop: any EventLoop, timeout: TimeAmount
    ) async throws -> Response {
        let address = try SocketAddress.makeAddressResolvingHost(host == "localhost" ? "127.0.0.1" : host, port: port)
        let promise = eventLoop.makePromise(of: Response.self)
        let channel = try await ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                }
            }
            .connect(to: address).get()
        let timer = eventLoop.scheduleTask(in: timeout) {
            promise.fail(BenchError.timedOut("no answer to POST \(path) within \(timeout.nanoseconds / 1_000_000) ms"))
        }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }

    /// Collects one response and completes the promise with it.
    private final class ResponseCollector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart

        private let promise: EventLoopPromise<Response>
        private var status: HTTPResponseStatus = .ok
        private var body = ByteBuffer()

        init(promise: EventLoopPromise<Response>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): status = head.status
            case .body(var part): body.writeBuffer(&part)
            case .end: promise.succeed(Response(status: status, body: String(buffer: body)))
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(ChannelError.eof)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }
    }
}
