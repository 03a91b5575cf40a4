import EventLog
import Scoring
import Foundation
import Synchronization
import ThroughlineCore

/// The log's records regrouped by account: each record is copied into a spill file as an entry
/// of its part, and a part is then folded with every event of its accounts in hand, so memory is
/// bounded by the part, not the log. For a rebuild the accounts, sorted, are cut into ranges of
/// about `eventsPerPart` events (rows then reach SQLite in key order); for a replay, where order
/// does not matter, accounts go to parts by a hash of their id, in one pass read on several
/// threads. Each reader writes one spill file (`SpillFile`), its parts in stretches.
struct AccountPartitions {
    /// One part of the accounts and the stretches holding its entries (read in turn, they are in
    /// seq order).
    struct Part {
        let stretches: [SpillStretch]
        let events: Int
    }

    let parts: [Part]
    let directory: String
    /// The feature names a replay's compact records number (none for a rebuild's parts).
    var features: [String] = []
    /// Where each key's events belong, from the log's identity events (the accounts of the parts
    /// are those it resolves to).
    var identity = IdentityMap()
    /// The log's `subject.forgotten` events, in seq order (a rebuild's pass only).
    var forgets: [Projector.Forget] = []
    /// The log's `rules.activated` events, in seq order (a rebuild's pass only).
    var switches: [RulesSwitch] = []
    var releases: [ProductRelease] = []
    /// The day of the latest event time, and of the latest append.
    let maxEventDay: Int, maxRecordedDay: Int

    /// Reads `snapshot` twice, each time on `readers` threads that take one run of its seqs each:
    /// once to count each account's events, once to copy each record into its range's stretches
    /// of a spill file under `directory` (created, and removed by `remove()`). Neither pass opens a
    /// sealed value but those of the few events it reads more than the envelope of. A log kept
    /// elsewhere is fetched once: the second pass reads the blocks the first kept under `directory`.
    init(_ snapshot: LogSnapshot, directory: String, eventsPerPart: Int, readers: Int = 2) throws {
        self.directory = try Self.fresh(directory)
        let snapshot = try snapshot.keepingFetched(at: directory + "/log-blocks")
        struct Count: Sendable {
            var counts: [String: Int] = [:]
            var latest = Int64.min, recorded = Int64.min
            var statements: [IdentityMap.Statement] = [], forgets: [Projector.Forget] = [], switches: [RulesSwitch] = []
            var releases: [ProductRelease] = []
        }
        let counted = try Self.inRuns(of: snapshot, readers: readers) { _, first, last in
            var c = Count()
            try snapshot.forEachRecord(from: first, fetchingAhead: true) { seq, recorded, body in
                guard seq <= last else { return false }
                // The few events read past their envelope open their own sealed values.
                let view = try RecordView(seq: seq, recordedMicros: recorded, body: body, opening: .none)
                // Rules switches and releases belong to no account (nor to the scores' horizon).
                if let s = RulesSwitch(view) { c.switches.append(s) }
                if let r = ProductRelease(view) { c.releases.append(r) }
                if view.type.belongsToNoAccount { return true }
                c.counts[view.account, default: 0] += 1
                c.latest = max(c.latest, view.time.microseconds)
                c.recorded = max(c.recorded, view.recordedMicros)
                if let s = IdentityMap.Statement(view) { c.statements.append(s) }
                if let f = Projector.Forget(view) { c.forgets.append(f) }
                return true
            }
            return c
        }
        (maxEventDay, maxRecordedDay) = Self.days(latest: counted.map(\.latest).max() ?? .min, recorded: counted.map(\.recorded).max() ?? .min,
                                                  empty: counted.allSatisfy(\.counts.isEmpty))
        // Each key's events go to the part of the account they belong to.
        let identity = IdentityMap(counted.flatMap(\.statements))
        self.identity = identity
        forgets = counted.flatMap(\.forgets)
        switches = counted.flatMap(\.switches)
        releases = counted.flatMap(\.releases)
        var counts: [String: Int] = [:]
        for c in counted {
            for (key, n) in c.counts { counts[identity.account(of: key), default: 0] += n }
        }
        // Byte order is SQLite's order for the text keys.
        let sorted = counts.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var partOf: [String: Int] = [:]
        var sizes: [Int] = [0]
        for account in sorted {
            let n = counts[account] ?? 0
            if sizes[sizes.count - 1] > 0 && sizes[sizes.count - 1] + n > eventsPerPart { sizes.append(0) }
            sizes[sizes.count - 1] += n
            partOf[account] = sizes.count - 1
        }
        let directory = self.directory
        let spilled = try Self.inRuns(of: snapshot, readers: readers) { [sizes, partOf] k, first, last in
            // The readers' buffers together hold what one reader's 1 MiB per part did.
            var spill = try SpillFile(path: directory + "/spill-\(k)", parts: sizes.count, buffer: (1 << 20) / readers)
            try snapshot.forEachRecord(from: first, fetchingAhead: true) { seq, recorded, body in
                guard seq <= last else { return false }
                let view = try RecordView(seq: seq, recordedMicros: recorded, body: body, opening: .none)
                if view.type.belongsToNoAccount { return true }
                guard let part = partOf[identity.account(of: view.account)] else {
                    throw ReadModelError(.damaged, "seq \(seq) belongs to an account the first reading did not see")
                }
                try spill.append(to: part) { RecordChunk.append(seq: seq, recorded: recorded, body: body, to: &$0) }
                return true
            }
            try spill.finish()
            return spill.stretches
        }
        // A part's stretches, reader by reader, are in seq order.
        parts = sizes.indices.map { p in Part(stretches: spilled.flatMap { $0[p] }, events: sizes[p]) }
    }

