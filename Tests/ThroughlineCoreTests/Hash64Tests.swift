import Testing
import ThroughlineCore

/// Hash64's values are kept in id indexes on disk and order facts of the same microsecond: they
/// must never change, however the hash is computed.
@Suite("Hash64")
struct Hash64Tests {
    /// The hash as first defined: 8-byte words, then the last bytes one by one.
    static func reference(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        func mix(_ x: UInt64) -> UInt64 {
            var z = x &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var h: UInt64 = 0x2545_F491_4F6C_DD1D ^ UInt64(bytes.count)
        var i = 0
        while i + 8 <= bytes.count {
            var word: UInt64 = 0
            for k in 0..<8 { word |= UInt64(bytes[i + k]) << UInt64(8 * k) }
            h = mix(h ^ word)
            i += 8
        }
        var tail: UInt64 = 0
        for k in 0..<(bytes.count - i) { tail |= UInt64(bytes[i + k]) << UInt64(8 * k) }
        return mix(h ^ tail ^ 0xFF51_AFD7_ED55_8CCD)
    }

    @Test("Known strings keep their hashes")
    func pinned() {
        let known: [(String, UInt64)] = [("", 0x881455fb239d8a9a), ("a", 0x6cc31dcecf8c096f), ("acct-00012", 0xc1ff81922426d308),
                                         ("usage-acct-00012-2025-03-01", 0xc18bd8b306302921), ("01234567", 0x50307f762687de6)]
        for (s, h) in known { #expect(Hash64.hash(s) == h, "\(s)") }
    }

    @Test("Every length from 0 to 40, at every alignment, hashes as the byte-by-byte definition")
    func lengths() {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes.withUnsafeBytes { all in
            for start in 0..<8 {
                for n in 0...40 {
                    let b = UnsafeRawBufferPointer(rebasing: all[start..<(start + n)])
                    #expect(Hash64.hash(b) == Self.reference(b), "length \(n) at \(start)")
                }
            }
        }
    }
}
