import Testing
@testable import ThroughlineCore

/// Events that are valid JSON but would mean two things to two readers, or hold values no fold
/// can take: each is refused at ingest with the field and the reason.
@Suite struct HostileEventTests {
    func event(_ type: String, _ data: String, account: String = "acme", id: String = "e-1", time: String = "2026-03-02T09:14:00Z") -> String {
        #"{"id":"\#(id)","account":"\#(account)","type":"\#(type)","time":"\#(time)","data":\#(data)}"#
    }

    @Test func aMemberNamedTwiceIsRefusedNamingIt() {
        let twice = event("ticket.opened", #"{"ticket_id":"1","priority":"high","priority":"bogus"}"#)
        #expect(reason(twice).contains(#"the member name "priority" appears twice"#))
        // Nested objects, names equal only after unescaping, and objects past the small-object path.
        #expect(reason(event("usage.recorded", #"{"period_start":"2026-03-01","active_users":1,"features":{"a":1,"\u0061":2}}"#))
            .contains(#"the member name "a" appears twice"#))
        let many = (0..<40).map { #""f\#($0)":1"# }.joined(separator: ",")
        #expect(reason(event("usage.recorded", #"{"period_start":"2026-03-01","active_users":1,"features":{\#(many),"f7":3}}"#))
            .contains(#""f7" appears twice"#))
        #expect(reason(event("usage.recorded", #"{"period_start":"2026-03-01","active_users":1,"features":{\#(many)}}"#)) == "accepted")
        // The same name in two different objects is no repeat.
        #expect(reason(event("account.updated", #"{"consent":{"email":true},"name":"x","email":"y"}"#)) == "accepted")
    }

    @Test func numbersBeyondTheirBoundsAreRefused() {
        #expect(reason(event("account.updated", #"{"arr":1e19}"#)) == "data.arr: must be at most 1000000000000000")
        #expect(reason(event("account.updated", #"{"arr":1e15}"#)) == "accepted")
        #expect(reason(event("account.renewed", #"{"arr":9.3e18}"#)) == "data.arr: must be at most 1000000000000000")
        #expect(reason(event("account.updated", #"{"seats":9223372036854775807}"#)) == "data.seats: must be at most 1000000000")
        #expect(reason(event("usage.recorded", #"{"period_start":"2026-03-01","active_users":1,"events":1000000000001}"#))
            == "data.events: must be at most 1000000000000")
        #expect(reason(event("usage.recorded", #"{"period_start":"2026-03-01","active_users":1,"features":{"x":1e13}}"#))
            == "data.features.x: must be at most 1000000000000")
        #expect(reason(event("call.completed", #"{"duration_s":10000001}"#)) == "data.duration_s: must be at most 10000000")
        #expect(reason(event("account.renewed", #"{"term_months":1201}"#)) == "data.term_months: must be at most 1200")
    }

    @Test func timesAndDatesOutsideTheirYearsAreRefused() {
        #expect(reason(event("account.churned", "{}", time: "0001-01-01T00:00:00Z")) == "time: must be in the years 1970 to 2999")
        #expect(reason(event("account.churned", "{}", time: "9999-12-31T23:59:59Z")) == "time: must be in the years 1970 to 2999")
        #expect(reason(event("account.churned", "{}", time: "1970-01-01T00:00:00Z")) == "accepted")
        #expect(reason(event("usage.recorded", #"{"period_start":"0001-01-01","active_users":1}"#))
            == "data.period_start: must be a date in the years 1970 to 2999")
        #expect(reason(event("account.updated", #"{"renewal_date":"9999-01-01"}"#))
            == "data.renewal_date: must be a date in the years 1970 to 2999")
    }

    @Test func keysMustBeInNormalizationFormC() {
        let decomposed = "e\u{301}", composed = "\u{e9}"
        #expect(reason(event("account.churned", "{}", account: "caf" + decomposed)).hasPrefix("account: must be in Unicode normalization form C"))
        #expect(reason(event("account.churned", "{}", account: "caf" + composed)) == "accepted")
        #expect(reason(event("account.churned", "{}", id: "id-" + decomposed)).hasPrefix("id: must be in Unicode normalization form C"))
        #expect(reason(event("ticket.opened", #"{"ticket_id":"t-\#(decomposed)","priority":"low"}"#)).hasPrefix("data.ticket_id: must be in Unicode"))
        #expect(reason(event("usage.recorded", #"{"period_start":"2026-03-01","active_users":1,"features":{"\#(decomposed)":1}}"#))
            .hasPrefix("data.features.\(decomposed): must be in Unicode"))
        // Free text is stored as sent, in whatever form.
        #expect(reason(event("note.added", #"{"author":"m","text":"caf\#(decomposed)"}"#)) == "accepted")
    }

    @Test func textsThatLookEqualAreNotTheSameContent() throws {
        let a = try EventDecoder.decode(event("note.added", #"{"author":"m","text":"caf\#("\u{e9}")"}"#))
        let b = try EventDecoder.decode(event("note.added", #"{"author":"m","text":"cafe\#("\u{301}")"}"#))
        #expect(!a.sameContent(as: b))
        #expect(a.sameContent(as: a))
    }

    @Test func dotSegmentAccountsAreRefused() {
        #expect(reason(event("account.churned", "{}", account: ".")).hasPrefix(#"account: must not be "." or "..""#))
        #expect(reason(event("account.churned", "{}", account: "..")).hasPrefix(#"account: must not be "." or "..""#))
        #expect(reason(event("account.churned", "{}", account: "...")) == "accepted")
        #expect(reason(event("account.churned", "{}", account: ".a")) == "accepted")
    }
}
