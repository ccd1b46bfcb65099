import Foundation
import SwitchboardTestServices
import Testing

@testable import SwitchboardServer

/// The hand-written percent decoding of request URIs against Foundation's, which it replaced for speed.
@Suite struct URIPartsTests {
    @Test func decodesLikeFoundationOnRandomText() {
        let pieces = ["%", "%2", "%2F", "%2f", "%zz", "%C3%BC", "%C3", "%FF", "+", "%2B", "a", "/", "ü", "#", "%23", "=", "&", " ", "%00", "%e2%82%ac"]
        var random = SeededRNG(seed: 7)
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...8, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            let expectedPath = text.removingPercentEncoding
            #expect(URIParts.percentDecoded(Substring(text), plusIsSpace: false) == expectedPath, "path \(text)")
            let spaced = text.replacingOccurrences(of: "+", with: " ")
            #expect(URIParts.decode(Substring(text)) == (spaced.removingPercentEncoding ?? spaced), "query part \(text)")
        }
    }

    @Test func splitsPathAndQuery() {
        let (path, query) = URIParts.split("/ws/sub/lab/%23?since=5&format=data&token=a%2Bb+c&flag")
        #expect(path == "/ws/sub/lab/#")
        #expect(query == ["since": "5", "format": "data", "token": "a+b c", "flag": ""])
        #expect(URIParts.split("/ws/pub/bad%zz").path == "/ws/pub/bad%zz", "a malformed escape leaves the path as sent")
    }
}
