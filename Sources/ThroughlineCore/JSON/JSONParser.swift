#if canImport(Glibc)
import Glibc
#endif
/// A JSON syntax error with the byte offset (0-based, within the parsed text) where it was found.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "invalid JSON at byte \(offset + 1): \(reason)" }
}

/// Parses one JSON text from UTF-8 bytes. Strict RFC 8259: no comments, no trailing commas, no
/// leading zeros, valid UTF-8 only. It transcodes in one pass into the binary value encoding of
/// the log's records (`RecordCodec`, tags 0–7), keeping member order and number literals, so the
/// import path never builds a tree; `parse` decodes that into a `JSONValue` when one is wanted.
public struct JSONParser: ~Copyable {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var pos = 0
    private var depth = 0
    private var out: ByteWriter
    /// The member names of the objects being parsed, innermost last: for each, where its name
    /// starts in the text and where its encoding starts and ends in `out`.
    private var names: [(text: Int, start: Int, end: Int)] = []
    /// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
    public static let maxDepth = 64

    private init(_ bytes: UnsafeBufferPointer<UInt8>, _ out: consuming ByteWriter) {
        self.bytes = bytes
        self.out = out
        names.reserveCapacity(32)
    }

    /// Transcodes exactly one JSON value (surrounding whitespace allowed) from `bytes`, appending
    /// its binary encoding to `out`.
    public static func transcode(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout ByteWriter) throws(JSONSyntaxError) {
        var parser = JSONParser(bytes, out)
        out = ByteWriter()
        defer { out = parser.out }
        parser.skipWhitespace()
        try parser.parseValue()
        parser.skipWhitespace()
        if parser.pos != bytes.count { throw parser.error("unexpected text after the JSON value") }
    }

