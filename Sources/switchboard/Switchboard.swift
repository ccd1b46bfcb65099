import ArgumentParser
import SwitchboardBench
import SwitchboardServer

/// `switchboard`: the hub and its command-line clients in one binary.
@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "A real-time data hub: ingest over WebSocket, HTTP and TCP; store; stream live with gap-free recovery.",
        version: SwitchboardVersion.current,
        subcommands: [Serve.self, Pub.self, Sub.self, Export.self, SourcesCommand.self, Devices.self, Cmd.self, TokenCommand.self, UserCommand.self, Race.self, Bench.self]
    )
}
