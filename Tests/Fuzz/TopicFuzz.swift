// libFuzzer harness for topic names and subscription patterns (Topic.swift, TopicPattern.swift). See README.md.
//
// The input is up to three lines: a pattern `a`, a pattern `b` and a topic `t`. For every input:
// no crash, only `bad_topic` errors, a valid topic is a valid pattern, and matching agrees with
// covering: `b.matches(t) == b.covers(t as a pattern)`, `a.covers(b) && b.matches(t) ⇒ a.matches(t)`.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTopics(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let parts = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }

    func pattern(_ text: String) -> TopicPattern? {
        do throws(HubError) {
            let pattern = try TopicPattern(validating: text)
            precondition(pattern.text == text)
            precondition(pattern.covers(pattern), "\(text) does not cover itself")
            if pattern.isExact {
                precondition(pattern.matches(Topic(trusted: text)), "exact pattern \(text) does not match its topic")
            }
            return pattern
        } catch {
            precondition(error.code == "bad_topic", "TopicPattern threw \(error)")
            return nil
        }
    }

    func topic(_ text: String) -> Topic? {
        var plain: Topic? = nil
        do throws(HubError) {
            plain = try Topic(validating: text)
        } catch {
            precondition(error.code == "bad_topic", "Topic threw \(error)")
        }
        do throws(HubError) {
            let topic = try Topic(validating: text, allowSystem: true)
            precondition(plain == nil || plain == topic)
            precondition(plain != nil || topic.isSystem, "\(text) is refused only without allowSystem, yet is not a $ topic")
            guard let exact = pattern(text) else { preconditionFailure("topic \(text) is not a valid pattern") }
            precondition(exact.isExact)
            precondition(text.utf8.count <= Topic.maxBytes)
            return topic
        } catch {
            precondition(plain == nil, "valid without allowSystem, invalid with it: \(text)")
            precondition(error.code == "bad_topic", "Topic threw \(error)")
            return nil
        }
    }

    let a = parts.count > 0 ? pattern(parts[0]) : nil
    let b = parts.count > 1 ? pattern(parts[1]) : nil
    let t = parts.count > 2 ? topic(parts[2]) : (parts.count > 0 ? topic(parts[0]) : nil)

    if let a, let b, a.covers(b), b.covers(a) {
        precondition(a == b, "\(a) and \(b) cover each other but differ")
    }
    if let t, let exact = try? TopicPattern(validating: t.name) {
        for p in [a, b].compactMap({ $0 }) {
            precondition(p.matches(t) == p.covers(exact), "\(p) matches \(t) = \(p.matches(t)), covers it = \(p.covers(exact))")
        }
        if let a, let b, a.covers(b), b.matches(t) {
            precondition(a.matches(t), "\(a) covers \(b), which matches \(t), but \(a) does not")
        }
    }
    return 0
}