    /// Parses exactly one JSON value (surrounding whitespace allowed) from `bytes`.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> JSONValue {
        var w = ByteWriter(capacity: bytes.count + 16)
        try transcode(bytes, into: &w)
        return w.bytes.withUnsafeBytes { b in
            var r = ByteReader(b)
            return try! RecordCodec.decodeValue(&r, depth: 0)
        }
    }

    /// Convenience for tests and small inputs.
    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        var copy = Array(text.utf8)
        do {
            return try copy.withUnsafeMutableBufferPointer { buf throws(JSONSyntaxError) in
                try parse(UnsafeBufferPointer(buf))
            }
        }
    }

    private func error(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(offset: pos, reason: reason) }

    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONSyntaxError) {
        guard pos < bytes.count else { throw error("unexpected end of input") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): try parseObject()
        case UInt8(ascii: "["): try parseArray()
        case UInt8(ascii: "\""):
            out.u8(RecordCodec.Tag.string.rawValue)
            try parseString()
        case UInt8(ascii: "t"): try expectLiteral("true"); out.u8(RecordCodec.Tag.true.rawValue)
        case UInt8(ascii: "f"): try expectLiteral("false"); out.u8(RecordCodec.Tag.false.rawValue)
        case UInt8(ascii: "n"): try expectLiteral("null"); out.u8(RecordCodec.Tag.null.rawValue)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try parseNumber()
        default: throw error("unexpected character '\(Unicode.Scalar(bytes[pos]).escaped(asASCII: true))'")
        }
    }

    /// Writes the tag and a one-byte count placeholder; returns where the count goes.
    private mutating func beginContainer(_ tag: RecordCodec.Tag) -> Int {
        out.u8(tag.rawValue)
        out.u8(0)
        return out.bytes.count - 1
    }

    /// Stores `count` at `at` as a varint, widening the placeholder when it needs more than a byte.
    private mutating func endContainer(at: Int, count: Int) {
        if count < 0x80 {
            out.bytes[at] = UInt8(count)
        } else {
            var v = ByteWriter()
            v.varint(UInt64(count))
            out.bytes.replaceSubrange(at..<(at + 1), with: v.bytes)
        }
    }

    private mutating func expectLiteral(_ word: StaticString) throws(JSONSyntaxError) {
        let n = word.utf8CodeUnitCount
        guard pos + n <= bytes.count else { throw error("unexpected end of input") }
        for i in 0..<n where bytes[pos + i] != word.utf8Start[i] { throw error("invalid literal") }
        pos += n
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > JSONParser.maxDepth { throw error("nesting deeper than \(JSONParser.maxDepth) levels") }
    }

    private mutating func parseObject() throws(JSONSyntaxError) {
        try enter()
        pos += 1
        let countAt = beginContainer(.object)
        var count = 0
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; depth -= 1; return }
        let firstName = names.count
        defer { names.removeLast(names.count - firstName) }
        while true {
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw error("expected a member name in quotes") }
            let (text, start) = (pos, out.bytes.count)
            try parseString()
            names.append((text, start, out.bytes.count))
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw error("expected ':' after member name") }
            pos += 1
            skipWhitespace()
            try parseValue()
            count += 1
            skipWhitespace()
            guard pos < bytes.count else { throw error("unexpected end of input in object") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "}") {
                try checkNamesUnique(from: firstName)
                pos += 1
                depth -= 1
                endContainer(at: countAt, count: count)
                return
            }
            throw error("expected ',' or '}' in object")
        }
    }

    /// Refuses an object that names a member twice (RFC 8259 leaves its meaning open: one reader
    /// takes the first, another the last). Names compare by their bytes after unescaping.
    private func checkNamesUnique(from first: Int) throws(JSONSyntaxError) {
        guard names.count - first > 1 else { return }
        let repeated: (index: Int, name: String)? = out.bytes.withUnsafeBytes { b in
            func name(_ i: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: b[names[i].start..<names[i].end]) }
            // Equal encodings (the length first, then the bytes): most pairs differ in length or first byte.
            func same(_ i: Int, _ j: Int) -> Bool {
                let (x, y) = (names[i], names[j])
                return x.end - x.start == y.end - y.start && memcmp(b.baseAddress! + x.start, b.baseAddress! + y.start, x.end - x.start) == 0
            }
            func found(_ i: Int) -> (Int, String) {
                var r = ByteReader(name(i))
                return (i, (try? r.bytes(r.length())).map { String(decoding: $0, as: UTF8.self) } ?? "")
            }
            if names.count - first <= 16 {
                for i in (first + 1)..<names.count where (first..<i).contains(where: { same(i, $0) }) { return found(i) }
                return nil
            }
            var seen = Set<UInt64>(minimumCapacity: names.count - first)
            for i in first..<names.count {
                // Equal hashes of different names (rare) fall back to comparing with every name before.
                if !seen.insert(Hash64.hash(name(i))).inserted, (first..<i).contains(where: { same(i, $0) }) {
                    return found(i)
                }
            }
            return nil
        }
        if let repeated {
            throw JSONSyntaxError(offset: names[repeated.index].text, reason: "the member name \"\(repeated.name)\" appears twice in one object")
        }
    }

    private mutating func parseArray() throws(JSONSyntaxError) {
        try enter()
        pos += 1
        let countAt = beginContainer(.array)
        var count = 0
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; depth -= 1; return }
        while true {
            skipWhitespace()
            try parseValue()
            count += 1
            skipWhitespace()
            guard pos < bytes.count else { throw error("unexpected end of input in array") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "]") {
                pos += 1
                depth -= 1
                endContainer(at: countAt, count: count)
                return
            }
            throw error("expected ',' or ']' in array")
        }
    }

    private mutating func parseNumber() throws(JSONSyntaxError) {
        let start = pos
        var integral = true
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("invalid number") }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count, isDigit(bytes[pos]) { throw error("leading zeros are not allowed in numbers") }
        } else {
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            integral = false
            pos += 1
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("expected digits after '.'") }
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, bytes[pos] | 0x20 == UInt8(ascii: "e") {
            integral = false
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("expected digits in exponent") }
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<pos])
        if integral, let i = RecordCodec.canonicalInteger(text) {
            out.u8(RecordCodec.Tag.int.rawValue)
            out.zigzag(i)
        } else {
            out.u8(RecordCodec.Tag.numberText.rawValue)
            out.varint(UInt64(text.count))
            out.bytes.append(contentsOf: text)
        }
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    /// Parses a string starting at the opening quote (validating UTF-8 and escapes) and writes
    /// it as a varint length and its unescaped UTF-8 bytes.
    private mutating func parseString() throws(JSONSyntaxError) {
        pos += 1
        let start = pos
        // Fast path: plain ASCII with no escapes, eight bytes at a time.
        pos = JSONParser.plainASCIIEnd(bytes, from: pos)
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") {
            out.varint(UInt64(pos - start))
            out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<pos]))
            pos += 1
            return
        }
        var out = Array(bytes[start..<pos])
        while pos < bytes.count {
            let b = bytes[pos]
            switch b {
            case UInt8(ascii: "\""):
                pos += 1
                self.out.varint(UInt64(out.count))
                self.out.bytes.append(contentsOf: out)
                return
            case UInt8(ascii: "\\"):
                pos += 1
                guard pos < bytes.count else { throw error("unterminated escape") }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): try appendUnicodeEscape(&out)
                default: pos -= 1; throw error("invalid escape '\\\(Unicode.Scalar(e).escaped(asASCII: true))'")
                }
            case 0..<0x20:
                throw error("control character in string must be escaped")
            case 0x80...:
                let n = try validUTF8SequenceLength(at: pos)
                out.append(contentsOf: bytes[pos..<(pos + n)])
                pos += n
            default:
                out.append(b)
                pos += 1
            }
        }
        throw error("unterminated string")
    }

    /// The first index at or after `from` holding a quote, a backslash, a control byte or a
    /// non-ASCII byte (or the end). Checks eight bytes per step with word arithmetic.
    @inline(__always)
    static func plainASCIIEnd(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        var i = from
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        guard let base = b.baseAddress else { return from }
        let raw = UnsafeRawPointer(base)
        while i + 8 <= b.count {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
            // A byte is "special" if it is zero after the XOR (quote/backslash), below 0x20, or has its
            // high bit set. The lowest flagged byte is exact (borrows only run upwards), so its
            // position is the first special byte.
            let special = (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((w &- ones &* 0x20) & ~w) | w) & highs
            if special != 0 { return i + special.trailingZeroBitCount / 8 }
            i += 8
        }
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 || c >= 0x80 { return i }
            i += 1
        }
        return i
    }

    private mutating func readHex4() throws(JSONSyntaxError) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw error("incomplete \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[pos]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | UInt32(d)
            pos += 1
        }
        return v
    }

    private mutating func appendUnicodeEscape(_ out: inout [UInt8]) throws(JSONSyntaxError) {
        var code = try readHex4()
        if (0xD800..<0xDC00).contains(code) {
            guard pos + 2 <= bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                throw error("unpaired surrogate in \\u escape")
            }
            pos += 2
            let low = try readHex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in \\u escape") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(code) {
            throw error("unpaired surrogate in \\u escape")
        }
        let scalar = Unicode.Scalar(code)!
        out.append(contentsOf: UTF8.encode(scalar)!)
    }

    /// Length of the valid UTF-8 multi-byte sequence at `i`, or an error naming the byte.
    private func validUTF8SequenceLength(at i: Int) throws(JSONSyntaxError) -> Int {
        let b0 = bytes[i]
        let n: Int
        let minScalar: UInt32
        var scalar: UInt32
        switch b0 {
        case 0xC2...0xDF: n = 2; scalar = UInt32(b0 & 0x1F); minScalar = 0x80
        case 0xE0...0xEF: n = 3; scalar = UInt32(b0 & 0x0F); minScalar = 0x800
        case 0xF0...0xF4: n = 4; scalar = UInt32(b0 & 0x07); minScalar = 0x10000
        default: throw JSONSyntaxError(offset: i, reason: "invalid UTF-8 byte 0x\(String(b0, radix: 16))")
        }
        guard i + n <= bytes.count else { throw JSONSyntaxError(offset: i, reason: "truncated UTF-8 sequence") }
        for k in 1..<n {
            let c = bytes[i + k]
            guard c & 0xC0 == 0x80 else {
                throw JSONSyntaxError(offset: i + k, reason: "invalid UTF-8 byte 0x\(String(c, radix: 16))")
            }
            scalar = scalar << 6 | UInt32(c & 0x3F)
        }
        if scalar < minScalar || scalar > 0x10FFFF || (0xD800..<0xE000).contains(scalar) {
            throw JSONSyntaxError(offset: i, reason: "invalid UTF-8 sequence")
        }
        return n
    }
}
