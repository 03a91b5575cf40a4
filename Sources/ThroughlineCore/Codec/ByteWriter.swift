/// Appends little-endian integers, LEB128 varints and length-prefixed strings to a byte array.
public struct ByteWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inlinable @inline(__always) public mutating func u8(_ v: UInt8) { bytes.append(v) }

    @inlinable @inline(__always) public mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inlinable @inline(__always) public mutating func zigzag(_ v: Int64) {
        varint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { u in
            varint(UInt64(u.count))
            bytes.append(contentsOf: u)
        }
    }

    @inlinable public mutating func fixed<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// A truncated or malformed record or header: what was being read and at which byte.
public struct DecodeError: Error, Sendable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }
    public var description: String { "\(reason) at byte \(offset)" }
}

/// Reads what `ByteWriter` wrote, with bounds checks on every read.
public struct ByteReader {
    public let buffer: UnsafeRawBufferPointer
    public var offset: Int

    public init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    public var isAtEnd: Bool { offset >= buffer.count }

    @usableFromInline func fail(_ reason: String) -> DecodeError { DecodeError(offset: offset, reason: reason) }

    @inlinable @inline(__always) public mutating func u8() throws(DecodeError) -> UInt8 {
        guard offset < buffer.count else { throw fail("unexpected end of record") }
        defer { offset += 1 }
        return buffer[offset]
    }

    @inlinable @inline(__always) public mutating func varint() throws(DecodeError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < buffer.count else { throw fail("unexpected end of record in varint") }
            let b = buffer[offset]
            offset += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw fail("varint too long") }
        }
    }

    @inlinable @inline(__always) public mutating func zigzag() throws(DecodeError) -> Int64 {
        let u = try varint()
        return Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1)
    }

    @inlinable @inline(__always) public mutating func length() throws(DecodeError) -> Int {
        let n = try varint()
        guard n <= UInt64(buffer.count - offset) else { throw fail("length \(n) runs past the end of the record") }
        return Int(n)
    }

    @inlinable public mutating func bytes(_ n: Int) throws(DecodeError) -> UnsafeRawBufferPointer {
        guard n <= buffer.count - offset else { throw fail("unexpected end of record") }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + n)])
    }

    public mutating func string() throws(DecodeError) -> String {
        let n = try length()
        return String(decoding: try bytes(n), as: UTF8.self)
    }

    @inlinable public mutating func skipString() throws(DecodeError) {
        offset += try length()
    }

    @inlinable public mutating func fixed<T: FixedWidthInteger>(_: T.Type) throws(DecodeError) -> T {
        let size = MemoryLayout<T>.size
        guard size <= buffer.count - offset else { throw fail("unexpected end of header") }
        defer { offset += size }
        return T(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
