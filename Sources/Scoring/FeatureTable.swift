import Synchronization
import ThroughlineCore

/// Feature names numbered once for several readers at once: a replay's readers write each usage
/// record's features as these numbers (`FoldRecord`), and its fold reads the names back from
/// `names` once the readers are done.
public final class FeatureTable: Sendable {
    private let state = Mutex((index: ByteStringIndex(), names: [String]()))

    public init() {}

    /// Every name numbered so far, by number.
    public var names: [String] { state.withLock { $0.names } }

    /// The number of `name`, numbering it if new.
    func number(_ name: UnsafeRawBufferPointer) -> Int32 {
        state.withLock { s in
            let (i, new) = s.index.index(of: name)
            if new { s.names.append(String(decoding: name, as: UTF8.self)) }
            return Int32(i)
        }
    }
}

/// One reader's way to a `FeatureTable`'s numbers without taking its lock for each name: a name
/// is first compared with the name at the same place in the reader's previous usage record
/// (records mostly name the same features in the same order), then looked up in the reader's
/// own index; only a name the reader has not met goes to the shared table.
public struct FeatureCoder {
    public let table: FeatureTable
    private var seen = ByteStringIndex()
    /// The table's number of each name in `seen`.
    private var numbers: [Int32] = []
    /// The previous record's names, by place, as indexes in `seen`.
    private var last: [Int32] = []

    public init(_ table: FeatureTable) { self.table = table }

    /// The table's number of `name`, the record's `position`th feature.
    mutating func number(_ name: UnsafeRawBufferPointer, at position: Int) -> Int32 {
        if position < last.count && seen.holds(Int(last[position]), name) { return numbers[Int(last[position])] }
        let (i, new) = seen.index(of: name)
        if new { numbers.append(table.number(name)) }
        if position < last.count { last[position] = Int32(i) } else { last.append(Int32(i)) }
        return numbers[i]
    }
}
