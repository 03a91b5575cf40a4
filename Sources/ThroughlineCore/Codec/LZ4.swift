import CLZ4

/// liblz4's block format, bytes in and bytes out.
public enum LZ4 {
    /// Compression effort: `.fast` for the group-commit path, `.high` (LZ4 HC) for sealed data.
    public enum Level: Sendable { case fast, high }

    /// `raw` compressed, appended to `out`; returns the number of bytes appended.
    @discardableResult
    public static func compress(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8], level: Level = .fast) -> Int {
        let bound = Int(LZ4_compressBound(Int32(raw.count)))
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: bound))
        let stored: Int32 = out.withUnsafeMutableBytes { dst in
            let src = raw.baseAddress?.assumingMemoryBound(to: CChar.self)
            let d = dst.baseAddress!.advanced(by: start).assumingMemoryBound(to: CChar.self)
            switch level {
            case .fast: return LZ4_compress_default(src, d, Int32(raw.count), Int32(bound))
            case .high: return LZ4_compress_HC(src, d, Int32(raw.count), Int32(bound), 9)
            }
        }
        precondition(stored > 0 || raw.isEmpty, "LZ4 compression failed")
        out.removeLast(bound - Int(stored))
        return Int(stored)
    }

    /// The `rawLength` bytes `stored` holds; nil if LZ4 finds it malformed or of another length.
    public static func decompress(_ stored: UnsafeRawBufferPointer, rawLength: Int) -> [UInt8]? {
        // Not zeroed first: a payload that does not fill it exactly gives nil.
        var whole = false
        let out = [UInt8](unsafeUninitializedCapacity: rawLength) { dst, initialized in
            let n = LZ4_decompress_safe(stored.baseAddress?.assumingMemoryBound(to: CChar.self),
                                        UnsafeMutableRawPointer(dst.baseAddress)?.assumingMemoryBound(to: CChar.self), Int32(stored.count), Int32(rawLength))
            whole = Int(n) == rawLength
            initialized = whole ? rawLength : 0
        }
        return whole ? out : nil
    }
}
