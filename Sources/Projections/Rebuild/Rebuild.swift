import CAllocator
import EventLog
import Foundation
import GRDB
import Scoring
import ThroughlineCore

/// Builds the read models of a data directory from nothing: a new file beside the old one,
/// filled account range by account range (each account's whole history folded in memory and
/// written once, in key order, without a journal), then renamed over the old file. Until the
/// rename the old read models stay as they were; after it, the new ones are complete.
public enum Rebuild {
    public struct Progress: Sendable {
        /// Events folded and written so far.
        public var applied: Int
        public var total: Int
    }

    /// Rebuilds `directory`'s read models from `snapshot`. Two threads fold alternate ranges while
    /// this one writes: at most five ranges are in memory (two folding, two waiting, one being
    /// written), about 2.5 KB per event, so `eventsPerPart` bounds memory.
    /// Every rules version the old read models held is scored again over all history (a pending
    /// one is then complete, so it becomes active); without old read models, the default rules;
    /// then the log's rules switches, each version switched to made active in turn.
    /// `cacheMiB` is SQLite's page cache: the rows come in key order, so pages once written are
    /// seldom read again, and a larger cache only costs page faults.
    /// `scores: false` leaves the scores out and marks every account for the server to score.
    /// A forget in the log whose keys `keyring` still holds (the server stopped between storing
    /// and applying it) is applied once the read models are in place.
    public static func run(_ snapshot: LogSnapshot, directory: String, cacheMiB: Int = 64, eventsPerPart: Int = 50_000,
                           scores: Bool = true, keyring: Keyring? = nil, progress: (Progress) -> Void = { _ in }) throws {
        let built = try build(snapshot, directory: directory, cacheMiB: cacheMiB, eventsPerPart: eventsPerPart, scores: scores,
                              keyring: keyring, progress: progress)
        try install(built.file, as: directory + "/projections.sqlite")
        if let keyring, !built.forgets.isEmpty {
            try Projector(store: try ProjectionStore(directory: directory), keyring: keyring).apply(built.forgets)
        }
    }

    /// A complete rebuilt file beside the read models, and the forgets still to apply once it
    /// is in their place.
    struct Built {
        let file: String
        let forgets: [Projector.Forget]
    }

    /// The rebuild up to the file, not yet put in place (`run`).
    static func build(_ snapshot: LogSnapshot, directory: String, cacheMiB: Int = 64, eventsPerPart: Int = 50_000,
                      scores: Bool = true, keyring: Keyring? = nil, progress: (Progress) -> Void = { _ in }) throws -> Built {
        let target = directory + "/projections.sqlite"
        let building = target + ".rebuild"
        // Each range's rows and histories, tens of MiB, are freed once written: kept by the
        // allocator for the next range rather than given back and faulted in again. (Page
        // faults are dear on these machines: with SQLite's cache also cut from 1 GiB, a 10M
        // rebuild took about 150,000 instead of 700,000-940,000, and 5-9 s of the kernel's
        // time instead of 10-15 s.)
        throughline_allocator_keep_freed()
        defer { throughline_allocator_return_freed() }
        try? FileManager.default.removeItem(atPath: building)
        let parts = try AccountPartitions(snapshot, directory: directory + "/rebuild-spill", eventsPerPart: eventsPerPart)
        defer { parts.remove() }
        var refused = RowList()
        let rules = finished(RulesSwitch.applied(parts.switches, to: ProjectionStore.rules(inFile: target), refused: &refused))
        for r in parts.releases { r.put(&refused) }
        var config = Configuration()
        config.label = "throughline-rebuild"
        config.prepareDatabase { db in
            // Nothing reads this file until it is complete and renamed, so no journal and no syncs
            // until the end; a crash leaves only a file the next rebuild deletes.
            try db.execute(sql: """
                PRAGMA page_size = \(ProjectionStore.pageSize); PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;
                PRAGMA cache_size = -\(cacheMiB * 1024); PRAGMA temp_store = MEMORY
                """)
        }
        try FileSystem.ownerOnly(building)
        let queue = try DatabaseQueue(path: building, configuration: config)
        // The secondary indexes are kept up as the rows come (in account order, as their keys
        // are), on the writer's thread while the fold threads work: made in one sort each once
        // the tables were full, they had taken 3 s at 10M events with one core idle.
        try queue.inDatabase { db in
            try ProjectionStore.createSchema(db, rules: rules)
            try refused.write(db)
        }
        let horizon = min(parts.maxEventDay, parts.maxRecordedDay)

        // Two fold threads take alternate ranges; the writer takes their rows back in range order.
        let folders = 2
        let handoffs = (0..<folders).map { _ in Handoff<(rows: RowList, events: Int)>() }
        for k in 0..<folders {
            let out = handoffs[k]
            let thread = Thread {
                for part in stride(from: k, to: parts.parts.count, by: folders).map({ parts.parts[$0] }) {
                    do {
                        guard out.put((try fold(part, identity: parts.identity, rules: scores ? rules : [], horizon: horizon), part.events)) else { return }
                    } catch {
                        out.fail(error)
                        return
                    }
                }
                out.finish()
            }
            thread.name = "throughline-rebuild-fold-\(k)"
            thread.start()
        }
        defer { for h in handoffs { h.cancel() } }

        var applied = 0
        let total = parts.parts.reduce(0) { $0 + $1.events }
        let writeBehind = try WriteBehind(path: building)
        defer { try? writeBehind.finish() }
        for i in parts.parts.indices {
            guard let (rows, events) = try handoffs[i % folders].take() else { break }
            try queue.inTransaction { db in
                try rows.write(db)
                return .commit
            }
            writeBehind.wrote()
            applied += events
            progress(Progress(applied: applied, total: total))
        }
        try writeBehind.finish()
        try queue.inDatabase { db in
            try ProjectionStore.putOwners(db, parts.identity)
            try ProjectionStore.setCheckpoint(db, snapshot.position)
            try db.execute(sql: "PRAGMA journal_mode = WAL")
        }
        try queue.close()
        return Built(file: building, forgets: keyring.map { k in parts.forgets.filter { !k.applied($0.seq) } } ?? [])
    }

