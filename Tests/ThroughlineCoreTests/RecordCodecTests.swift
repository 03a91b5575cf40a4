import DatasetGenerator
import Testing
import ThroughlineCore

@Suite struct RecordCodecTests {
    func roundTrip(_ line: String) throws -> String {
        let e = try EventDecoder.decode(line)
        var w = ByteWriter()
        RecordCodec.encode(e, into: &w)
        let back = try w.bytes.withUnsafeBytes { b in
            var r = ByteReader(b)
            let d = try RecordCodec.decode(&r)
            #expect(r.isAtEnd)
            return d
        }
        #expect(back == e)
        return JSONWriter.string(back.jsonValue)
    }

    @Test func storedEventPrintsBackExactlyAsSent() throws {
        let lines = [
            #"{"id":"zd-48213-opened","account":"acme","type":"ticket.opened","time":"2026-03-02T09:14:00Z","source":"zendesk","actor":"agent:maria","data":{"ticket_id":"48213","priority":"high","category":"bug","subject":"Export to CSV times out"}}"#,
            #"{"id":"u1","account":"acme","type":"usage.recorded","time":"2026-03-02T23:59:59.123456789+05:30","data":{"period_start":"2026-03-02","active_users":41,"events":1.5e3,"features":{"b":2,"a":-0,"c":10},"ratio":10.50}}"#,
            #"{"id":"n1","account":"ácme ☃","type":"note.added","time":"1999-12-31T23:59:59-08:00","data":{"author":"m","text":"line\nbreak \"q\" \\ 🚀","tags":[],"x":null,"y":[true,false,{"z":[]}]}}"#,
            #"{"id":"c1","account":"a","type":"account.churned","time":"2026-03-02T09:14:00.5Z"}"#,
            #"{"id":"big","account":"a","type":"account.renewed","time":"2026-03-02T09:14:00Z","data":{"arr":123456789012345,"term_months":12,"crm_ref":12345678901234567890}}"#,
        ]
        for line in lines { #expect(try roundTrip(line) == line) }
    }

    @Test("A record written straight as JSON is byte for byte the line of its decoded event, for any content")
    func recordJSONEqualsTheDecodedEventsLine() throws {
        var rng = SplitMix(seed: 7)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        let texts = ["", "a", "ácme ☃ 🚀", "q\"uote\\back", "ctl\u{01}\u{1F}\n\t\r", "\u{1F}crm\u{1F}org-1", "\u{1F}crm", "\u{1F}\u{1F}x\u{1F}y"]
        let numbers = ["0", "-0", "7", "-12", "1.5e3", "10.50", "9223372036854775807", "-9223372036854775808", "12345678901234567890"]
        func text() -> String { texts[below(texts.count)] + (below(3) == 0 ? String(below(1000)) : "") }
        func value(_ depth: Int) -> JSONValue {
            switch below(depth > 3 ? 4 : 6) {
            case 0: return [.null, .bool(true), .bool(false)][below(3)]
            case 1: return .number(numbers[below(numbers.count)])
            case 2, 3: return .string(text())
            case 4: return .array((0..<below(4)).map { _ in value(depth + 1) })
            default: return .object((0..<below(4)).map { _ in JSONMember(text(), value(depth + 1)) })
            }
        }
        for i in 0..<3000 {
            let time = Timestamp(seconds: Int64(below(8_000_000_000)) - 3_000_000_000, nanos: UInt32(below(1_000_000_000)),
                                 offsetMinutes: below(3) == 0 ? nil : Int16(below(1439 * 2)) - 1439, fractionDigits: UInt8(below(10)))
            let event = Event(id: text(), account: text(), type: EventType.allCases[below(EventType.allCases.count)], time: time,
                              source: below(2) == 0 ? nil : text(), actor: below(2) == 0 ? nil : text(),
                              data: below(4) == 0 ? nil : (0..<below(6)).map { _ in JSONMember(text(), value(0)) })
            let stored = StoredEvent(seq: UInt64(below(Int.max)), recordedMicros: Int64(below(4_000_000_000_000_000)) - 1_000_000_000_000_000, event: event)
            var w = ByteWriter()
            RecordCodec.encodeBody(event, into: &w)
            var direct: [UInt8] = []
            try w.bytes.withUnsafeBytes { try RecordJSON.write(body: $0, seq: stored.seq, recordedMicros: stored.recordedMicros, into: &direct) }
            var decoded: [UInt8] = []
            JSONWriter.write(stored.jsonValue, into: &decoded)
            #expect(direct == decoded, "case \(i): \(String(decoding: decoded, as: UTF8.self))")
            if direct != decoded { break }
        }
    }

    @Test func corruptRecordIsAnErrorNotACrash() {
        let e = try! EventDecoder.decode(#"{"id":"1","account":"a","type":"account.churned","time":"2026-03-02T09:14:00Z","data":{"reason":"x"}}"#)
        var w = ByteWriter()
        RecordCodec.encode(e, into: &w)
        for cut in 0..<(w.bytes.count - 1) {
            let prefix = Array(w.bytes[0..<cut])
            #expect(throws: DecodeError.self) {
                try prefix.withUnsafeBytes { b in
                    var r = ByteReader(b)
                    _ = try RecordCodec.decode(&r)
                }
            }
            #expect(throws: DecodeError.self) {
                try prefix.withUnsafeBytes { b in
                    var r = ByteReader(b)
                    let n = try r.length()
                    var out: [UInt8] = []
                    try RecordJSON.write(body: try r.bytes(n), seq: 1, recordedMicros: 0, into: &out)
                }
            }
        }
    }

