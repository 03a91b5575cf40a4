import Glibc

/// Splits a byte stream into NDJSON lines as chunks arrive, numbering them from 1 and refusing
/// lines over `maxLineBytes` without ever buffering more than that.
public struct LineSplitter {
    /// One line: its number and either its bytes (without the newline; a trailing `\r` is
    /// dropped) or, for an over-long line, its length.
    public enum Line {
        case text(UnsafeBufferPointer<UInt8>)
        case tooLong(Int)
    }

    public let maxLineBytes: Int
    private var carry: [UInt8] = []
    private var skipping = false
    private var skippedBytes = 0
    private(set) public var lineNumber = 0

    public init(maxLineBytes: Int = 1 << 20) { self.maxLineBytes = maxLineBytes }

    /// True for a line of only spaces and tabs: skipped, not an error.
    public static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    /// The reason given for a line over the limit.
    public static func tooLongReason(_ bytes: Int, limit: Int) -> String {
        "line is \(bytes) bytes, over the \(limit)-byte limit"
    }

    /// Feeds the next chunk; calls `onLine` for every line completed by it.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ onLine: (Int, Line) throws -> Void) rethrows {
        let bytes = chunk.bindMemory(to: UInt8.self)
        var start = 0
        while start < bytes.count {
            guard let nl = indexOfNewline(bytes, from: start) else {
                append(UnsafeBufferPointer(rebasing: bytes[start...]))
                return
            }
            if carry.isEmpty && !skipping {
                lineNumber += 1
                try emit(UnsafeBufferPointer(rebasing: bytes[start..<nl]), onLine)
            } else {
                append(UnsafeBufferPointer(rebasing: bytes[start..<nl]))
                try endCarried(onLine)
            }
            start = nl + 1
        }
    }

    /// Ends the stream; a last line without a newline is still a line.
    public mutating func finish(_ onLine: (Int, Line) throws -> Void) rethrows {
        if !carry.isEmpty || skipping { try endCarried(onLine) }
    }

    private mutating func endCarried(_ onLine: (Int, Line) throws -> Void) rethrows {
        lineNumber += 1
        if skipping {
            try onLine(lineNumber, .tooLong(skippedBytes))
        } else {
            let line = carry
            try line.withUnsafeBufferPointer { try emit($0, onLine) }
        }
        carry.removeAll(keepingCapacity: carry.capacity <= 1 << 16)
        skipping = false
        skippedBytes = 0
    }

    private func emit(_ line: UnsafeBufferPointer<UInt8>, _ onLine: (Int, Line) throws -> Void) rethrows {
        var n = line.count
        if n > 0, line[n - 1] == 0x0D { n -= 1 }
        if n > maxLineBytes {
            try onLine(lineNumber, .tooLong(n))
        } else {
            try onLine(lineNumber, .text(UnsafeBufferPointer(rebasing: line[0..<n])))
        }
    }

    private mutating func append(_ part: UnsafeBufferPointer<UInt8>) {
        if skipping {
            skippedBytes += part.count
        } else if carry.count + part.count > maxLineBytes + 1 {
            skipping = true
            skippedBytes = carry.count + part.count
            carry.removeAll()
        } else {
            carry.append(contentsOf: part)
        }
    }

    /// libc's search, many bytes a step, not a loop over each byte (a request of 1,000 events
    /// is some 300 KB to look through).
    @inline(__always) private func indexOfNewline(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard from < b.count, let base = b.baseAddress, let found = memchr(base + from, 0x0A, b.count - from) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }
}