    /// `read(k, first, last)` for each of `readers` runs of `snapshot`'s seqs at once, run k
    /// from `first` through `last` (an empty run has `first > last`); the results in seq order.
    private static func inRuns<T: Sendable>(of snapshot: LogSnapshot, readers: Int, _ read: @Sendable (Int, UInt64, UInt64) throws -> T) throws -> [T] {
        let readers = max(1, min(readers, Int(snapshot.lastSeq)))
        let run = (snapshot.lastSeq + UInt64(readers) - 1) / UInt64(readers)
        let outcomes = Mutex([Result<T, Error>?](repeating: nil, count: readers))
        DispatchQueue.concurrentPerform(iterations: readers) { k in
            let outcome = Result { try read(k, UInt64(k) * run + 1, min(snapshot.lastSeq, UInt64(k + 1) * run)) }
            outcomes.withLock { $0[k] = outcome }
        }
        return try outcomes.withLock { $0 }.map { try $0!.get() }
    }

    /// One pass over `snapshot`, its seqs cut into `readers` runs read at once: each record goes
    /// to part `hash(account) % n`, where n gives parts of about `eventsPerPart` events (`buffer`
    /// bytes of each part kept before they are written out). A record
    /// the replay's fold reads from its bytes is written as the fold takes it (`FoldRecord`, its
    /// features numbered in `features`), any other whole. Each entry names its account by a number
    /// the reader gives it among the part's accounts (0, 1, … as they first come), with the
    /// account's bytes the first time (`forEachEntry`).
    ///
    /// Records go to the account `identity` says they belong to; the identity events the pass
    /// meets make `identity` anew (the caller passes again with it if it differs).
    init(hashing snapshot: LogSnapshot, directory: String, eventsPerPart: Int, readers: Int, buffer: Int = 128 << 10,
         identity: IdentityMap = IdentityMap()) throws {
        self.directory = try Self.fresh(directory)
        let count = max(1, Int(snapshot.lastSeq) / max(1, eventsPerPart))
        let table = FeatureTable()
        struct Read: Sendable {
            var events: [Int]
            var stretches: [[SpillStretch]]
            var latest: Int64
            var recorded: Int64
            var statements: [IdentityMap.Statement] = []
        }
        // Only references, and accounts merged away, belong elsewhere: most keys need no lookup.
        let merges = identity.owners.keys.contains { !AccountRef.isKey($0) }
        let directory = self.directory
        let reads = try Self.inRuns(of: snapshot, readers: readers) { k, first, last in
            var read = Read(events: [Int](repeating: 0, count: count), stretches: Array(repeating: [], count: count),
                            latest: .min, recorded: .min)
            guard first <= last else { return read }
            var coder = FeatureCoder(table)
            // The reader's accounts, and each one's number among its part's accounts.
            var accounts = ByteStringIndex(), numbers: [Int32] = [], counts = [Int32](repeating: 0, count: count)
            // Small buffers: the reader holds one per part.
            var spill = try SpillFile(path: directory + "/spill-\(k)", parts: count, buffer: buffer)
            // Each key's place, found once per key: the part its owner (the account a reference
            // is linked to or an account merged into, else the key itself) falls in, and that
            // account's number there. A record then costs one look-up of its key.
            var keys = ByteStringIndex(), places: [(part: Int, number: Int)] = []
            try snapshot.forEachRecord(from: first, fetchingAhead: true) { seq, recorded, body in
                guard seq <= last else { return false }
                // Tickets and notes go to their compact form, which reads no personal value: left sealed.
                let view = try RecordView(seq: seq, recordedMicros: recorded, body: body, opening: .readers)
                if view.type.belongsToNoAccount { return true }
                if let s = IdentityMap.Statement(view) { read.statements.append(s) }
                let (key, newKey) = keys.index(of: view.accountBytes)
                // The account's name, when this record is its first in this reader.
                var fresh: [UInt8]?
                if newKey {
                    let owner = merges || AccountRef.isKey(view.accountBytes)
                        ? identity.owners[String(decoding: view.accountBytes, as: UTF8.self)].map { Array($0.utf8) } : nil
                    let name = owner ?? Array(view.accountBytes)
                    name.withUnsafeBytes { bytes in
                        let hash = Hash64.hash(bytes)
                        let part = Int(hash % UInt64(count))
                        let (account, newAccount) = accounts.index(of: bytes, hash: hash)
                        if newAccount {
                            numbers.append(counts[part])
                            counts[part] += 1
                            fresh = name
                        }
                        places.append((part, Int(numbers[account])))
                    }
                }
                let (part, number) = places[key]
                if let fresh {
                    try fresh.withUnsafeBytes { b in try spill.append(to: part) { Self.entry(view, account: number, bytes: b, features: &coder, into: &$0) } }
                } else {
                    try spill.append(to: part) { Self.entry(view, account: number, bytes: nil, features: &coder, into: &$0) }
                }
                read.events[part] += 1
                read.latest = max(read.latest, view.time.microseconds)
                read.recorded = max(read.recorded, recorded)
                return true
            }
            try spill.finish()
            read.stretches = spill.stretches
            return read
        }
        let latest = reads.map(\.latest).max() ?? .min, recorded = reads.map(\.recorded).max() ?? .min
        (maxEventDay, maxRecordedDay) = Self.days(latest: latest, recorded: recorded, empty: snapshot.lastSeq == 0)
        parts = (0..<count).map { p in
            Part(stretches: reads.flatMap { $0.stretches[p] }, events: reads.reduce(0) { $0 + $1.events[p] })
        }
        features = table.names
        self.identity = IdentityMap(reads.flatMap(\.statements))
    }

