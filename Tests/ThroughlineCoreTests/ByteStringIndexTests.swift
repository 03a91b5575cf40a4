import Testing
import ThroughlineCore

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
}
