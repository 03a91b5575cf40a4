/// What keeps the shared picture from being whole (`GET /v1/data-quality`): references no account
/// is linked to, identity events resolved by a rule rather than as sent, accounts that may be one
/// customer twice, tickets whose lifecycle does not add up, and events far from now. It only
/// reports; every finding names the events behind it (their seqs).
public struct DataQualityReport: Sendable, Codable, Equatable {
    /// The unlinked references of one system.
    public struct System: Sendable, Codable, Equatable {
        public var system: String
        public var references: Int
        public var events: Int
        public var oldest: String

        public init(system: String, references: Int, events: Int, oldest: String) {
            (self.system, self.references, self.events, self.oldest) = (system, references, events, oldest)
        }
    }

    /// One finding: what it is, in a sentence, the accounts it concerns and the events behind it.
    public struct Finding: Sendable, Codable, Equatable {
        public var kind: String
        public var text: String
        public var accounts: [String]
        public var seqs: [UInt64]

        public init(kind: String, text: String, accounts: [String], seqs: [UInt64]) {
            (self.kind, self.text, self.accounts, self.seqs) = (kind, text, accounts, seqs)
        }

        /// The first ten seqs, comma-separated, with `…` after them if there are more.
        public var seqsText: String {
            seqs.prefix(10).map(String.init).joined(separator: ", ") + (seqs.count > 10 ? ", …" : "")
        }
    }

    /// A producer (an event's `source`) whose share of rejected lines rose: over the last 7 days
    /// against the 28 before, with its latest rejections (rejected lines have no seqs: they are
    /// not in the log).
    public struct Producer: Sendable, Codable, Equatable {
        public struct Example: Sendable, Codable, Equatable {
            public var id: String?
            public var reason: String

            public init(id: String?, reason: String) { (self.id, self.reason) = (id, reason) }

            public func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                if let id { try c.encode(id, forKey: .id) }
                try c.encode(reason, forKey: .reason)
            }
        }

        public var source: String
        public var text: String
        public var recentLines, recentRejected: Int
        /// Percentages of lines rejected, to a tenth.
        public var recentRejectedPct, beforeRejectedPct: Double
        public var examples: [Example]

        enum CodingKeys: String, CodingKey {
            case source, text, recentLines = "recent_lines", recentRejected = "recent_rejected"
            case recentRejectedPct = "recent_rejected_pct", beforeRejectedPct = "before_rejected_pct", examples
        }

        /// The finding for a producer's lines over the last 7 days and the 28 before, or nil if
        /// its rejected share is not rising: at least 3 lines rejected lately, a share at least
        /// twice the one before and a point above it.
        public static func rising(source: String, recent: (accepted: Int, rejected: Int), before: (accepted: Int, rejected: Int)) -> Producer? {
            let lines = recent.accepted + recent.rejected, earlier = before.accepted + before.rejected
            guard recent.rejected >= 3 else { return nil }
            let now = Double(recent.rejected) / Double(lines), then = earlier > 0 ? Double(before.rejected) / Double(earlier) : 0
            guard now >= 2 * then, now - then >= 0.01 else { return nil }
            func pct(_ v: Double) -> Double { (v * 1000).rounded() / 10 }
            let since = earlier > 0 ? "against \(pct(then))% in the 28 days before" : "and sent nothing in the 28 days before"
            return Producer(source: source, text: "\(source) had \(pct(now))% of its lines rejected in the last 7 days (\(recent.rejected) of \(lines)), \(since)",
                            recentLines: lines, recentRejected: recent.rejected, recentRejectedPct: pct(now), beforeRejectedPct: pct(then), examples: [])
        }
    }

    public var asOf: String
    public var unlinked: [System]
    /// Links that replaced another (the later holds) and merges refused because they would close a cycle.
    public var identity: [Finding]
    /// Accounts that share a domain, or whose names are the same once case, punctuation and
    /// company suffixes are set aside.
    public var probableDuplicates: [Finding]
    /// Tickets closed without being opened, or closed more than once.
    public var tickets: [Finding]
    /// Events dated more than two days after now, or before 2000.
    public var outOfTime: [Finding]
    /// Producers whose share of rejected lines is rising.
    public var producers: [Producer]

    enum CodingKeys: String, CodingKey {
        case asOf = "as_of", unlinked, identity, probableDuplicates = "probable_duplicates", tickets, outOfTime = "out_of_time", producers
    }

    public init(asOf: String, unlinked: [System], identity: [Finding], probableDuplicates: [Finding], tickets: [Finding], outOfTime: [Finding],
                producers: [Producer] = []) {
        (self.asOf, self.unlinked, self.identity, self.probableDuplicates, self.tickets, self.outOfTime, self.producers)
            = (asOf, unlinked, identity, probableDuplicates, tickets, outOfTime, producers)
    }

    /// The groups of near-equal name keys (`nameKey`) that are not equal: a letter or two apart
    /// (one up to 8 letters, two beyond), compared within the keys that start alike, joined
    /// through each other; each group's places in `keys`, in increasing order.
    public static func nearNames(_ keys: [String]) -> [[Int]] {
        var parent = Array(keys.indices)
        func root(_ i: Int) -> Int { var i = i; while parent[i] != i { i = parent[i] }; return i }
        let letters = keys.map { Array($0.unicodeScalars.filter { $0 != " " }) }
        let blocks = Dictionary(grouping: keys.indices.filter { letters[$0].count >= 4 }, by: { String(String.UnicodeScalarView(letters[$0].prefix(3))) })
        for block in blocks.values {
            for (n, i) in block.enumerated() {
                for j in block[(n + 1)...] where keys[i] != keys[j] {
                    let limit = max(letters[i].count, letters[j].count) > 8 ? 2 : 1
                    guard abs(letters[i].count - letters[j].count) <= limit, editDistance(letters[i], letters[j], atMost: limit) <= limit else { continue }
                    let (a, b) = (root(i), root(j))
                    if a != b { parent[max(a, b)] = min(a, b) }
                }
            }
        }
        let groups = Dictionary(grouping: keys.indices, by: root).values.filter { g in g.count > 1 && Set(g.map { keys[$0] }).count > 1 }
        return groups.map { $0.sorted() }.sorted { $0[0] < $1[0] }
    }

    /// The Levenshtein distance of `a` and `b`, or `limit + 1` once it is certain to be more.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], atMost limit: Int) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count), current = previous
        for i in 1...a.count {
            current[0] = i
            var best = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                best = min(best, current[j])
            }
            if best > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// A company name as duplicates are matched: lowercase letters and digits, without the legal
    /// suffix (`Acme Inc.` and `ACME` match).
    public static func nameKey(_ name: String) -> String {
        let words = name.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
        let suffixes: Set<String> = ["inc", "incorporated", "ltd", "limited", "llc", "gmbh", "ag", "sa", "bv", "co", "corp", "corporation", "plc", "company"]
        return words.filter { !suffixes.contains($0) }.joined(separator: " ")
    }
}
