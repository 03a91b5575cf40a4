import Testing
@testable import ThroughlineCore

/// `accepted`, or the reason the decoder gives for refusing `line`.
func reason(_ line: String) -> String {
    do {
        _ = try EventDecoder.decode(line)
        return "accepted"
    } catch {
        return error.description
    }
}

@Suite struct EventDecoderTests {
    let good = #"{"id":"zd-1","account":"acme","type":"ticket.opened","time":"2026-03-02T09:14:00Z","data":{"ticket_id":"1","priority":"high"}}"#

    @Test func acceptsAWellFormedEvent() throws {
        let e = try EventDecoder.decode(good)
        #expect(e.id == "zd-1")
        #expect(e.type == .ticketOpened)
        guard case .ticketOpened(let t) = try e.payload() else { Issue.record("wrong payload"); return }
        #expect(t.priority == .high)
    }

    @Test func malformedJSONNamesTheByte() {
        #expect(reason(#"{"id":"x",}"#).hasPrefix("invalid JSON at byte 11"))
        #expect(reason(#"{"id": tru}"#).hasPrefix("invalid JSON"))
        #expect(reason("").hasPrefix("invalid JSON"))
    }

    @Test func missingRequiredFieldIsNamed() {
        #expect(reason(#"{"account":"a","type":"note.added","time":"2026-03-02T09:14:00Z"}"#) == "id: is required")
        #expect(reason(#"{"id":"1","account":"a","type":"note.added","time":"2026-03-02T09:14:00Z","data":{"author":"m"}}"#) == "data.text: is required")
    }

    @Test func wrongTypeIsNamed() {
        #expect(reason(#"{"id":1,"account":"a","type":"note.added","time":"2026-03-02T09:14:00Z"}"#) == "id: must be a string, not number")
        #expect(reason(#"{"id":"1","account":"a","type":"call.completed","time":"2026-03-02T09:14:00Z","data":{"duration_s":"long"}}"#)
                == "data.duration_s: must be an integer, not string")
    }

    @Test func unknownTypeListsTheKnownOnes() {
        let r = reason(#"{"id":"1","account":"a","type":"ticket.reopened","time":"2026-03-02T09:14:00Z"}"#)
        #expect(r.hasPrefix("type: unknown event type \"ticket.reopened\"; expected one of account.updated"))
    }

    @Test func invalidTimesAreRefused() {
        for t in ["2026-03-02", "2026-03-02T09:14:00", "2026-02-29T09:14:00Z", "2026-03-02T25:00:00Z", "2026-03-02 09:14:00Z",
                  "2026-03-02T09:14:00.Z", "2026-03-02T09:14:00.1234567890Z", "2026-03-02T09:14:00+0100"] {
            #expect(reason(#"{"id":"1","account":"a","type":"account.churned","time":""# + t + #""}"#).hasPrefix("time: must be an RFC 3339"), "\(t)")
        }
    }

    @Test func serverFieldsAreRefused() {
        #expect(reason(#"{"id":"1","account":"a","type":"account.churned","time":"2026-03-02T09:14:00Z","seq":5}"#)
                == "seq: is assigned by the server; a producer must not send it")
        #expect(reason(#"{"id":"1","account":"a","type":"account.churned","time":"2026-03-02T09:14:00Z","recorded":"x"}"#)
                == "recorded: is assigned by the server; a producer must not send it")
    }

    @Test func invalidUTF8IsRefusedWithItsOffset() {
        var bytes = Array(#"{"id":"1","account":"a"#.utf8)
        bytes.append(0xFF)
        bytes.append(contentsOf: Array(#"","type":"account.churned","time":"2026-03-02T09:14:00Z"}"#.utf8))
        let r = bytes.withUnsafeBufferPointer { b -> String in
            do { _ = try EventDecoder.decode(b); return "accepted" } catch { return "\(error)" }
        }
        #expect(r == "invalid JSON at byte 23: invalid UTF-8 byte 0xff")
    }

    @Test func unknownDataFieldsAreKept() throws {
        let e = try EventDecoder.decode(#"{"id":"1","account":"a","type":"account.churned","time":"2026-03-02T09:14:00Z","data":{"reason":"x","crm_id":77}}"#)
        #expect(e.data?.map(\.key) == ["reason", "crm_id"])
    }
}

@Suite struct StringScanTests {
    /// The word-at-a-time scan must stop exactly where a byte-by-byte scan stops.
    @Test func wordScanFindsTheFirstSpecialByte() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array("abcdefgh XYZ019_-".utf8) + [0x22, 0x5C, 0x1F, 0x00, 0x7F, 0x80, 0xC3, 0xFF]
        for _ in 0..<2000 {
            let n = Int.random(in: 0...40, using: &rng)
            var bytes = (0..<n).map { _ in
                Bool.random(using: &rng) && Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : alphabet[Int.random(in: 0..<17, using: &rng)]
            }
            if Bool.random(using: &rng) { bytes = bytes.map { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 || $0 >= 0x80 ? UInt8(ascii: "a") : $0 } }
            let from = n == 0 ? 0 : Int.random(in: 0...n, using: &rng)
            let expected = bytes[from...].firstIndex { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 || $0 >= 0x80 } ?? n
            let got = bytes.withUnsafeBufferPointer { JSONParser.plainASCIIEnd($0, from: from) }
            #expect(got == expected, "\(bytes) from \(from)")
        }
    }
}
