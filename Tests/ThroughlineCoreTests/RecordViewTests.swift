import Testing
import ThroughlineCore

@Suite struct RecordViewTests {
    @Test func viewReadsTheSameEventAsTheFullDecoder() throws {
        let lines = [
            #"{"id":"zd-1","account":"acme","type":"ticket.opened","time":"2026-03-02T10:14:00.250+01:00","source":"zendesk","data":{"ticket_id":"1","priority":"urgent"}}"#,
            #"{"id":"c1","account":"ácme","type":"account.churned","time":"2026-03-02T09:14:00Z","actor":"automation:crm"}"#,
            #"{"id":"u1","account":"acme","type":"usage.recorded","time":"2026-03-02T09:14:00Z","data":{"period_start":"2026-03-01","active_users":41,"features":{"exports":3}}}"#,
        ]
        for line in lines {
            let encoded = try Array(line.utf8).withUnsafeBufferPointer { (b) throws(ValidationError) in try EventDecoder.encode(b) }
            let event = try EventDecoder.decode(line)
            try encoded.body.withUnsafeBytes { b in
                let view = try RecordView(seq: 9, recordedMicros: 5, body: b)
                #expect(view.id == event.id && view.account == event.account && view.type == event.type)
                #expect(view.time == event.time && view.time.description == event.time.description)
                #expect(try view.event() == event)
                #expect(try view.data().count == (event.data?.count ?? 0))
                switch try view.payload() {
                case .ticketOpened(let t): #expect(t.priority == .urgent && t.ticketId == "1")
                case .accountChurned(let c): #expect(c.reason == nil)
                case .usageRecorded(let u):
                    #expect(u.activeUsers == 41)
                    #expect(u.features?.first?.name == "exports" && u.features?.first?.count == 3)
                default: Issue.record("unexpected payload for \(line)")
                }
            }
        }
    }
}
