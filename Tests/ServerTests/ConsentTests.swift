import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore
@testable import ThroughlineServer

/// Notes only some may see, and calls whose recording consent is missing, as each reader sees
/// them through the API and the pages.
@Suite("Consent and note visibility")
struct ConsentTests {
    /// acme (Dana Reyes's book) and globex (Lee Park's): notes of each visibility, a call before
    /// and one after acme withdrew consent to calls, and at globex a call with a person who
    /// never consented and one without them.
    static let events = [
        #"{"id":"n-pub","account":"acme","type":"note.added","time":"2026-03-02T09:00:00Z","data":{"author":"lee","text":"PUBLIC-NOTE renewal looks fine"}}"#,
        #"{"id":"n-team","account":"acme","type":"note.added","time":"2026-03-02T10:00:00Z","data":{"author":"lee","text":"TEAM-NOTE pricing talk","visibility":"team"}}"#,
        #"{"id":"n-lee","account":"acme","type":"note.added","time":"2026-03-02T11:00:00Z","data":{"author":"lee","text":"LEE-PRIVATE hunch","visibility":"private","mentions":["dana@acme.com"]}}"#,
        #"{"id":"n-mine","account":"acme","type":"note.added","time":"2026-03-02T12:00:00Z","data":{"author":"t-csm","text":"CSM-PRIVATE reminder","visibility":"private"}}"#,
        #"{"id":"g-team","account":"globex","type":"note.added","time":"2026-03-02T09:00:00Z","data":{"author":"lee park","text":"GLOBEX-TEAM plan","visibility":"team"}}"#,
        #"{"id":"c-1","account":"acme","type":"call.completed","time":"2026-03-05T09:00:00Z","data":{"duration_s":1800,"team":"success","sentiment":0.4,"participants":["dana@acme.com"],"summary":"ACME-SUMMARY-1 before"}}"#,
        #"{"id":"consent-off","account":"acme","type":"account.updated","time":"2026-03-10T09:00:00Z","data":{"consent":{"calls":false}}}"#,
        #"{"id":"c-2","account":"acme","type":"call.completed","time":"2026-03-12T09:00:00Z","data":{"duration_s":600,"team":"success","participants":["dana@acme.com"],"summary":"ACME-SUMMARY-2 after","transcript":"ACME-TRANSCRIPT"}}"#,
        #"{"id":"pat","account":"globex","type":"contact.updated","time":"2026-03-01T10:00:00Z","data":{"email":"pat@globex.com","name":"Pat Kim","consent":{"calls":false}}}"#,
        #"{"id":"g-1","account":"globex","type":"call.completed","time":"2026-03-06T09:00:00Z","data":{"duration_s":900,"participants":["Pat Kim","lee@vendor.example.com"],"summary":"GLOBEX-SUMMARY-PAT"}}"#,
        #"{"id":"g-2","account":"globex","type":"call.completed","time":"2026-03-07T09:00:00Z","data":{"duration_s":900,"participants":["lee@vendor.example.com"],"summary":"GLOBEX-SUMMARY-OPEN"}}"#,
        // At initech Kai refused, was called anyway, then consented again and was called again.
        #"{"id":"kai-1","account":"initech","type":"contact.updated","time":"2026-03-01T10:00:00Z","data":{"email":"kai@initech.com","consent":{"calls":false}}}"#,
        #"{"id":"i-1","account":"initech","type":"call.completed","time":"2026-03-03T09:00:00Z","data":{"duration_s":900,"participants":["KAI@initech.com"],"summary":"INITECH-AGAINST"}}"#,
        #"{"id":"kai-2","account":"initech","type":"contact.updated","time":"2026-03-05T10:00:00Z","data":{"email":"kai@initech.com","consent":{"calls":true}}}"#,
        #"{"id":"i-2","account":"initech","type":"call.completed","time":"2026-03-08T09:00:00Z","data":{"duration_s":900,"participants":["kai@initech.com"],"summary":"INITECH-AFTER"}}"#,
    ]

    static func loaded() async throws -> SignedInServer {
        let s = try await SignedInServer()
        let reply = try await s.server.post(events.joined(separator: "\n"))
        let seq = try #require(try results(reply).last?.seq)
        _ = try await s.server.get("/v1/accounts/acme/timeline?min_seq=\(seq)")
        return s
    }

    static let restricted: [String] = ["TEAM-NOTE", "LEE-PRIVATE", "CSM-PRIVATE", "GLOBEX-TEAM"]

