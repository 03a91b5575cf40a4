/// Numbers byte strings (account ids, feature names) in the order they are first seen, and finds
/// one by its bytes without making a `String`: a hash names the candidate, the bytes confirm it.
/// What a fold over millions of records uses to tell which account or feature a record names.
public struct ByteStringIndex: Sendable {
    private var byHash: [UInt64: Int32] = [:]
    /// Strings whose hash another one had first (rare).
    private var collided: [(hash: UInt64, index: Int32)] = []
    /// Every string's bytes, one after the other; `ends[i]` is where string `i` ends.
    private var storage: [UInt8] = []
    private var ends: [Int] = []

    public init() {}

    public var count: Int { ends.count }

    /// The number of `key`, and whether it is new (numbered now).
    public mutating func index(of key: UnsafeRawBufferPointer) -> (index: Int, new: Bool) {
        let h = Hash64.hash(key)
        if let i = byHash[h] {
            if holds(Int(i), key) { return (Int(i), false) }
            for c in collided where c.hash == h && holds(Int(c.index), key) { return (Int(c.index), false) }
            collided.append((h, Int32(count)))
        } else {
            byHash[h] = Int32(count)
        }
        storage.append(contentsOf: key)
        ends.append(storage.count)
        return (count - 1, true)
    }

    /// The number of `key`, numbering it if new.
    public mutating func index(of key: String) -> (index: Int, new: Bool) {
        var key = key
        return key.withUTF8 { index(of: UnsafeRawBufferPointer($0)) }
    }

    /// True if string `i` is `key`.
    public func holds(_ i: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = i == 0 ? 0 : ends[i - 1]
        guard ends[i] - start == key.count else { return false }
        guard key.count > 0 else { return true }
        return storage.withUnsafeBytes { ShortBytes.equal($0.baseAddress! + start, key.baseAddress!, key.count) }
    }
}