    @Test func sameContentIgnoresMemberOrderButNotValues() throws {
        let a = try EventDecoder.decode(#"{"id":"1","account":"a","type":"ticket.closed","time":"2026-03-02T09:14:00Z","data":{"ticket_id":"9","csat":4}}"#)
        let b = try EventDecoder.decode(#"{"time":"2026-03-02T10:14:00+01:00","type":"ticket.closed","account":"a","id":"1","data":{"csat":4.0,"ticket_id":"9"}}"#)
        let c = try EventDecoder.decode(#"{"id":"1","account":"a","type":"ticket.closed","time":"2026-03-02T09:14:00Z","data":{"ticket_id":"9","csat":5}}"#)
        #expect(a.sameContent(as: b))
        #expect(!a.sameContent(as: c))
    }
}

@Suite struct BlockCodecTests {
    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum("123456789") == 0xE306_9283)
        #expect(CRC32C.checksum("") == 0)
        #expect(CRC32C.software(0, UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
    }

    @Test("The processor's CRC-32C instruction and the tables give the same checksums, whole or continued, at any length and alignment")
    func crc32cHardwareEqualsTables() {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes.withUnsafeBytes { all in
            for _ in 0..<2000 {
                let start = Int.random(in: 0..<64, using: &rng), count = Int.random(in: 0..<(all.count - 64), using: &rng)
                let part = UnsafeRawBufferPointer(rebasing: all[start..<(start + count)])
                let split = Int.random(in: 0...count, using: &rng)
                let continued = CRC32C.update(CRC32C.update(0, UnsafeRawBufferPointer(rebasing: part[..<split])), UnsafeRawBufferPointer(rebasing: part[split...]))
                #expect(CRC32C.checksum(part) == CRC32C.software(0, part) && continued == CRC32C.software(0, part))
            }
        }
        // This machine's processor has the instruction (x86-64 with SSE 4.2, or ARMv8 with CRC).
        #expect(CRC32C.hardware)
    }

    @Test("A block restamped to another seq and time is byte for byte the block framed there; a damaged one is refused")
    func restampedBlockIsTheBlockFramedThere() throws {
        let payload = Array((0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7 % 251) })
        func block(_ seq: UInt64, _ micros: Int64) -> [UInt8] {
            payload.withUnsafeBytes { BlockCodec.encode(payload: $0, firstSeq: seq, count: 9, recordedMicros: micros) }
        }
        let moved = try BlockCodec.restamped(block(1, 0), firstSeq: 1_000_001, recordedMicros: 1_780_000_000_000_000)
        #expect(moved == block(1_000_001, 1_780_000_000_000_000))
        var damaged = block(1, 0)
        damaged[0] ^= 1
        #expect(throws: BlockHeader.Problem.badMagic) { try BlockCodec.restamped(damaged, firstSeq: 5, recordedMicros: 0) }
    }

    @Test func blockRoundTripsAndDetectsAnyFlippedByte() throws {
        let payload = Array((0..<5000).map { UInt8(truncatingIfNeeded: $0 % 97) })
        let block = payload.withUnsafeBytes { BlockCodec.encode(payload: $0, firstSeq: 42, count: 7, recordedMicros: 1_700_000_000_000_000) }
        try block.withUnsafeBytes { b in
            let h = try BlockHeader.read(b)
            #expect(h.firstSeq == 42 && h.count == 7 && h.lastSeq == 48 && h.totalLength == block.count)
            let stored = UnsafeRawBufferPointer(rebasing: b[BlockHeader.size...])
            #expect(BlockCodec.checksumMatches(header: h, headerBytes: b, stored: stored))
            #expect(BlockCodec.decompress(header: h, stored: stored) == payload)
        }
        for i in stride(from: 8, to: block.count, by: 7) where !(4..<8).contains(i) {
            var bad = block
            bad[i] ^= 0x10
            let detected = bad.withUnsafeBytes { b -> Bool in
                guard let h = try? BlockHeader.read(b), h.totalLength <= b.count else { return true }
                return !BlockCodec.checksumMatches(header: h, headerBytes: b, stored: UnsafeRawBufferPointer(rebasing: b[BlockHeader.size..<h.totalLength]))
            }
            #expect(detected, "flip at byte \(i)")
        }
    }
}
