/// Numbers byte strings (account ids, feature names) in the order they are first seen, and finds
/// one by its bytes without making a `String`: a hash names the candidate, the bytes confirm it.
/// What a fold over millions of records uses to tell which account or feature a record names.
public struct ByteStringIndex: Sendable {
    /// An open-addressing table over the strings' hashes: each slot holds a string's number plus
    /// one (0: empty), at its hash's place or the next free one after it. At most half full.
    private var slots = [Int32](repeating: 0, count: 16)
    private var hashes: [UInt64] = []
    /// Every string's bytes, one after the other; `ends[i]` is where string `i` ends.
    private var storage: [UInt8] = []
    private var ends: [Int] = []

    public init() {}

    public var count: Int { ends.count }

    /// The number of `key`, and whether it is new (numbered now).
    public mutating func index(of key: UnsafeRawBufferPointer) -> (index: Int, new: Bool) {
        index(of: key, hash: Hash64.hash(key))
    }

    /// The same, with the key's hash given: `Hash64.hash(key)` when the caller has it already
    /// (tests give strings one hash to follow the path of strings whose hashes are equal).
    public mutating func index(of key: UnsafeRawBufferPointer, hash h: UInt64) -> (index: Int, new: Bool) {
        let mask = slots.count - 1
        var place = Int(truncatingIfNeeded: h) & mask
        while true {
            let slot = Int(slots[place])
            if slot == 0 { break }
            if hashes[slot - 1] == h && holds(slot - 1, key) { return (slot - 1, false) }
            place = (place + 1) & mask
        }
        slots[place] = Int32(count + 1)
        hashes.append(h)
        storage.append(contentsOf: key)
        ends.append(storage.count)
        if count * 2 > slots.count { grow() }
        return (count - 1, true)
    }

    /// Doubles the table and puts every string in it again.
    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (i, h) in hashes.enumerated() {
            var place = Int(truncatingIfNeeded: h) & mask
            while slots[place] != 0 { place = (place + 1) & mask }
            slots[place] = Int32(i + 1)
        }
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
