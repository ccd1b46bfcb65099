import Foundation
import SwitchboardCore
import Testing

@testable import SwitchboardServer

/// Required test 6: SSE with curl, CSV export, `points` decimation; plus topics, history and descriptors.
@Suite struct HTTPTests {
    @Test func serverSentEventsWithCurlReplayThenLive() async throws {
        try await TestHub.with { hub in
            for index in 1...3 { _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/sse/a", "\(index)") }
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-sN", "--max-time", "20", "\(hub.http)/api/v1/subscribe?topics=sse/%23&since=sse/a:1"]
            let output = Pipe()
            curl.standardOutput = output
            try curl.run()
            defer { curl.terminate() }
            var text = ""
            let deadline = Date().addingTimeInterval(15)
            func read(until marker: String) {
                while !text.contains(marker) && Date() < deadline {
                    let chunk = output.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    text += String(decoding: chunk, as: UTF8.self)
                }
            }
            // The replay arrives after the subscription is in place, so what is published now is live.
            read(until: "id: sse/a:3")
            _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/sse/b", #"{"live":true}"#)
            read(until: "id: sse/b:1")
            let ids = text.split(separator: "\n").filter { $0.hasPrefix("id: ") }.map { String($0.dropFirst(4)) }
            #expect(ids == ["sse/a:2", "sse/a:3", "sse/b:1"], "replay after since, then live")
            #expect(text.contains(#"data: {"topic":"sse/b","seq":1,"#))
        }
    }

    @Test func csvAndNDJSONExport() async throws {
        try await TestHub.with { hub in
            _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/exp/t?from=lab-pc", #"{"v":1,"note":"a,b"}"#)
            _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/exp/t", "2.50")
            let csv = try await TestHTTP.get("\(hub.http)/api/v1/topics/exp/t/messages", accept: "text/csv")
            #expect(csv.headers["content-type"]?.hasPrefix("text/csv") == true)
            let rows = csv.text.split(separator: "\r\n").map(String.init)
            #expect(rows.count == 3)
            #expect(rows[0] == "topic,seq,ts,from,data")
            #expect(rows[1].hasPrefix("exp/t,1,"))
            #expect(rows[1].hasSuffix(#",lab-pc,"{""v"":1,""note"":""a,b""}""#))
            #expect(rows[2].hasSuffix(",,2.50"))

            let ndjson = try await TestHTTP.get("\(hub.http)/api/v1/topics/exp/t/messages", accept: "application/x-ndjson")
            let lines = ndjson.text.split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines[1].contains(#""data":2.50"#), "data is stored and returned byte for byte")
        }
    }

    @Test func historyPagingAndTimeRange() async throws {
        try await TestHub.with { hub in
            let body = (1...25).map { #"{"i":\#($0)}"# }.joined(separator: "\n")
            let published = try await TestHTTP.post("\(hub.http)/api/v1/publish/hist/t", body, contentType: "application/x-ndjson")
            #expect((published.json["seqs"] as? [Int]) == Array(1...25))
            let page = try await TestHTTP.get("\(hub.http)/api/v1/topics/hist/t/messages?after=5&limit=10")
            let messages = page.json["messages"] as! [[String: Any]]
            #expect(messages.map { $0["seq"] as! Int } == Array(6...15))
            #expect(page.json["next_after"] as? Int == 15)
            let rest = try await TestHTTP.get("\(hub.http)/api/v1/topics/hist/t/messages?after=15&limit=10")
            #expect(rest.json["next_after"] is NSNull)
            let ts = messages[0]["ts"] as! Int
            let range = try await TestHTTP.get("\(hub.http)/api/v1/topics/hist/t/messages?from=\(ts)&to=\(ts)")
            #expect(!(range.json["messages"] as! [[String: Any]]).isEmpty)
            let none = try await TestHTTP.get("\(hub.http)/api/v1/topics/hist/t/messages?from=0&to=1")
            #expect((none.json["messages"] as! [[String: Any]]).isEmpty)
        }
    }

    @Test func pointsDecimationKeepsMinimaAndMaxima() async throws {
        try await TestHub.with { hub in
            var lines: [String] = []
            for index in 1...3000 {
                var value = sin(Double(index) / 50) * 10
                if index == 1234 { value = 1000 }
                if index == 2345 { value = -1000 }
                lines.append(#"{"v":\#(value),"w":\#(index % 7)}"#)
            }
            _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/dec/t", lines.joined(separator: "\n"), contentType: "application/x-ndjson")
            let response = try await TestHTTP.get("\(hub.http)/api/v1/topics/dec/t/messages?points=50")
            let messages = response.json["messages"] as! [[String: Any]]
            let values = messages.map { ($0["data"] as! [String: Any])["v"] as! Double }
            #expect(messages.count <= 100, "at most 50 points per numeric field, two fields")
            #expect(messages.count < 3000)
            #expect(values.contains(1000), "the maximum survives")
            #expect(values.contains(-1000), "the minimum survives")
            let seqs = messages.map { $0["seq"] as! Int }
            #expect(seqs == seqs.sorted(), "oldest first")
        }
    }

    @Test func topicsListAndDescriptors() async throws {
        try await TestHub.with { hub in
            _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/desc/t", #"{"x":1}"#)
            let descriptor = #"{"title":"Temp","kind":"line","fields":["x"],"unit":"°C","window":200}"#
            let put = try await TestHTTP.request("PUT", "\(hub.http)/api/v1/topics/desc/t/descriptor", body: descriptor)
            #expect(put.status == 200)
            let get = try await TestHTTP.get("\(hub.http)/api/v1/topics/desc/t/descriptor")
            #expect(get.json["unit"] as? String == "°C")
            let badKind = try await TestHTTP.request("PUT", "\(hub.http)/api/v1/topics/desc/t/descriptor", body: #"{"kind":"pie"}"#)
            #expect(badKind.errorCode == "bad_request")
            let none = try await TestHTTP.get("\(hub.http)/api/v1/topics/other/t/descriptor")
            #expect(none.status == 404)

            let topics = try await TestHTTP.get("\(hub.http)/api/v1/topics")
            let entry = (topics.json["topics"] as! [[String: Any]]).first { $0["topic"] as? String == "desc/t" }!
            #expect(entry["last_seq"] as? Int == 1)
            #expect(entry["count"] as? Int == 1)
            #expect(entry["last_ts"] is Int)
            #expect(entry["rate"] != nil)
            #expect((entry["descriptor"] as? [String: Any])?["kind"] as? String == "line")

            let client = try await hub.webSocket("/ws")
            try await client.send(json: ["op": "call", "id": 1, "method": "topics.list"])
            let result = try await client.nextJSON()
            #expect(((result["result"] as? [String: Any])?["topics"] as? [Any])?.count == 1)
            try await client.send(json: ["op": "call", "id": 2, "method": "time", "params": [:]])
            let time = try await client.nextJSON()["result"] as! [String: Any]
            #expect(time["ms"] is Int)
            #expect((time["iso"] as? String)?.contains("T") == true)
        }
    }

    @Test func healthAndMetrics() async throws {
        try await TestHub.with { hub in
            let health = try await TestHTTP.get("\(hub.http)/healthz")
            #expect(health.json["status"] as? String == "ok")
            let metrics = try await TestHTTP.get("\(hub.http)/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
        }
    }
}
