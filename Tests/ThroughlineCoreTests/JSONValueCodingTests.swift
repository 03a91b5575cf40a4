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

    /// A view written by hand the way the views' own `encode(to:)` are: nested containers, a
    /// container asked for twice, members after a nested container, values that write nothing.
    struct Shapes: Encodable {
        struct Nothing: Encodable { func encode(to encoder: any Encoder) throws {} }
        struct Twice: Encodable {
            func encode(to encoder: any Encoder) throws {
                var a = encoder.container(keyedBy: JSONKey.self)
                try a.encode(1, forKey: "one")
                var b = encoder.container(keyedBy: JSONKey.self)
                try b.encode("2", forKey: "two")
            }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: JSONKey.self)
            var table = c.nestedContainer(keyedBy: JSONKey.self, forKey: "table")
            var row = table.nestedUnkeyedContainer(forKey: "row")
            try row.encode(1.5)
            var cell = row.nestedContainer(keyedBy: JSONKey.self)
            try cell.encode(true, forKey: "deep")
            try row.encodeNil()
            try table.encode(Int8(-3), forKey: "small")
            try c.encode(Nothing(), forKey: "nothing")
            try c.encode([Nothing(), Nothing()], forKey: "nothings")
            try c.encode(Twice(), forKey: "twice")
            try c.encode([[Int]](), forKey: "empty")
            try c.encode(["a\"b\n": Float(0.25)], forKey: "escaped")
        }
    }

    @Test("Written straight into bytes: containers close in order, a container asked for twice is one, a value that writes nothing is null, and the tree is those bytes read back")
    func shapes() throws {
        let expected = #"{"table":{"row":[1.5,{"deep":true},null],"small":-3},"nothing":null,"nothings":[null,null],"twice":{"one":1,"two":"2"},"empty":[],"escaped":{"a\"b\n":0.25}}"#
        #expect(String(decoding: try JSONValueEncoder.bytes(Shapes()), as: UTF8.self) == expected)
        #expect(JSONWriter.string(try JSONValueEncoder.encode(Shapes())) == expected)
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
