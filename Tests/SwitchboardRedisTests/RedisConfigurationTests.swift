import SwitchboardRedis
import Testing

@Suite struct RedisConfigurationTests {
    @Test func readsURLs() throws {
        let plain = try RedisConfiguration(url: "redis://cache.local")
        #expect(plain.host == "cache.local" && plain.port == 6379 && plain.password == nil && plain.database == nil)
        #expect(plain.connectTimeout == .seconds(2) && plain.commandTimeout == .seconds(2))
        #expect(plain.minBackoff == .milliseconds(50) && plain.maxBackoff == .seconds(2))

        let full = try RedisConfiguration(url: "redis://hub:p%40ss%3Aword@10.0.0.5:6380/3")
        #expect(full.host == "10.0.0.5" && full.port == 6380 && full.database == 3)
        #expect(full.username == "hub" && full.password == "p@ss:word")

        let passwordOnly = try RedisConfiguration(url: "REDIS://:secret@[::1]:7000/")
        #expect(passwordOnly.host == "::1" && passwordOnly.port == 7000 && passwordOnly.username == nil && passwordOnly.password == "secret")
        #expect(passwordOnly.database == nil)
    }

    @Test(arguments: [
        "http://localhost", "localhost:6379", "rediss://localhost", "redis://", "redis://:6379",
        "redis://host:0", "redis://host:70000", "redis://host:port", "redis://host/db", "redis://host/-1",
        "redis://host?timeout=1", "redis://user@host", "redis://:bad%zz@host", "redis://[::1",
    ])
    func rejectsWhatItCannotRead(url: String) {
        #expect(throws: RedisConfiguration.InvalidURL.self) { try RedisConfiguration(url: url) }
    }

    @Test func errorsDoNotShowThePassword() {
        #expect {
            try RedisConfiguration(url: "redis://:hunter2@host:notaport")
        } throws: { error in
            "\(error)".contains("***") && !"\(error)".contains("hunter2")
        }
    }

    @Test func scriptHashIsRedisSHA1() {
        // Redis names scripts by the SHA-1 of their source: `redis-cli SCRIPT LOAD "return 1"`.
        #expect(RedisScript("return 1").sha1 == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
    }
}
