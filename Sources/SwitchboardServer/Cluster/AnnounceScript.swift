import SwitchboardRedis

/// The one Redis script every publish goes through: in one atomic step it
/// takes the topic's next seqs, appends the messages to the topic's capped
/// recent log (a stream with ids `<seq>-0`) and publishes them to the shard's
/// channel. Redis runs scripts one at a time, so seqs are gap-free and every
/// node receives each topic's messages in seq order.
///
/// A counter that is missing (Redis restarted without its data) is never
/// guessed: the script answers `NOSEQ` until a node passes the store's highest
/// seq as the seed, so seqs are never handed out twice.
enum AnnounceScript {
    /// KEYS: seq counter, recent log, the shard's topic set.
    /// ARGV: channel, log length, floor, seed ('' if unknown), topic, header, then one entry per message.
    static let script = RedisScript(
        """
        local last = redis.call('GET', KEYS[1])
        if not last then
          if ARGV[4] == '' then return redis.error_reply('NOSEQ no seq counter for this topic') end
          last = ARGV[4]
        end
        last = math.max(tonumber(last), tonumber(ARGV[3]))
        if ARGV[4] ~= '' then last = math.max(last, tonumber(ARGV[4])) end
        local n = #ARGV - 6
        local parts = {ARGV[6], string.format('%d', last + 1), ':', n, ':'}
        for i = 1, n do
          local entry = ARGV[6 + i]
          redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], string.format('%d-0', last + i), 'm', entry)
          parts[#parts + 1] = #entry
          parts[#parts + 1] = ':'
          parts[#parts + 1] = entry
        end
        redis.call('SET', KEYS[1], string.format('%d', last + n))
        redis.call('SADD', KEYS[3], ARGV[5])
        redis.call('PUBLISH', ARGV[1], table.concat(parts))
        return last + 1
        """)
}
