import PostgresNIO

/// The store's tables, as numbered migrations recorded in `switchboard_schema`.
///
/// Each migration runs once, in one transaction with its version row; every statement is
/// also idempotent (`IF NOT EXISTS`), so a database prepared by hand or half-way by an older
/// build still migrates. Two hubs starting at once on one database take turns on an
/// advisory lock instead of racing on `CREATE TABLE`.
enum SchemaMigrations {
    /// Every migration, oldest first; the version is the position + 1. Append only.
    static let all: [[PostgresQuery]] = [
        // 1: messages, topics and idempotency keys. Text keys sort and compare bytewise
        // (COLLATE "C"), as in SQLite, and faster than a locale's rules.
        [
            """
            CREATE TABLE IF NOT EXISTS topics (
                name text COLLATE "C" PRIMARY KEY,
                last_seq bigint NOT NULL DEFAULT 0,
                descriptor text
            )
            """,
            // `data` is bytea: the exact bytes the hub was given (jsonb would reorder keys and drop whitespace).
            """
            CREATE TABLE IF NOT EXISTS messages (
                topic text COLLATE "C" NOT NULL,
                seq bigint NOT NULL,
                ts bigint NOT NULL,
                "from" text,
                data bytea NOT NULL,
                PRIMARY KEY (topic, seq)
            )
            """,
            "CREATE INDEX IF NOT EXISTS messages_by_ts ON messages (topic, ts)",
            """
            CREATE TABLE IF NOT EXISTS publish_keys (
                publisher text COLLATE "C" NOT NULL,
                key text COLLATE "C" NOT NULL,
                topic text COLLATE "C" NOT NULL,
                seq bigint NOT NULL,
                ts bigint NOT NULL,
                PRIMARY KEY (publisher, key)
            )
            """,
            "CREATE INDEX IF NOT EXISTS publish_keys_by_ts ON publish_keys (ts)",
        ],
        // 2: the control plane's documents.
        [
            """
            CREATE TABLE IF NOT EXISTS documents (
                collection text COLLATE "C" NOT NULL,
                id text COLLATE "C" NOT NULL,
                body text NOT NULL,
                PRIMARY KEY (collection, id)
            )
            """
        ],
    ]

    /// Any constant shared by every switchboard: the advisory lock migrations hold.
    static let lockKey: Int64 = 0x5357_4254_4348  // "SWBTCH"

    /// Brings the database up to the newest version this build knows.
    static func apply(_ connections: BlockingConnections) throws {
        try connections.transaction("migrating the schema") { connection in
            try connections.run("SELECT pg_advisory_xact_lock(\(Self.lockKey))", on: connection)
            try connections.run(
                """
                CREATE TABLE IF NOT EXISTS switchboard_schema (
                    version integer PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, on: connection)
            let rows = try connections.run("SELECT coalesce(max(version), 0) FROM switchboard_schema", on: connection)
            let current = try rows.first!.decode(Int32.self)
            guard current <= Self.all.count else {
                throw PostgresStoreError(
                    .schemaTooNew,
                    "the database at \(connections.location.endpoint)/\(connections.location.database) has schema version \(current), "
                        + "newer than this switchboard knows (\(Self.all.count)); upgrade switchboard")
            }
            for (index, statements) in Self.all.enumerated() where index + 1 > current {
                for statement in statements {
                    try connections.run(statement, on: connection)
                }
                try connections.run("INSERT INTO switchboard_schema (version) VALUES (\(Int32(index + 1)))", on: connection)
            }
        }
    }
}
