public import NIOCore

extension RedisClient {
    /// EVALSHA; when Redis does not know the script (NOSCRIPT: after a restart or SCRIPT FLUSH),
    /// SCRIPT LOAD and EVALSHA once more.
    public func evalsha(_ script: RedisScript, keys: [RESPArg], args: [RESPArg]) -> EventLoopFuture<RESPValue> {
        let command: [RESPArg] = ["EVALSHA", RESPArg(script.sha1), RESPArg(keys.count)] + keys + args
        let first = self.send(command)
        return first.flatMapError { error in
            guard let error = error as? RedisError, error.kind == .server, error.message.hasPrefix("NOSCRIPT") else {
                return first.eventLoop.makeFailedFuture(error)
            }
            return self.send(["SCRIPT", "LOAD", RESPArg(script.source)]).flatMap { _ in self.send(command) }
        }
    }
}
