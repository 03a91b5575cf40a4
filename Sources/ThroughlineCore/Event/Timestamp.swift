/// An RFC 3339 date-time with its offset, stored exactly enough to print back the text the
/// producer sent: the instant (seconds and nanoseconds since the Unix epoch), the offset in
/// minutes (or `Z`) and the number of fraction digits written.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64
    /// Nanoseconds within the second, 0..<1_000_000_000.
    public var nanos: UInt32
    /// Offset from UTC in minutes; nil means the text used `Z`.
    public var offsetMinutes: Int16?
    /// How many fraction digits the text had (0...9).
    public var fractionDigits: UInt8

    public init(seconds: Int64, nanos: UInt32 = 0, offsetMinutes: Int16? = nil, fractionDigits: UInt8 = 0) {
        self.seconds = seconds
        self.nanos = nanos
        self.offsetMinutes = offsetMinutes
        self.fractionDigits = fractionDigits
    }

    /// Microseconds since the epoch (the instant, offset applied).
    public var microseconds: Int64 { seconds * 1_000_000 + Int64(nanos / 1000) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        (a.seconds, a.nanos) < (b.seconds, b.nanos)
    }

    /// The instant as `YYYY-MM-DDTHH:MM:SS[.fff]Z` text in UTC with microsecond precision
    /// trimmed to what is needed; used for server-assigned times.
    public static func utc(microseconds: Int64) -> Timestamp {
        let s = microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
        let us = microseconds - s * 1_000_000
        return Timestamp(seconds: s, nanos: UInt32(us) * 1000, offsetMinutes: nil, fractionDigits: us == 0 ? 0 : 6)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil if the text is not such a time.
    public init?(rfc3339 text: String) {
        var text = text
        guard let t = text.withUTF8({ Timestamp.parse($0) }) else { return nil }
        self = t
    }

    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        func digits(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= b.count else { return nil }
            var v = 0
            for i in at..<(at + n) {
                let d = b[i] &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                v = v * 10 + Int(d)
            }
            return v
        }
        guard b.count >= 20,
              let year = digits(0, 4), b[4] == UInt8(ascii: "-"),
              let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
              let day = digits(8, 2), b[10] == UInt8(ascii: "T"),
              let hour = digits(11, 2), b[13] == UInt8(ascii: ":"),
              let minute = digits(14, 2), b[16] == UInt8(ascii: ":"),
              let second = digits(17, 2),
              CalendarDate.isValid(year: year, month: month, day: day),
              hour < 24, minute < 60, second < 60
        else { return nil }
        var i = 19
        var nanos = 0, fractionDigits = 0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, b[i] &- UInt8(ascii: "0") < 10 {
                guard fractionDigits < 9 else { return nil }
                nanos = nanos * 10 + Int(b[i] - UInt8(ascii: "0"))
                fractionDigits += 1
                i += 1
            }
            guard fractionDigits > 0 else { return nil }
            for _ in fractionDigits..<9 { nanos *= 10 }
        }
        guard i < b.count else { return nil }
        var offset: Int16? = nil
        if b[i] == UInt8(ascii: "Z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = digits(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = digits(i + 4, 2),
                  oh < 24, om < 60 else { return nil }
            let minutes = Int16(oh * 60 + om)
            offset = b[i] == UInt8(ascii: "-") ? -minutes : minutes
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = CalendarDate(year: year, month: month, day: day).daysSinceEpoch
        let local = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return Timestamp(seconds: local - Int64(offset ?? 0) * 60, nanos: UInt32(nanos), offsetMinutes: offset,
                  fractionDigits: UInt8(fractionDigits))
    }

    /// The RFC 3339 text, as the producer wrote it (same offset, same fraction digits).
    public var description: String {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        write(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `description`'s UTF-8 bytes to `out`, building no string.
    public func write(into out: inout [UInt8]) {
        let offsetSeconds = Int64(offsetMinutes ?? 0) * 60
        let local = seconds + offsetSeconds
        let dayNumber = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let secOfDay = Int(local - dayNumber * 86_400)
        let date = CalendarDate(daysSinceEpoch: Int(dayNumber))
        date.write(into: &out)
        out.append(UInt8(ascii: "T"))
        appendPadded(secOfDay / 3600, 2, into: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(secOfDay / 60 % 60, 2, into: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(secOfDay % 60, 2, into: &out)
        if fractionDigits > 0 {
            var frac = Int(nanos)
            for _ in Int(fractionDigits)..<9 { frac /= 10 }
            out.append(UInt8(ascii: "."))
            appendPadded(frac, Int(fractionDigits), into: &out)
        }
        if let m = offsetMinutes {
            out.append(m < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            appendPadded(Int(abs(m)) / 60, 2, into: &out)
            out.append(UInt8(ascii: ":"))
            appendPadded(Int(abs(m)) % 60, 2, into: &out)
        } else {
            out.append(UInt8(ascii: "Z"))
        }
    }
}

/// Appends `v` in decimal with zeros in front, `width` characters at least (a minus sign counts
/// as one, after the zeros).
@inline(__always) func appendPadded(_ v: Int, _ width: Int, into out: inout [UInt8]) {
    var characters = v < 0 ? 2 : 1, rest = v.magnitude / 10
    while rest > 0 { characters += 1; rest /= 10 }
    for _ in characters..<max(characters, width) { out.append(UInt8(ascii: "0")) }
    appendDecimal(Int64(v), into: &out)
}

/// Appends `v` in decimal.
@inline(__always) public func appendDecimal(_ v: UInt64, into out: inout [UInt8]) {
    var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)
    withUnsafeMutableBytes(of: &buffer) { b in
        var i = b.count, v = v
        repeat {
            i -= 1
            b[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
            v /= 10
        } while v > 0
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[i...]))
    }
}

/// Appends `v` in decimal, with its sign.
@inline(__always) public func appendDecimal(_ v: Int64, into out: inout [UInt8]) {
    if v < 0 { out.append(UInt8(ascii: "-")) }
    appendDecimal(v.magnitude, into: &out)
}

