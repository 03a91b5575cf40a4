import Testing
import ThroughlineCore

@Suite("Typed views to JSON and back")
struct JSONValueCodingTests {
    struct View: Codable, Equatable {
        struct Row: Codable, Equatable {
            var name: String
            var share: Double?
        }

        var zeta: Int
        var alpha: String?
        var date: CalendarDate
        var rows: [Row]
        var raw: JSONValue
        var big: UInt64
    }

    @Test("Keys keep the order the type encodes them, nil is null, numbers are written plainly, raw JSON passes through; decoding gives the view back")
    func roundTrip() throws {
        let view = View(zeta: 3, alpha: nil, date: CalendarDate(iso: "2026-12-03")!, rows: [.init(name: "a", share: 0.1), .init(name: "b", share: nil)],
                        raw: .object([JSONMember("kept", .number("1.50"))]), big: UInt64.max)
        let json = try JSONValueEncoder.encode(view)
        #expect(JSONWriter.string(json) == #"{"zeta":3,"alpha":null,"date":"2026-12-03","rows":[{"name":"a","share":0.1},{"name":"b","share":null}],"raw":{"kept":1.50},"big":18446744073709551615}"#)
        #expect(try JSONValueDecoder.decode(View.self, from: json) == view)
        #expect(try JSONValueDecoder.decode(View.self, from: JSONWriter.string(json)) == view)
    }

    @Test("A wrong type, a bad date or a missing key is an error naming its path")
    func errors() throws {
        func problem(_ text: String) -> String? {
            do {
                _ = try JSONValueDecoder.decode(View.self, from: text)
                return nil
            } catch let DecodingError.typeMismatch(_, c) {
                return c.debugDescription
            } catch let DecodingError.keyNotFound(_, c) {
                return c.debugDescription
            } catch let DecodingError.dataCorrupted(c) {
                return c.debugDescription
            } catch {
                return "\(error)"
            }
        }
        #expect(problem(#"{"zeta":3,"alpha":null,"date":"2026-12-03","rows":[{"name":"a","share":"high"}],"raw":null,"big":1}"#)
            == "rows[0].share: expected Double, found string")
        #expect(problem(#"{"zeta":3,"date":"2026-13-40"}"#) == "2026-13-40 is not a date (YYYY-MM-DD)")
        #expect(problem(#"{"zeta":3,"date":"2026-01-01"}"#) == "rows is missing")
        #expect(problem(#"[1]"#)?.hasPrefix("the value: expected") == true)
    }
}
