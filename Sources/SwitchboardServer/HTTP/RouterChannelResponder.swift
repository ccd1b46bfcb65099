import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOHTTP1

/// What Hummingbird's `Application` wraps around the router for every request, for the
/// hub's own listener (``HTTPListener``): the request context, a 500 for an error no
/// middleware answered, the `Date` and `Server` headers, one write for the response.
enum RouterChannelResponder {
    static func make<Responder: HTTPResponder>(
        _ responder: Responder, dates: HTTPDateHeader, serverName: String, logger: Logger
    ) -> HTTPChannelHandler.Responder where Responder.Context == SwitchboardRequestContext {
        { (request, responseWriter: consuming ResponseWriter, channel) in
            var logger = logger
            logger[metadataKey: "hb.request.id"] = .stringConvertible(RequestID())
            let context = SwitchboardRequestContext(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch let error as HTTPParserError {
                throw error
            } catch {
                logger.debug("Unrecognised Error", metadata: ["error.type": "\(error)"])
                response = Response(status: .internalServerError, body: .init())
            }
            response.headers[.date] = dates.current
            response.headers[.server] = serverName
            do {
                try await responseWriter.write(response: response.head, body: response.body)
            } catch is HTTPParserError {
                // Thrown as it is, the parser error would make the channel write a second response.
                throw ParseErrorWhileWritingResponse()
            }
        }
    }
}

/// A request that turned out malformed while its response was being written: the connection ends.
struct ParseErrorWhileWritingResponse: Error {}
