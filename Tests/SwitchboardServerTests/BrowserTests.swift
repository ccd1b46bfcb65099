import Foundation
import Testing

/// The dashboard and the overlay in a real headless Chromium (Selenium, the
/// scripts in `Tests/Browser/`), against the real `switchboard` binary.
///
/// Outside CI a machine without chromium, chromedriver or selenium skips
/// these; with `CI=true` they fail instead (`scripts/test` installs all three).
@Suite(.serialized, .enabled(if: BrowserScenario.enabled, "needs chromium, chromedriver and selenium (scripts/test installs them)"))
struct BrowserTests {
    static let docs = BrowserScenario.repository.appendingPathComponent("docs")

    static func url(_ hub: HubProcess) -> String { "http://127.0.0.1:\(hub.httpPort)" }

    @Test func httpPublishDrawsALineAndFillsATableALeaderboardAnImageAndAHeatmap() async throws {
        guard BrowserScenario.toolsPresent() else { return }
        let hub = try HubProcess.start(dataDirectory: TestFiles.temporaryDirectory())
        defer { hub.terminate() }
        let result = try await BrowserScenario("publish_draws.py", ["--url", Self.url(hub)]).result()
        // The series' colour is on the canvas, and all 60 messages are in the chart (30 from history, 30 live).
        #expect((result["series_pixels"] as? Int ?? 0) > 50)
        #expect(result["points"] as? Int == 60)
        #expect(result["table_headers"] as? [String] == ["seq", "time", "sensor", "reading"])
        #expect((result["table_text"] as? String)?.contains("s-2 19.25") == true)
        #expect((result["table_text"] as? String)?.contains("s-1 21.5") == true)
        #expect(result["leaderboard_before"] as? [String] == ["NEUMÜLLER Hansgünther", "VIETEN Kreszenz", "FROBSE Lars"])
        #expect(result["leaderboard_after"] as? [String] == ["VIETEN Kreszenz", "NEUMÜLLER Hansgünther", "FROBSE Lars"])
        // An image (a data URL) and a 2-D array are recognised and drawn: 2 pixels wide, 6 cells in 6 colours.
        #expect(result["image_width"] as? Int == 2)
        #expect(result["heatmap_colours"] as? Int == 6)
        #expect(result["errors"] as? [String] == [])
    }

    @Test func sourceStateIsTheSameInEveryTab() async throws {
        guard BrowserScenario.toolsPresent() else { return }
        let hub = try HubProcess.start(dataDirectory: TestFiles.temporaryDirectory())
        defer { hub.terminate() }
        let scenario = try BrowserScenario("sources_sync.py", ["--url", Self.url(hub), "--name", "wave-1"])
        try await scenario.waitForStep("stop-cli")
        let stop = try CLITests.run(["sources", "stop", "wave-1", "--url", Self.url(hub)])
        #expect(stop.status == 0)
        scenario.done("stop-cli")
        let result = try await scenario.result()
        #expect(result["running_in_first"] as? String == "running")
        #expect(result["stopped_in_first"] as? String == "stopped")
        #expect(result["stopped_in_second"] as? String == "stopped")
        #expect(result["errors"] as? [String] == [])
    }

    @Test func commandFromTheDevicesPanelReachesAPythonDevice() async throws {
        guard BrowserScenario.toolsPresent() else { return }
        let hub = try HubProcess.start(dataDirectory: TestFiles.temporaryDirectory())
        defer { hub.terminate() }
        let device = try DeviceProcessTests.runExample(
            "device_ws.py",
            ["--url", "ws://127.0.0.1:\(hub.httpPort)/ws", "--device", "py-dash", "--interval", "0.5"]
        )
        defer { device.terminate() }
        let result = try await BrowserScenario("device_command.py", ["--url", Self.url(hub), "--device", "py-dash"]).result()
        #expect(result["declared"] as? [String] == ["toggle_relay", "set_interval"])
        let toggle = result["toggle"] as? [String: String]
        #expect(toggle?["state"] == "succeeded")
        #expect(toggle?["result"] == #"{"relay":true}"#)
        let interval = result["interval"] as? [String: String]
        #expect(interval?["state"] == "succeeded")
        #expect(interval?["result"] == #"{"interval":0.5}"#)
        #expect(result["errors"] as? [String] == [])
    }