    /// The tags of a replay's entries: a record kept whole, or in its compact form.
    static let wholeTag: UInt8 = 0, foldedTag: UInt8 = 1

    /// Appends a replay's entry for `view`: the tag, the `account` number (times two, plus one
    /// when the account is new to the reader, and then its `bytes`), and the record in its compact
    /// form, or else whole.
    private static func entry(_ view: RecordView, account: Int, bytes: UnsafeRawBufferPointer?, features: inout FeatureCoder, into w: inout ByteWriter) {
        let start = w.bytes.count
        w.u8(foldedTag)
        w.varint(UInt64(account) << 1 | (bytes != nil ? 1 : 0))
        if let bytes {
            w.varint(UInt64(bytes.count))
            w.bytes.append(contentsOf: bytes)
        }
        let body = w.bytes.count
        if !FoldRecord.encode(view, features: &features, into: &w) {
            w.bytes.removeSubrange(body...)
            w.bytes[start] = wholeTag
            RecordChunk.append(seq: view.seq, recorded: view.recordedMicros, body: view.stored, to: &w)
        }
    }

    /// Drops the spill files.
    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// `directory`, emptied (or created) for the spill files.
    private static func fresh(_ directory: String) throws -> String {
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// The days of the latest event time and the latest append. An empty log has no latest day;
    /// day 0 then, which no account is scored up to.
    private static func days(latest: Int64, recorded: Int64, empty: Bool) -> (Int, Int) {
        empty ? (0, 0) : (Day(containing: latest).number, Day(containing: recorded).number)
    }

    /// Calls `body` with each record of a rebuild's part (`init(_:directory:eventsPerPart:)`), in
    /// seq order.
    static func forEachRecord(in part: Part, _ body: (RecordView) throws -> Void) throws {
        try SpillFile.read(part.stretches) { try RecordChunk.forEach(raw: $1, body) }
    }

    /// Calls `account`, `whole` or `folded` for each entry of a replay's part
    /// (`init(hashing:)`), in seq order: `account` with the bytes of each account the first time
    /// it comes (the part's accounts are numbered from 0 in that order); `whole` with the
    /// account's number and a record kept whole; `folded` with the account's number and a reader
    /// at a record's compact form, which it must read to its end.
    static func forEachEntry(in part: Part, account: (UnsafeRawBufferPointer) -> Void, whole: (Int, RecordView) throws -> Void,
                             folded: (Int, inout ByteReader) throws -> Void) throws {
        var accounts = ByteStringIndex()
        // The part's number of each account the current file's reader numbered. A part's
        // stretches are its readers' in turn, so a new file starts a new numbering.
        var file: ObjectIdentifier?, ours: [Int32] = []
        try SpillFile.read(part.stretches) { stretch, raw in
            if file != ObjectIdentifier(stretch.file) {
                file = ObjectIdentifier(stretch.file)
                ours = []
            }
            var r = ByteReader(raw)
            while !r.isAtEnd {
                let at = r.offset, tag = try r.u8()
                guard tag == wholeTag || tag == foldedTag else { throw DecodeError(offset: at, reason: "an entry has the unknown tag \(tag)") }
                let named = try r.varint(), theirs = Int(named >> 1)
                if named & 1 == 1 {
                    guard theirs == ours.count else {
                        throw DecodeError(offset: at, reason: "a new account is numbered \(theirs), not \(ours.count)")
                    }
                    let bytes = try r.bytes(try r.length())
                    let (i, new) = accounts.index(of: bytes)
                    if new { account(bytes) }
                    ours.append(Int32(i))
                } else if theirs >= ours.count {
                    throw DecodeError(offset: at, reason: "an entry names account \(theirs) of \(ours.count)")
                }
                let i = Int(ours[theirs])
                if tag == foldedTag {
                    try folded(i, &r)
                } else {
                    let seq = try r.fixed(UInt64.self), recorded = try r.fixed(Int64.self)
                    try whole(i, try RecordView(seq: seq, recordedMicros: recorded, body: try r.bytes(try r.length())))
                }
            }
        }
    }
}
