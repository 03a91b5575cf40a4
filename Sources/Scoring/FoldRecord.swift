import ThroughlineCore

/// A record as a history folds it: the few fields `AccountHistory.add(_ view:)` takes from a
/// usage, ticket, call, community or note record, in a compact binary form. A replay's readers
/// write records so into its spill files (a fifth of the bytes of whole records), and its fold
/// reads them back with `AccountHistory.add(folded:features:)` without parsing a record again.
///
/// The form: the kind (one byte), the seq (varint), the event time in microseconds and the
/// `Hash64` of the event's id (8 bytes each, little-endian), then by kind:
/// - usage: the day reported (zigzag), the active users and events (varints), each feature used
///   as its `FeatureTable` number plus one (varints), and a 0;
/// - ticket: a byte of flags (kind in bits 0–1, contact bit 2, sentiment bit 3, whether the
///   status closes in bits 4–5: 0 none, 1 no, 2 yes), the priority and the category (a byte
///   each: 0 none, else the case's place plus one), the ticket id (varint length and UTF-8),
///   and the sentiment (a Double's 8 bytes) if flagged;
/// - call: a byte of flags (1: a sentiment follows, 2: participants follow), the sentiment, and
///   the participants (their count, then each one's varint length and UTF-8);
/// - community: the kind's place plus one (a byte);
/// - note: nothing more.
public enum FoldRecord {
    enum Kind: UInt8 { case usage = 1, ticket, call, community, note }

    /// Appends the compact form of `view` to `w`; false, writing nothing, for a record that
    /// `AccountHistory.add(_ view:)` does not read from its bytes (it takes the typed payload).
    public static func encode(_ view: RecordView, features: inout FeatureCoder, into w: inout ByteWriter) -> Bool {
        if let u = UsageFields(view, checkingFeatures: false) {
            let start = w.bytes.count
            header(.usage, view, &w)
            w.zigzag(Int64(u.periodStart.daysSinceEpoch))
            w.varint(UInt64(u.activeUsers))
            w.varint(UInt64(u.events ?? 0))
            var names = u.featuresUsed, position = 0
            while let name = names.next() {
                w.varint(UInt64(features.number(name, at: position)) + 1)
                position += 1
            }
            guard names.plain else {
                w.bytes.removeSubrange(start...)
                return false
            }
            w.u8(0)
        } else if let f = TicketFields(view) {
            header(.ticket, view, &w)
            let kind: UInt8 = switch f.kind { case .opened: 0; case .updated: 1; case .closed: 2 }
            let closes: UInt8 = f.status.map { $0 == "closed" ? 2 : 1 } ?? 0
            w.u8(kind | (f.contact ? 4 : 0) | (f.sentiment != nil ? 8 : 0) | closes << 4)
            w.u8(place(f.priority, Self.priorities))
            w.u8(place(f.category, Self.categories))
            w.string(f.ticket)
            if let s = f.sentiment { w.fixed(s.bitPattern) }
        } else if let a = ActivityFields(view) {
            switch a {
            case .call(let s, let participants):
                header(.call, view, &w)
                w.u8((s != nil ? 1 : 0) | (participants.isEmpty ? 0 : 2))
                if let s { w.fixed(s.bitPattern) }
                if !participants.isEmpty {
                    w.varint(UInt64(participants.count))
                    for p in participants { w.string(p) }
                }
            case .community(let kind):
                header(.community, view, &w)
                w.u8(place(kind, Self.communityKinds))
            case .note:
                header(.note, view, &w)
            }
        } else {
            return false
        }
        return true
    }

    private static func header(_ kind: Kind, _ view: RecordView, _ w: inout ByteWriter) {
        w.u8(kind.rawValue)
        w.varint(view.seq)
        w.fixed(view.time.microseconds)
        w.fixed(Hash64.hash(view.idBytes))
    }

    static let priorities = Priority.allCases, categories = TicketCategory.allCases, communityKinds = CommunityKind.allCases

