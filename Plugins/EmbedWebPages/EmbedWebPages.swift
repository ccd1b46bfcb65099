import Foundation
import PackagePlugin

/// Compiles the files under a target's `Web/` directory into the target, via
/// `web-embedder`: the dashboard ships inside the `switchboard` binary.
@main
struct EmbedWebPages: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let web = target.directoryURL.appending(path: "Web")
        var inputs: [URL] = []
        if let enumerator = FileManager.default.enumerator(at: web, includingPropertiesForKeys: [.isRegularFileKey]) {
            while let url = enumerator.nextObject() as? URL {
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { inputs.append(url) }
            }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedWebPages.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) web files into \(target.name)",
                executable: try context.tool(named: "web-embedder").url,
                arguments: [web.path, output.path],
                // The directory itself too, so that adding or removing a file re-runs the tool.
                inputFiles: inputs + [web],
                outputFiles: [output]
            )
        ]
    }
}
