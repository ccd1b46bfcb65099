import PostgresNIO
import SwitchboardCore

extension PostgresStore {
    public func loadDocuments(collection: String) throws -> [(id: String, body: String)] {
        try self.connections.read("loading \(collection)") { connection in
            let rows = try self.connections.run(
                "SELECT id, body FROM documents WHERE collection = \(collection) ORDER BY id", on: connection)
            return try rows.map { row in
                let (id, body) = try row.decode((String, String).self)
                return (id: id, body: body)
            }
        }
    }

    public func saveDocument(collection: String, id: String, body: String) throws {
        try self.connections.write("saving \(collection)/\(id)") { connection in
            try self.connections.run(
                """
                INSERT INTO documents (collection, id, body) VALUES (\(collection), \(id), \(body))
                ON CONFLICT (collection, id) DO UPDATE SET body = excluded.body
                """, on: connection)
        }
    }

    public func deleteDocument(collection: String, id: String) throws {
        try self.connections.write("deleting \(collection)/\(id)") { connection in
            try self.connections.run("DELETE FROM documents WHERE collection = \(collection) AND id = \(id)", on: connection)
        }
    }
}
