/// Opens many connections with a bounded number under way at once, reporting each
/// outcome as it arrives; shared by the fan-in, connect and idle benchmarks.
enum ConnectionOpener {
    /// Calls `open(0)` … `open(count - 1)`, at most `parallelism` at a time, and
    /// `completed` with each outcome, on the calling task, in completion order.
    /// Once `completed` returns false no more are started; those under way are
    /// still awaited and reported, so that the caller can close what they opened.
    static func openAll<Connection: Sendable>(
        count: Int,
        parallelism: Int,
        open: @escaping @Sendable (Int) async throws -> Connection,
        completed: (Int, Result<Connection, any Error>) -> Bool
    ) async {
        await withTaskGroup(of: (Int, Result<Connection, any Error>).self) { group in
            var next = 0
            var stopped = false
            func launch() {
                let k = next
                next += 1
                group.addTask {
                    do { return (k, .success(try await open(k))) } catch { return (k, .failure(error)) }
                }
            }
            while next < min(count, max(1, parallelism)) { launch() }
            for await (k, outcome) in group {
                if !completed(k, outcome) { stopped = true }
                if !stopped, next < count { launch() }
            }
        }
    }
}
