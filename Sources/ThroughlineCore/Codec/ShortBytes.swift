#if canImport(Glibc)
import Glibc
#endif
/// Comparing the short byte strings records are made of (keys, ids, feature names) without a
/// call to `memcmp`: up to 16 bytes by two overlapping word loads.
public enum ShortBytes {
    /// Whether the `count` bytes at `a` and at `b` are equal.
    @inline(__always)
    public static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        switch count {
        case 0: return true
        case 1...3:
            return a.load(as: UInt8.self) == b.load(as: UInt8.self) && a.load(fromByteOffset: count - 1, as: UInt8.self) == b.load(fromByteOffset: count - 1, as: UInt8.self)
                && a.load(fromByteOffset: count / 2, as: UInt8.self) == b.load(fromByteOffset: count / 2, as: UInt8.self)
        case 4...7:
            return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
                && a.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
        case 8...16:
            return a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
                && a.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        default:
            return memcmp(a, b, count) == 0
        }
    }
}
