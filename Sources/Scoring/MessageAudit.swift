import ThroughlineCore

/// Checks each message sent to an account's people (`message.sent`) against the account as it
/// stood when it was sent: the same template to the same person within `duplicateWindow`; a
/// personalised field that disagrees with the profile or the person (`first_name`, `name`,
/// `company`, `plan`, `renewal_date`, `csm`; other fields are not checked); an email to a person
/// or an account that had withdrawn consent to email; a message to an account that had churned
/// (and not renewed since); one sent while an urgent ticket was open that it is not about. Pure:
/// the same history gives the same findings.
public enum MessageAudit {
    /// How close two messages of one template to one person count as sent twice.
    public static let duplicateWindow: Int64 = 72 * 3_600_000_000

    /// The event types the checks read (the messages, the people, the profile, the outcomes and the
    /// tickets): a history of these alone gives the same findings as the whole one.
    public static let reads: Set<EventType> = [.messageSent, .contactUpdated, .accountUpdated, .accountChurned, .accountRenewed,
                                               .ticketOpened, .ticketUpdated, .ticketClosed]

    /// The fields checked, and what each is checked against.
    public static let checkedFields = ["first_name", "name", "company", "plan", "renewal_date", "csm"]

    public static func findings(_ h: AccountHistory) -> [MessageFinding] {
        let sent = h.messages.items
        var out: [MessageFinding] = []
        for (i, f) in sent.enumerated() {
            let m = f.value.message, t = f.time
            func found(_ kind: MessageFinding.Kind, _ detail: String, _ behind: [UInt64] = []) {
                out.append(MessageFinding(kind: kind, account: h.account, messageID: m.messageID, seq: f.seq, timeMicros: t,
                                          actor: f.value.actor, template: m.template, channel: m.channel.rawValue,
                                          recipient: m.recipient, detail: detail, seqs: [f.seq] + behind.filter { $0 != f.seq }))
            }
            let people = PeopleDirectory(h.contactUpdates.upTo(t).map { PeopleDirectory.Update(time: $0.time, seq: $0.seq, contact: $0.value) })
            let person = people.resolve(m.recipient).map { people.people[$0] }
            func samePerson(_ other: MessageSent) -> Bool {
                if let person, let o = people.resolve(other.recipient) { return people.people[o].key == person.key }
                return PeopleDirectory.normalisedName(other.recipient) == PeopleDirectory.normalisedName(m.recipient)
            }
            // Sent twice.
            if let before = sent[..<i].last(where: { t - $0.time <= duplicateWindow && $0.value.message.template == m.template && samePerson($0.value.message) }) {
                found(.duplicate, "\(m.template) was sent to \(m.recipient) \(span(t - before.time)) before as well (message \(before.value.message.messageID))", [before.seq])
            }
            // The profile as it stood.
            let profile = Stated(h.profile.upTo(t))
            for (name, value) in m.fields where checkedFields.contains(name) {
                var said: (String, [UInt64])?
                switch name {
                case "first_name": said = person?.name.map { (String($0.split(separator: " ").first ?? ""), [person!.seqs.last ?? 0]) }
                case "name": said = person?.name.map { ($0, [person!.seqs.last ?? 0]) }
                case "company": said = profile.name
                case "plan": said = profile.plan
                case "csm": said = profile.csm
                default: said = profile.renewal.map { ($0.0.description, $0.1) }
                }
                guard let (truth, seqs) = said, !agrees(value, truth, date: name == "renewal_date") else { continue }
                found(.fieldMismatch, "\(name) was sent as \"\(value)\"; \(name == "first_name" || name == "name" ? "the person's name" : "the profile") said \"\(truth)\" then", seqs)
            }
            // Consent to email.
            if m.channel == .email {
                if let refused = person?.consentEmail.last(where: { $0.micros <= t }), !refused.given {
                    found(.noConsent, "an email to \(m.recipient), who had withdrawn consent to email", [refused.seq])
                } else if let (given, seq) = profile.consentEmail, !given {
                    found(.noConsent, "an email while the account had withdrawn consent to email", [seq])
                }
            }
            // Churned.
            if let outcome = h.outcomes.upTo(t).last, !outcome.value {
                found(.churnedAccount, "sent after the account churned on \(Day(containing: outcome.time).date)", [outcome.seq])
            }
            // An urgent ticket it is not about.
            let urgent = h.openTicketPriorities(at: t).filter { $0.priority == .urgent && $0.ticket != m.ticketID }.map(\.ticket)
            if !urgent.isEmpty {
                found(.duringUrgentTicket, "sent while urgent ticket\(urgent.count == 1 ? "" : "s") \(urgent.joined(separator: ", ")) "
                      + "\(urgent.count == 1 ? "was" : "were") open, and not about \(urgent.count == 1 ? "it" : "them")", h.openTicketSeqs(at: t))
            }
        }
        return out
    }

    /// What the profile stated as of a moment, each with the seq of the update that said it.
    struct Stated {
        var name, plan, csm: (String, [UInt64])?
        var renewal: (CalendarDate, [UInt64])?
        var consentEmail: (Bool, UInt64)?

        init(_ updates: ArraySlice<Fact<AccountUpdated>>) {
            for f in updates {
                let u = f.value
                if let v = u.name { name = (v, [f.seq]) }
                if let v = u.plan { plan = (v, [f.seq]) }
                if let v = u.csm { csm = (v, [f.seq]) }
                if let v = u.renewalDate { renewal = (v, [f.seq]) }
                if let v = u.consent?.email { consentEmail = (v, f.seq) }
            }
        }
    }

    /// Whether a field as sent says what the account said: case and spacing aside, or, for a
    /// date, the same day however it is written.
    static func agrees(_ sent: String, _ truth: String, date: Bool) -> Bool {
        if date, let d = CalendarDate(iso: PeopleDirectory.normalisedName(sent)) { return d.description == truth }
        return PeopleDirectory.normalisedName(sent) == PeopleDirectory.normalisedName(truth)
    }

    static func span(_ micros: Int64) -> String {
        let hours = micros / 3_600_000_000
        let (n, unit) = hours < 1 ? (micros / 60_000_000, "minute") : hours < 48 ? (hours, "hour") : (hours / 24, "day")
        return "\(n) \(unit)\(n == 1 ? "" : "s")"
    }
}
