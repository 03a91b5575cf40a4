/// Something wrong with a message sent to a person at the customer (`message.sent`), as the
/// message audit found it against the account as it stood when the message was sent.
public struct MessageFinding: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The same template went to the same person within the window before.
        case duplicate
        /// A personalised field disagrees with the profile or the person then.
        case fieldMismatch = "field_mismatch"
        /// An email to a person, or an account, that had withdrawn consent to email.
        case noConsent = "no_consent"
        /// Sent to an account that had churned.
        case churnedAccount = "churned_account"
        /// Sent while an urgent ticket was open that it was not about.
        case duringUrgentTicket = "during_urgent_ticket"
    }

    public var kind: Kind
    public var account: String
    public var messageID: String
    public var seq: UInt64
    public var timeMicros: Int64
    public var actor: String?
    public var template: String
    public var channel: String
    public var recipient: String
    public var detail: String
    /// The message's seq, then those of the events it is checked against.
    public var seqs: [UInt64]

    public init(kind: Kind, account: String, messageID: String, seq: UInt64, timeMicros: Int64, actor: String?, template: String,
                channel: String, recipient: String, detail: String, seqs: [UInt64]) {
        (self.kind, self.account, self.messageID, self.seq, self.timeMicros) = (kind, account, messageID, seq, timeMicros)
        (self.actor, self.template, self.channel, self.recipient, self.detail, self.seqs) = (actor, template, channel, recipient, detail, seqs)
    }

    /// As the API answers it.
    public var json: JSONValue {
        .object([
            JSONMember("kind", .string(kind.rawValue)), JSONMember("account", .string(account)),
            JSONMember("message_id", .string(messageID)), JSONMember("seq", .number(String(seq))),
            JSONMember("time", .string(Timestamp.utc(microseconds: timeMicros).description)),
            JSONMember("actor", actor.map { .string($0) } ?? .null), JSONMember("template", .string(template)),
            JSONMember("channel", .string(channel)), JSONMember("recipient", .string(recipient)),
            JSONMember("detail", .string(detail)), JSONMember("seqs", .array(seqs.map { .number(String($0)) })),
        ])
    }

    /// Messages sent and what the audit found, per sender (actor) and template.
    public struct Sender: Sendable, Equatable {
        public var actor: String?
        public var template: String
        public var messages: Int
        /// Findings by kind, in `Kind` order, those with none left out.
        public var findings: [(kind: Kind, count: Int)]

        public static func == (a: Self, b: Self) -> Bool {
            (a.actor, a.template, a.messages) == (b.actor, b.template, b.messages) && a.findings.map(\.kind) == b.findings.map(\.kind)
                && a.findings.map(\.count) == b.findings.map(\.count)
        }

        public init(actor: String?, template: String, messages: Int, findings: [(kind: Kind, count: Int)]) {
            (self.actor, self.template, self.messages, self.findings) = (actor, template, messages, findings)
        }

        public var json: JSONValue {
            .object([JSONMember("actor", actor.map { .string($0) } ?? .null), JSONMember("template", .string(template)),
                     JSONMember("messages", .number(String(messages))),
                     JSONMember("findings", .object(findings.map { JSONMember($0.kind.rawValue, .number(String($0.count))) }))])
        }
    }
}
