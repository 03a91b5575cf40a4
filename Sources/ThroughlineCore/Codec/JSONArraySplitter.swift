/// Splits a streamed JSON array (`[ {...}, {...} ]`) into its elements as chunks arrive, numbering
/// them from 1 like `LineSplitter` numbers lines, so an array body and an NDJSON body go through the
/// same per-event path. It only finds element boundaries (strings, escapes and nesting); each
/// element's own syntax is checked by the decoder. An element over `maxElementBytes` is reported
/// as too long without being buffered.
public struct JSONArraySplitter {
    /// A problem with the array itself (not with one element): where it is and what is wrong.
    public struct FramingError: Error, CustomStringConvertible, Sendable {
        /// 1-based byte offset in the body.
        public let byte: Int
        public let reason: String
        public var description: String { "invalid JSON array at byte \(byte): \(reason)" }
    }

    private enum Place { case beforeArray, beforeElement, inElement, afterElement, done }

    public let maxElementBytes: Int
    private var place = Place.beforeArray
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var carry: [UInt8] = []
    private var skippedBytes: Int?
    private var offset = 0
    private(set) public var elementNumber = 0

    public init(maxElementBytes: Int = 1 << 20) { self.maxElementBytes = maxElementBytes }

    /// Feeds the next chunk; calls `onElement` for every element completed by it.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer,
                              _ onElement: (Int, LineSplitter.Line) throws -> Void) throws {
        for byte in chunk.bindMemory(to: UInt8.self) {
            offset += 1
            switch place {
            case .beforeArray:
                if isSpace(byte) { continue }
                guard byte == UInt8(ascii: "[") else { throw FramingError(byte: offset, reason: "expected '[' to open the array") }
                place = .beforeElement
            case .beforeElement, .afterElement:
                if isSpace(byte) { continue }
                if byte == UInt8(ascii: "]") {
                    if place == .beforeElement && elementNumber > 0 {
                        throw FramingError(byte: offset, reason: "expected a value after ','")
                    }
                    place = .done
                } else if place == .afterElement {
                    guard byte == UInt8(ascii: ",") else { throw FramingError(byte: offset, reason: "expected ',' or ']' after an element") }
                    place = .beforeElement
                } else if byte == UInt8(ascii: ",") {
                    throw FramingError(byte: offset, reason: "expected a value, found ','")
                } else {
                    place = .inElement
                    elementNumber += 1
                    try element(byte, onElement)
                }
            case .inElement:
                try element(byte, onElement)
            case .done:
                if isSpace(byte) { continue }
                throw FramingError(byte: offset, reason: "unexpected data after the closing ']'")
            }
        }
    }

    /// Ends the stream: the array must have been closed.
    public mutating func finish(_ onElement: (Int, LineSplitter.Line) throws -> Void) throws {
        switch place {
        case .done: return
        case .beforeArray: throw FramingError(byte: offset + 1, reason: "the body is empty, expected a JSON array")
        default: throw FramingError(byte: offset + 1, reason: "the array is not closed with ']'")
        }
    }

    /// One byte inside an element: tracks strings and nesting, and ends the element at a
    /// top-level `,` or `]`.
    private mutating func element(_ byte: UInt8, _ onElement: (Int, LineSplitter.Line) throws -> Void) throws {
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
        } else if byte == UInt8(ascii: "\"") {
            inString = true
        } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
            depth += 1
        } else if depth == 0 && (byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]")) {
            try endElement(onElement)
            place = byte == UInt8(ascii: ",") ? .beforeElement : .done
            return
        } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
            depth = max(0, depth - 1)
        }
        take(byte)
    }

    private mutating func take(_ byte: UInt8) {
        if let skipped = skippedBytes {
            skippedBytes = skipped + 1
        } else if carry.count == maxElementBytes {
            skippedBytes = carry.count + 1
            carry.removeAll()
        } else {
            carry.append(byte)
        }
    }

    private mutating func endElement(_ onElement: (Int, LineSplitter.Line) throws -> Void) throws {
        defer {
            carry.removeAll(keepingCapacity: carry.capacity <= 1 << 16)
            skippedBytes = nil
            depth = 0
            inString = false
            escaped = false
        }
        if let skipped = skippedBytes {
            try onElement(elementNumber, .tooLong(skipped))
            return
        }
        var n = carry.count
        while n > 0 && isSpace(carry[n - 1]) { n -= 1 }
        try carry.withUnsafeBufferPointer { try onElement(elementNumber, .text(UnsafeBufferPointer(rebasing: $0[0..<n]))) }
    }

    @inline(__always) private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
}
