import Testing
@testable import ThroughlineCore

@Suite("People: contacts, who is named where, and the champion")
struct PeopleTests {
    typealias U = PeopleDirectory.Update
    static let day: Int64 = 86_400_000_000

    static func update(_ t: Int64, _ seq: UInt64, person: String? = nil, email: String? = nil, name: String? = nil,
                       role: ContactRole? = nil, left: Bool? = nil) -> U {
        U(time: t * day, seq: seq, contact: ContactUpdated(person: person, email: email, name: name, role: role, left: left))
    }

    static func contact(_ data: String) throws -> ContactUpdated {
        let e = try EventDecoder.decode(#"{"id":"c","account":"acme","type":"contact.updated","time":"2026-03-02T09:14:00Z","data":\#(data)}"#)
        guard case .contactUpdated(let c) = try e.payload() else { throw CLIFailure("not a contact update") }
        return c
    }

    @Test("An id and an email sent together are one person across systems, whatever the order; handles resolve by email in any case, id, Name <email>, prefix, or a name only one person has")
    func directory() throws {
        let updates = [
            Self.update(1, 1, person: "crm:c-1", name: "Dana Reyes", role: .champion),
            Self.update(2, 2, email: "Dana.Reyes@Acme.example.com"),
            Self.update(3, 3, person: "crm:c-1", email: "dana.reyes@acme.example.com"),
            Self.update(4, 4, person: "zd:u-9", email: "DANA.REYES@acme.example.com", name: "Dana R."),
            Self.update(5, 5, person: "crm:c-2", name: "Sam Ortiz", role: .admin),
            Self.update(6, 6, person: "crm:c-3", name: "sam   ortiz"),
        ]
        for order in [updates, updates.reversed(), [updates[3], updates[0], updates[5], updates[2], updates[1], updates[4]]] {
            // Applied in event order, as callers give them.
            let d = PeopleDirectory(order.sorted { $0.time < $1.time })
            #expect(d.people.count == 3)
            let dana = try #require(d.people.first { $0.ids.contains("crm:c-1") })
            #expect(dana.ids == ["crm:c-1", "zd:u-9"] && dana.emails == ["dana.reyes@acme.example.com"])
            #expect(dana.key == "dana.reyes@acme.example.com" && dana.name == "Dana R." && dana.role == .champion && dana.seqs == [1, 2, 3, 4])
            let i = d.people.firstIndex { $0.key == dana.key }
            for handle in ["dana.reyes@ACME.example.com", "zd:u-9", "Dana R. <Dana.Reyes@acme.example.com>", "customer:Dana R.", "  dana r. "] {
                #expect(d.resolve(handle) == i, "\(handle)")
            }
            // Two people share the name "Sam Ortiz" (case and spacing aside): the name names neither.
            #expect(d.resolve("Sam Ortiz") == nil && d.resolve("crm:c-3") != nil && d.resolve("nobody@acme.example.com") == nil)
        }
    }

    @Test("A contact update names the person by id or email; a bad email, role or flag is refused naming the field")
    func validation() throws {
        let c = try Self.contact(#"{"email":"dana@acme.example.com","name":"Dana","role":"economic_buyer","left":false}"#)
        #expect(c.email == "dana@acme.example.com" && c.role == .economicBuyer && c.left == false && c.person == nil)
        for (data, message) in [
            (#"{"name":"Dana"}"#, "data: must name the person by person (a stable id), email, or both"),
            (#"{"email":"dana at acme"}"#, #"data.email: must be an email address (name@example.com), not "dana at acme""#),
            (#"{"email":"a@b@example.com"}"#, "data.email: must be an email address"),
            (#"{"email":"dana@localhost"}"#, "data.email: must be an email address"),
            (#"{"person":"c-1","role":"sponsor"}"#, "data.role: must be one of champion, economic_buyer, admin, user, other"),
            (#"{"person":"c-1","left":"yes"}"#, "data.left: must be true or false"),
            (#"{"person":""}"#, "data.person: must not be empty"),
        ] {
            do {
                _ = try Self.contact(data)
                Issue.record("accepted \(data)")
            } catch {
                #expect("\(error)".hasPrefix(message), "\(data): \(error)")
            }
        }
    }

    @Test("The champion watch raises an alarm when a champion leaves and when their own sentiment falls, and not for others")
    func championWatch() {
        let contacts = [
            Self.update(1, 1, person: "c-1", email: "dana@acme.example.com", name: "Dana", role: .champion),
            Self.update(1, 2, person: "c-2", email: "sam@acme.example.com", name: "Sam", role: .user),
            Self.update(1, 3, person: "c-3", name: "Lee"),
            Self.update(40, 10, person: "c-1", left: true),
            Self.update(41, 11, person: "c-2", left: true),
        ]
        func call(_ t: Int64, _ seq: UInt64, _ who: [String], _ s: Double) -> ChampionWatch.Call {
            ChampionWatch.Call(time: t * Self.day, seq: seq, participants: who, sentiment: s)
        }
        // Dana's sentiment falls from +0.6 to −0.2; Sam's the same; Lee's too, but Lee is the
        // profile's champion only from day 30.
        let calls = [0.6, 0.6, 0.6, -0.2, -0.2, -0.2].enumerated().flatMap { k, s in
            [call(Int64(2 + k), UInt64(100 + k), ["csm:maria", "Dana <DANA@acme.example.com>"], s),
             call(Int64(2 + k), UInt64(200 + k), ["sam@acme.example.com"], s),
             call(Int64(30 + k), UInt64(300 + k), ["customer:Lee"], s)]
        }.sorted { $0.time < $1.time }
        let alarms = ChampionWatch.alarms(contacts: contacts, calls: calls, champions: [(30 * Self.day, "lee")])
        // After the fifth call the last two are compared with the two before; after the sixth, three with three.
        #expect(alarms.map(\.seqs) == [[101, 102, 103, 104], [100, 101, 102, 103, 104, 105], [301, 302, 303, 304], [300, 301, 302, 303, 304, 305], [10]],
                "\(alarms)")
        #expect(alarms.first?.message == "champion Dana's sentiment fell from +0.6 to -0.2 over their last 4 calls")
        #expect(alarms.last?.message == "champion Dana left the company" && alarms.last?.time == 40 * Self.day)
    }

    @Test("The stakeholder map shows each person's last contact and with whom, their sentiment trend and the open tickets they raised, champions first")
    func stakeholders() {
        let contacts = [
            Self.update(1, 1, person: "c-2", email: "sam@acme.example.com", name: "Sam", role: .admin),
            Self.update(1, 2, person: "c-1", email: "dana@acme.example.com", name: "Dana", role: .champion),
        ]
        let mentions = [
            PersonMention(timeMicros: 2 * Self.day, seq: 10, via: .call, handle: "Dana <dana@acme.example.com>", sentiment: 0.8),
            PersonMention(timeMicros: 2 * Self.day, seq: 10, via: .call, handle: "csm:maria", sentiment: 0.8),
            PersonMention(timeMicros: 3 * Self.day, seq: 11, via: .call, handle: "dana@acme.example.com", sentiment: 0.1),
            PersonMention(timeMicros: 4 * Self.day, seq: 12, via: .ticket, handle: "sam@acme.example.com", ticket: "T-1"),
            PersonMention(timeMicros: 5 * Self.day, seq: 13, via: .ticket, handle: "sam@acme.example.com", ticket: "T-2"),
            PersonMention(timeMicros: 6 * Self.day, seq: 14, via: .note, handle: "Sam", author: "maria"),
            PersonMention(timeMicros: 9 * Self.day, seq: 15, via: .note, handle: "Sam", author: "jonas"),
        ]
        let map = StakeholderMap.build(contacts: contacts, mentions: mentions, openTickets: ["T-2"], asOf: 7 * Self.day)
        #expect(map.map(\.person) == ["dana@acme.example.com", "sam@acme.example.com"])
        let dana = map[0], sam = map[1]
        #expect(dana.lastContact == Stakeholder.LastContact(time: "1970-01-04T00:00:00Z", via: "call", with: [], seq: 11))
        #expect(dana.sentiment == Stakeholder.Sentiment(recent: 0.1, before: 0.8, trend: "falling", calls: 2, seqs: [10, 11]))
        #expect(sam.lastContact == Stakeholder.LastContact(time: "1970-01-07T00:00:00Z", via: "note", with: ["maria"], seq: 14))
        #expect(sam.openTickets == ["T-2"] && sam.sentiment == nil && sam.role == "admin")
        let first = StakeholderMap.build(contacts: contacts, mentions: mentions, openTickets: [], asOf: 2 * Self.day)
        #expect(first[0].lastContact?.with == ["csm:maria"] && first[0].sentiment?.trend == nil)
    }
}

@Suite("People: a name for comparing")
struct NormalisedNameTests {
    @Test("A name of ASCII is normalised byte by byte to what the Unicode rules give: lower case, each run of white space one space, none at the ends")
    func asciiMatchesUnicode() {
        let fixed = ["", " ", "\t\r\n", "Ada  LOVELACE", "  ada\tLovelace \n", "O'Brien-Smith", "a\u{0B}b\u{0C}c", "X\r\nY", "\u{00}Z", "~!@#$%^&*()_+{}|:<>?"]
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("aZ \t\n\r\u{0B}\u{0C}.@-_0Q9".utf8)
        let random = (0..<2_000).map { _ in
            String(decoding: (0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }, as: UTF8.self)
        }
        for name in fixed + random {
            #expect(PeopleDirectory.normalisedName(name) == PeopleDirectory.unicodeNormalisedName(name), "\(name.debugDescription)")
        }
        #expect(PeopleDirectory.normalisedName("  Ada \t LOVELACE ") == "ada lovelace")
        // Text beyond ASCII takes the Unicode rules: a no-break space separates words, É lowers.
        #expect(PeopleDirectory.normalisedName("ÉLODIE\u{00A0}Durand") == "élodie durand")
    }
}