    /// The rows of one range of accounts, each account's whole history folded in memory, and
    /// its scores under each rules version through `horizon`.
    static func fold(_ part: AccountPartitions.Part, identity: IdentityMap, rules: [StoredRules], horizon: Int) throws -> RowList {
        var fold = BatchFold()
        var histories: [String: AccountHistory] = [:]
        try AccountPartitions.forEachRecord(in: part) { view in
            guard let (e, payload) = fold.foldable(view) else { return }
            let account = identity.account(of: view.account)
            try fold.add(e, payload, record: view, to: account)
            // A reference no account is linked to has no score.
            if rules.isEmpty || AccountRef.isKey(account) { return }
            histories[account, default: AccountHistory(account: account)].add(e, payload)
        }
        var rows = RowList()
        try fold.write(to: &rows, stored: nil)
        if rules.isEmpty {
            for (account, a) in fold.accounts.sorted(by: { $0.key < $1.key }) where !AccountRef.isKey(account) {
                rows.put(.scoreDirty, account, Day(containing: a.first).number)
            }
        }
        for account in histories.keys.sorted() {
            for r in rules {
                AccountScoring.put(histories[account]!, r, old: nil, from: .min, horizon: horizon, &rows)
            }
        }
        return rows
    }

    /// The versions as a rebuild leaves them: it scores each over all history, so a pending
    /// version is complete and becomes the active one.
    static func finished(_ rules: [StoredRules]) -> [StoredRules] {
        guard rules.contains(where: { $0.state == .pending }) else { return rules }
        return rules.map { r in
            var r = r
            r.state = r.state == .pending ? .active : .retired
            r.cursor = nil
            return r
        }
    }

    /// Puts the finished file in place of the old read models (and their WAL files).
    static func install(_ building: String, as target: String) throws {
        let fd = open(building, O_RDONLY)
        guard fd >= 0, fsync(fd) == 0 else {
            if fd >= 0 { close(fd) }
            throw ReadModelError(.io, "cannot sync the rebuilt read models \(building)")
        }
        close(fd)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target + suffix) }
        guard rename(building, target) == 0 else {
            throw ReadModelError(.io, "cannot move the rebuilt read models into place at \(target): \(String(cString: strerror(errno)))")
        }
    }
}
