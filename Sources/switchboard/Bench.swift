import ArgumentParser
import SwitchboardBench

/// `switchboard bench …`: the network load generators of `switchboard-bench`, plus
/// the benchmarks that need the hub's own code in-process (the store).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: BenchCommand.configuration.abstract,
        subcommands: BenchCommand.configuration.subcommands + [StoreBench.self]
    )
}