    @Test("Each reader's timeline, context and catch-up read hold the notes meant for them and nothing else")
    func notesByReader() async throws {
        let s = try await Self.loaded()
        // Who sees which restricted note: the author their own, the account's team (its CSM, an
        // admin) team notes, a local user on the socket everything.
        let expected: [(Role?, [String])] = [
            (.viewer, []), (.ops, []), (.csm, ["TEAM-NOTE", "CSM-PRIVATE"]), (.admin, ["TEAM-NOTE", "GLOBEX-TEAM"]), (nil, Self.restricted),
        ]
        for (role, seen) in expected {
            var texts = ""
            for path in ["/v1/accounts/acme/timeline", "/v1/accounts/globex/timeline", "/v1/accounts/acme/context", "/v1/accounts/globex/context",
                         "/v1/events", "/v1/events?account=acme", "/accounts/acme", "/accounts/globex"] {
                let reply = try await s.read(path, as: role)
                #expect(reply.status == 200, "\(path) as \(role?.rawValue ?? "socket")")
                texts += reply.text
            }
            #expect(texts.contains("PUBLIC-NOTE"))
            for marker in Self.restricted {
                #expect(texts.contains(marker) == seen.contains(marker), "\(marker) as \(role?.rawValue ?? "socket")")
            }
        }
        // The catch-up read keeps a withheld note's place, author and visibility, and says why.
        let events = try await s.request("GET", "/v1/events?account=acme", token: s.tokens[.viewer]!)
        let note = try #require(events.text.split(separator: "\n").first { $0.contains("\"n-lee\"") })
        #expect(note.contains(#""withheld":"a private note: only its author sees it""#) && note.contains(#""author":"lee""#))
        // Lee's private note mentions Dana: the stakeholder map of a reader who cannot see it does
        // not name it as a contact.
        let context = try await s.request("GET", "/v1/accounts/acme/context", token: s.tokens[.viewer]!)
        #expect(!context.text.contains(#""via":"note""#))
    }

    @Test("A call without consent to its recording shows no summary, transcript or participants to anyone, says why, still counts as contact, and is flagged when made against consent")
    func callsWithoutConsent() async throws {
        let s = try await Self.loaded()
        for reader in [Role.viewer, .admin] as [Role?] + [nil] {
            var texts = ""
            for path in ["/v1/accounts/acme/timeline", "/v1/accounts/globex/timeline", "/v1/events", "/v1/events?account=globex", "/accounts/acme", "/accounts/globex"] {
                let reply = try await s.read(path, as: reader)
                #expect(reply.status == 200)
                texts += reply.text
            }
            for withheld in ["ACME-SUMMARY-1", "ACME-SUMMARY-2", "ACME-TRANSCRIPT", "GLOBEX-SUMMARY-PAT"] {
                #expect(!texts.contains(withheld), "\(withheld) as \(reader?.rawValue ?? "socket")")
            }
            #expect(texts.contains("GLOBEX-SUMMARY-OPEN"))
        }
        let timeline = try await s.request("GET", "/v1/accounts/acme/timeline?types=call", token: s.tokens[.viewer]!)
        let items = try #require(try JSONParser.parse(timeline.text)["items"]?.array)
        #expect(items.count == 2)
        for item in items {
            let detail = try #require(item["detail"])
            #expect(detail["participants"] == nil && detail["summary"] == nil)
            #expect(detail["withheld"]?.scalarText?.contains("consent to call recording") == true)
            #expect(item["title"]?.scalarText?.hasSuffix(")") == true)
        }
        let globex = try await s.request("GET", "/v1/accounts/globex/timeline?types=call", token: s.tokens[.viewer]!)
        #expect(globex.text.contains("a participant had not consented to call recording when the call took place"))
        // A person's consent is judged at the call's time: the call made while Kai refused is
        // withheld and flagged; the one after Kai consented again is shown.
        let initech = try await s.request("GET", "/v1/accounts/initech/timeline?types=call", token: s.tokens[.viewer]!).text
        #expect(!initech.contains("INITECH-AGAINST") && initech.contains("INITECH-AFTER"), "\(initech)")
        let kai = try JSONParser.parse(try await s.request("GET", "/v1/accounts/initech/context?at=2026-03-20T00:00:00Z", token: s.tokens[.viewer]!).text)
        #expect(kai["flags"]?.array?.filter { $0["flag"]?.scalarText == "outreach_without_consent" }.count == 1)
        // The call after the withdrawal is outreach against consent; the one before is not. Both
        // are still human contact (the last contact is the call of 12 March).
        let context = try JSONParser.parse(try await s.request("GET", "/v1/accounts/acme/context?at=2026-03-20T00:00:00Z", token: s.tokens[.viewer]!).text)
        let flags = context["flags"]?.array?.filter { $0["flag"]?.scalarText == "outreach_without_consent" } ?? []
        #expect(flags.count == 1)
        #expect(flags.first?["message"]?.scalarText?.contains("2026-03-12") == true)
        #expect(context["days_since_human_contact"]?.scalarText == "7")
    }
}

extension SignedInServer {
    /// A GET with a token of `role`, or on the Unix socket (nil).
    func read(_ path: String, as role: Role?) async throws -> HTTPReply {
        if let role { return try await request("GET", path, token: tokens[role]!) }
        return try await server.get(path)
    }
}