    /// 0 for none, else the case's place in `cases` plus one.
    private static func place<E: Equatable>(_ v: E?, _ cases: [E]) -> UInt8 {
        guard let v, let i = cases.firstIndex(of: v) else { return 0 }
        return UInt8(i + 1)
    }

    /// The case at `place` in `cases` (0: none); an error names a place past the cases.
    static func value<E>(_ place: UInt8, _ cases: [E], _ r: ByteReader) throws(DecodeError) -> E? {
        guard place > 0 else { return nil }
        guard Int(place) <= cases.count else {
            throw DecodeError(offset: r.offset - 1, reason: "a compact record names case \(place) of \(E.self), which has \(cases.count)")
        }
        return cases[Int(place) - 1]
    }
}

extension AccountHistory {
    /// Adds a record in the compact form `FoldRecord.encode` writes, as `add(_ view:)` adds the
    /// record itself; `features` names the feature numbers. Reads exactly the record from `r`; an
    /// error names a malformed one.
    public mutating func add(folded r: inout ByteReader, features: [String]) throws(DecodeError) {
        let kindByte = try r.u8()
        guard let kind = FoldRecord.Kind(rawValue: kindByte) else {
            throw DecodeError(offset: r.offset - 1, reason: "unknown compact record kind \(kindByte)")
        }
        let seq = try r.varint(), t = try r.fixed(Int64.self), order = try r.fixed(UInt64.self)
        switch kind {
        case .usage:
            let day = Int(try r.zigzag()), users = Int(try r.varint()), events = Int(try r.varint())
            var bits = FeatureBits()
            while true {
                let n = try r.varint()
                guard n > 0 else { break }
                guard n <= features.count else {
                    throw DecodeError(offset: r.offset - 1, reason: "a compact usage record names feature \(n - 1) of \(features.count)")
                }
                bits.insert(foldedFeature(Int(n - 1), features))
            }
            addUsage(day: day, users: users, events: events, bits, time: t, order: order, seq: seq)
        case .ticket:
            let flags = try r.u8()
            let priority: Priority? = try FoldRecord.value(try r.u8(), FoldRecord.priorities, r)
            let category: TicketCategory? = try FoldRecord.value(try r.u8(), FoldRecord.categories, r)
            let id = try r.bytes(try r.length())
            let sentiment = flags & 8 != 0 ? Double(bitPattern: try r.fixed(UInt64.self)) : nil
            let ticketKind: TicketFact.Kind
            switch flags & 3 {
            case 0: ticketKind = .opened
            case 1: ticketKind = .updated
            case 2: ticketKind = .closed
            default: throw DecodeError(offset: r.offset, reason: "a compact ticket record has kind 3")
            }
            let closes: Bool? = switch flags >> 4 & 3 { case 1: false; case 2: true; default: nil }
            addTicket(id, TicketStep(kind: ticketKind, priority: priority, closes: closes), category: category, sentiment: sentiment,
                      contact: flags & 4 != 0, time: t, order: order, seq: seq)
        case .call:
            let flags = try r.u8()
            let sentiment = flags & 1 != 0 ? Double(bitPattern: try r.fixed(UInt64.self)) : nil
            var participants: [String] = []
            if flags & 2 != 0 {
                for _ in 0..<(try r.varint()) { participants.append(String(decoding: try r.bytes(try r.length()), as: UTF8.self)) }
            }
            addActivity(.call(sentiment: sentiment, participants: participants), time: t, order: order, seq: seq)
        case .community:
            guard let kind: CommunityKind = try FoldRecord.value(try r.u8(), FoldRecord.communityKinds, r) else {
                throw DecodeError(offset: r.offset - 1, reason: "a compact community record has no kind")
            }
            addActivity(.community(kind), time: t, order: order, seq: seq)
        case .note:
            addActivity(.note, time: t, order: order, seq: seq)
        }
    }
}
