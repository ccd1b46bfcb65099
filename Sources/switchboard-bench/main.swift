import ArgumentParser  // `main()` comes from AsyncParsableCommand (MemberImportVisibility)
import SwitchboardBench

// Top-level code would pick the synchronous `ParsableCommand.main()`, which
// cannot run async subcommands; an async function picks the async overload.
func runBench() async { await BenchCommand.main() }
await runBench()
