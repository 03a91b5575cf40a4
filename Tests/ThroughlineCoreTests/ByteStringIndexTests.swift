import Testing
@testable import ThroughlineCore

@Suite("Byte string index")
struct ByteStringIndexTests {
    @Test("Numbers strings in the order first seen and finds each again by its bytes, the empty string and prefixes included")
    func numbersAndFinds() {
        var index = ByteStringIndex()
        let keys = ["acct-1", "acct-10", "", "acct-1 ", "ä", "a"] + (0..<5000).map { "feature-\($0)" }
        for (n, k) in keys.enumerated() {
            let (i, new) = index.index(of: k)
            #expect(i == n && new, "\(k)")
        }
        for (n, k) in keys.enumerated().reversed() {
            var bytes = Array(k.utf8)
            let (i, new) = bytes.withUnsafeMutableBytes { index.index(of: UnsafeRawBufferPointer($0)) }
            #expect(i == n && !new, "\(k)")
        }
        #expect(index.count == keys.count)
    }

    @Test("Strings whose hashes are equal get numbers of their own and are each found again")
    func equalHashes() {
        var index = ByteStringIndex()
        let keys = (0..<40).map { "k\($0)" }
        func number(_ k: String, hash: UInt64) -> (index: Int, new: Bool) {
            var bytes = Array(k.utf8)
            return bytes.withUnsafeMutableBytes { index.index(of: UnsafeRawBufferPointer($0), hash: hash) }
        }
        // Every key has hash 7 (the table grows twice meanwhile), then others fill the places after it.
        for (n, k) in keys.enumerated() { #expect(number(k, hash: 7) == (n, true), "\(k)") }
        for (n, k) in keys.enumerated() { #expect(number(k + "x", hash: UInt64(8 + n)) == (keys.count + n, true), "\(k)x") }
        for (n, k) in keys.enumerated().reversed() {
            #expect(number(k, hash: 7) == (n, false), "\(k)")
            #expect(number(k + "x", hash: UInt64(8 + n)) == (keys.count + n, false), "\(k)x")
        }
        #expect(index.count == 2 * keys.count)
    }
}

@Suite("Short byte comparisons")
struct ShortBytesTests {
    @Test("Equal exactly when memcmp says so, at every length to 40 and with a difference at every place")
    func agreesWithMemcmp() {
        var rng = SystemRandomNumberGenerator()
        var unequal = 0
        for count in 0...40 {
            let a = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(a.withUnsafeBytes { x in a.withUnsafeBytes { y in ShortBytes.equal(x.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, y.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, count) } })
            for place in 0..<count {
                var b = a
                b[place] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
                let same = a.withUnsafeBytes { x in b.withUnsafeBytes { y in ShortBytes.equal(x.baseAddress!, y.baseAddress!, count) } }
                #expect(!same, "length \(count), differing at \(place)")
                if !same { unequal += 1 }
            }
        }
        #expect(unequal == (0...40).reduce(0, +))
    }
}