    @Test func pageRecoversWhatItMissedWhileTheHubRestarted() async throws {
        guard BrowserScenario.toolsPresent() else { return }
        let data = TestFiles.temporaryDirectory()
        var hub = try HubProcess.start(dataDirectory: data)
        let port = hub.httpPort
        let scenario = try BrowserScenario("hub_restart.py", ["--url", Self.url(hub), "--topic", "lab/restart"])
        do {
            try await scenario.waitForStep("restart")
            hub.kill9()
            // Seqs 21…50 are stored by a hub the page does not know (another port), so the page
            // can only get them by resuming with `since` once the hub is back on its port.
            let elsewhere = try HubProcess.start(dataDirectory: data)
            let body = (21...50).map { #"{"v":\#($0)}"# }.joined(separator: "\n")
            let published = try await TestHTTP.post(
                "http://127.0.0.1:\(elsewhere.httpPort)/api/v1/publish/lab/restart",
                body,
                contentType: "application/x-ndjson"
            )
            #expect(published.status == 200)
            elsewhere.terminate()
            hub = try HubProcess.start(dataDirectory: data, arguments: ["--http", "127.0.0.1:\(port)"])
            scenario.done("restart")
            let result = try await scenario.result()
            hub.terminate()
            #expect(result["seqs"] as? [Int] == Array(1...60))
            #expect(result["holes"] as? Int == 0)
            #expect(result["gaps"] as? Int == 0)
            #expect((result["notices"] as? String)?.contains("Disconnected from the hub") == true)
            #expect((result["notices"] as? String)?.contains("Reconnected after") == true)
            #expect(result["errors"] as? [String] == [])
        } catch {
            hub.terminate()
            throw error
        }
    }

    @Test func overlayIsTransparentAndShowsTheStandings() async throws {
        guard BrowserScenario.toolsPresent() else { return }
        let hub = try HubProcess.start(dataDirectory: TestFiles.temporaryDirectory())
        defer { hub.terminate() }
        let picture = Self.docs.appendingPathComponent("overlay.png").path
        let result = try await BrowserScenario("overlay.py", ["--url", Self.url(hub), "--screenshot", picture]).result()
        #expect(result["backgrounds"] as? [String] == ["rgba(0, 0, 0, 0)", "rgba(0, 0, 0, 0)"])
        // With no backdrop, the page's empty corner is fully transparent and a result row is not.
        #expect(result["channels"] as? Int == 4)
        #expect(result["corner_alpha"] as? Int == 0)
        #expect((result["row_alpha"] as? Int ?? 0) > 150)
        #expect((result["names"] as? [String])?.prefix(2) == ["NEUMÜLLER Hansgünther", "LOHMEIER Heinzjürgen"])
        #expect(result["errors"] as? [String] == [])
    }

    @Test func screenshotsOfTheDemoDashboard() async throws {
        guard BrowserScenario.toolsPresent() else { return }
        let hub = try HubProcess.start(dataDirectory: TestFiles.temporaryDirectory(), arguments: ["--demo"])
        defer { hub.terminate() }
        let light = Self.docs.appendingPathComponent("dashboard.png").path
        let dark = Self.docs.appendingPathComponent("dashboard-dark.png").path
        let result = try await BrowserScenario("screenshots.py", ["--url", Self.url(hub), "--light", light, "--dark", dark]).result()
        #expect(result["kinds"] as? [String] == ["line", "line", "line", "gauge", "leaderboard", "heatmap", "table"])
        #expect(result["errors"] as? [String] == [])
        for path in [light, dark] {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(path) was written")
        }
    }
}
