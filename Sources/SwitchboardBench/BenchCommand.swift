import ArgumentParser

/// `switchboard bench …`: load generators that measure a hub from the outside,
/// exactly as its clients see it.
///
/// The same command is the root of the standalone `switchboard-bench` executable
/// and a subcommand of `switchboard`, hence the fixed command name.
public struct BenchCommand: AsyncParsableCommand {
    /// The command's name, abstract and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark load generators for Switchboard and its baselines.",
        subcommands: [FanoutCommand.self, ReplayCommand.self, FaninCommand.self, ConnectCommand.self, IdleCommand.self]
    )

    /// Creates the command; ArgumentParser fills in the subcommand.
    public init() {}
}
