import Scoring
import Testing
import ThroughlineCore

@Suite("The message audit")
struct MessageAuditTests {
    static func message(_ id: String, template: String = "renewal-reminder", to recipient: String = "dana@acme.example",
                        channel: String = "email", ticket: String? = nil, _ fields: [String: String] = [:]) -> String {
        let f = fields.sorted { $0.key < $1.key }.map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",")
        return #"{"message_id":"\#(id)","channel":"\#(channel)","template":"\#(template)","recipient":"\#(recipient)""#
            + (ticket.map { #","ticket_id":"\#($0)""# } ?? "") + #","fields":{\#(f)}}"#
    }

    @Test("Each check finds what it names against the account as it stood then, and a message that agrees with everything finds nothing")
    func eachCheck() throws {
        var b = Build()
        let profile = try b.add("account.updated", day: 0, #"{"name":"Acme","plan":"Growth","csm":"Maria","renewal_date":"2026-06-01"}"#)
        let dana = try b.add("contact.updated", day: 0, #"{"email":"dana@acme.example","name":"Dana Reyes"}"#)
        try b.add("contact.updated", day: 0, #"{"email":"lee@acme.example","name":"Lee Park"}"#)
        let bot = "automation:renewal-bot"
        // Day 1: right in every field.
        let good = try b.add("message.sent", day: 1, actor: bot, Self.message("m1", ["first_name": "dana", "company": "ACME", "plan": "Growth", "renewal_date": "2026-06-01", "csm": "Maria"]))
        // Day 2 (24 hours later): the same template to Dana again, by her name this time; to Lee it is no repeat.
        let again = try b.add("message.sent", day: 2, actor: bot, Self.message("m2", to: "Dana Reyes"))
        try b.add("message.sent", day: 2, actor: bot, Self.message("m3", to: "lee@acme.example"))
        // Day 10: the plan changed on day 9; the bot still says the old one, and Lee's first name wrong.
        let upgrade = try b.add("account.updated", day: 9, #"{"plan":"Enterprise"}"#)
        let wrongPlan = try b.add("message.sent", day: 10, actor: bot, Self.message("m4", template: "upsell", to: "lee@acme.example", ["first_name": "Leo", "plan": "Growth"]))
        // Day 12: Dana withdraws consent to email; an email on day 13 is a finding, an SMS is not.
        let withdrawn = try b.add("contact.updated", day: 12, #"{"email":"dana@acme.example","consent":{"email":false}}"#)
        let noConsent = try b.add("message.sent", day: 13, actor: bot, Self.message("m5", template: "nps"))
        try b.add("message.sent", day: 13, actor: bot, Self.message("m6", template: "nps-sms", channel: "sms"))
        // Day 20: an urgent ticket opens; an upsell during it is a finding, the outage notice about it is not.
        let urgent = try b.add("ticket.opened", day: 20, #"{"ticket_id":"T9","priority":"urgent","subject":"down"}"#)
        let during = try b.add("message.sent", day: 21, actor: bot, Self.message("m7", template: "upsell-2", to: "lee@acme.example"))
        try b.add("message.sent", day: 21, actor: "agent:sam", Self.message("m8", template: "outage-notice", to: "lee@acme.example", channel: "chat", ticket: "T9"))
        try b.add("ticket.closed", day: 22, #"{"ticket_id":"T9"}"#)
        // Day 40: the account churned on day 30.
        let churned = try b.add("account.churned", day: 30, #"{"reason":"budget"}"#)
        let late = try b.add("message.sent", day: 40, actor: bot, Self.message("m9", template: "winback", to: "lee@acme.example", channel: "letter"))

        let found = MessageAudit.findings(b.history)
        let got = found.map { "\($0.messageID) \($0.kind.rawValue)" }
        #expect(got == ["m2 duplicate", "m4 field_mismatch", "m4 field_mismatch", "m5 no_consent", "m7 during_urgent_ticket", "m9 churned_account"], "\(got)")
        #expect(!found.contains { $0.seq == good })
        let dup = found[0]
        #expect(dup.seqs == [again, good] && dup.actor == bot && dup.template == "renewal-reminder" && dup.detail.contains("24 hours before"), "\(dup)")
        let plan = found.first { $0.detail.hasPrefix("plan") }
        #expect(plan?.seqs == [wrongPlan, upgrade] && plan?.detail == #"plan was sent as "Growth"; the profile said "Enterprise" then"#, "\(String(describing: plan))")
        #expect(found.contains { $0.detail == #"first_name was sent as "Leo"; the person's name said "Lee" then"# })
        #expect(found[3].seqs == [noConsent, withdrawn])
        #expect(found[4].seqs.first == during && found[4].seqs.contains(urgent) && found[4].detail.contains("T9"))
        #expect(found[5].seqs == [late, churned] && found[5].detail.contains(Build.date(30)))
        _ = (profile, dana)
    }

    @Test("An account that withdrew consent to email, and a renewal after a churn, are judged as they stood then")
    func accountConsentAndRenewal() throws {
        var b = Build()
        try b.add("account.updated", day: 0, #"{"name":"Acme","consent":{"email":false}}"#)
        try b.add("message.sent", day: 1, actor: "automation:bot", Self.message("m1"))
        try b.add("account.updated", day: 2, #"{"consent":{"email":true}}"#)
        try b.add("message.sent", day: 3, actor: "automation:bot", Self.message("m2", template: "other"))
        try b.add("account.churned", day: 5, #"{"reason":"budget"}"#)
        try b.add("account.renewed", day: 6, #"{"arr":1000}"#)
        try b.add("message.sent", day: 7, actor: "automation:bot", Self.message("m3", template: "third"))
        let got = MessageAudit.findings(b.history).map { "\($0.messageID) \($0.kind.rawValue)" }
        #expect(got == ["m1 no_consent"], "\(got)")
    }
}
