/// A fast 64-bit hash of event ids for the idempotency index. Not cryptographic: every match
/// is confirmed against the stored event, so a collision costs a read, never a wrong answer.
/// Its values are kept on disk (the id index) and order facts of the same microsecond, so they
/// never change (a test pins some).
public enum Hash64 {
    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Hash of a byte string.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x2545_F491_4F6C_DD1D ^ UInt64(bytes.count)
        var i = 0
        while i + 8 <= bytes.count {
            h = mix(h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian)
            i += 8
        }
        // The last 1 to 7 bytes as a little-endian number: from the 8 bytes ending at the end
        // when the string has 8, else byte by byte.
        let rest = bytes.count - i
        var tail: UInt64 = 0
        if rest > 0 && bytes.count >= 8 {
            tail = bytes.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self).littleEndian >> UInt64(64 - 8 * rest)
        } else {
            var shift: UInt64 = 0
            while i < bytes.count {
                tail |= UInt64(bytes[i]) << shift
                shift += 8
                i += 1
            }
        }
        return mix(h ^ tail ^ 0xFF51_AFD7_ED55_8CCD)
    }

    /// Hash of a string's UTF-8 bytes.
    public static func hash(_ s: String) -> UInt64 {
        var s = s
        return s.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }
}
