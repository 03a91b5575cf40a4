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

    enum CodingKeys: String, CodingKey {
        case asOf = "as_of", unlinked, identity, probableDuplicates = "probable_duplicates", tickets, outOfTime = "out_of_time"
    }

    public init(asOf: String, unlinked: [System], identity: [Finding], probableDuplicates: [Finding], tickets: [Finding], outOfTime: [Finding]) {
        (self.asOf, self.unlinked, self.identity, self.probableDuplicates, self.tickets, self.outOfTime)
            = (asOf, unlinked, identity, probableDuplicates, tickets, outOfTime)
    }

    /// A company name as duplicates are matched: lowercase letters and digits, without the legal
    /// suffix (`Acme Inc.` and `ACME` match).
    public static func nameKey(_ name: String) -> String {
        let words = name.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
        let suffixes: Set<String> = ["inc", "incorporated", "ltd", "limited", "llc", "gmbh", "ag", "sa", "bv", "co", "corp", "corporation", "plc", "company"]
        return words.filter { !suffixes.contains($0) }.joined(separator: " ")
    }
}
