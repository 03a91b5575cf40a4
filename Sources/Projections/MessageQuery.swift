import GRDB
import Scoring
import ThroughlineCore

extension ProjectionStore {
    /// Which findings of the message audit to answer: each given filter must hold.
    public struct MessageFilter: Sendable {
        public var actor, template, account: String?
        public var kind: MessageFinding.Kind?
        public var limit = 100
        public init() {}
    }

    /// The message audit's findings (`MessageAudit`) over the accounts messages were sent to,
    /// newest first (at most `filter.limit`), and the messages and findings of each sender and
    /// template the filter keeps.
    public func messageFindings(_ filter: MessageFilter) throws -> (findings: [MessageFinding], senders: [MessageFinding.Sender]) {
        let (accounts, sent) = try read { db in
            let keep = "(?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR template = ?2) AND (?3 IS NULL OR account = ?3)"
            let args: StatementArguments = [filter.actor, filter.template, filter.account]
            let accounts = try String.fetchAll(db, sql: "SELECT DISTINCT account FROM message_events WHERE \(keep) ORDER BY account", arguments: args)
            let sent = try Row.fetchAll(db, sql: "SELECT actor, template, COUNT(*) FROM message_events WHERE \(keep) GROUP BY actor, template",
                                        arguments: args).map { r -> (String?, String, Int) in (r[0], r[1], r[2]) }
            return (accounts, sent)
        }
        var all: [MessageFinding] = []
        for account in accounts where !AccountRef.isKey(account) {
            guard let h = try read({ db in try Self.history(db, account, only: MessageAudit.reads) }) else { continue }
            all += MessageAudit.findings(h).filter { f in
                (filter.actor.map { $0 == f.actor } ?? true) && (filter.template.map { $0 == f.template } ?? true)
            }
        }
        let counted = Dictionary(grouping: all) { [$0.actor ?? "", $0.template] }
        var senders: [MessageFinding.Sender] = []
        for (actor, template, messages) in sent {
            let found = counted[[actor ?? "", template]] ?? []
            var kinds: [(kind: MessageFinding.Kind, count: Int)] = []
            for k in MessageFinding.Kind.allCases {
                let n = found.count { $0.kind == k }
                if n > 0 { kinds.append((k, n)) }
            }
            senders.append(MessageFinding.Sender(actor: actor, template: template, messages: messages, findings: kinds))
        }
        // The senders with most findings first.
        senders.sort { a, b in
            let (x, y) = (a.findings.reduce(0) { $0 + $1.count }, b.findings.reduce(0) { $0 + $1.count })
            return x != y ? x > y : (a.actor ?? "", a.template) < (b.actor ?? "", b.template)
        }
        let kept = all.filter { f in filter.kind.map { $0 == f.kind } ?? true }
            .sorted { ($0.timeMicros, $0.seq, $0.kind.rawValue) > ($1.timeMicros, $1.seq, $1.kind.rawValue) }
        return (Array(kept.prefix(filter.limit)), senders)
    }
}
