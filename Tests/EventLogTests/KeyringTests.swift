import Crypto
import Foundation
import Testing
import EventLog
import ThroughlineCore

@Suite struct KeyringTests {
    @Test("Appenders sealing for the same new accounts at once make one key per account, and every value opens with it")
    func oneKeyPerSubjectUnderConcurrentAppends() throws {
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        let accounts = (0..<40).map { "acct-\($0)" }
        // Eight appenders, each filing a note under every account, so all race for each account's first key.
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            let batch = EncodedBatch(accounts.enumerated().map { k, a in note(t * 1000 + k, account: a, text: "secret of \(a)") })
            _ = try? store.appendAndWait(batch)
        }
        let keys = try store.keyring.contents().keys
        #expect(keys.count == accounts.count)
        #expect(Set(keys.map(\.subject)) == Set(accounts))
        var texts: [String: Int] = [:]
        try store.snapshot().forEachEvent { stored in
            if case .noteAdded(let n) = try stored.event.payload() { texts[n.text.split(separator: " ").prefix(3).joined(separator: " "), default: 0] += 1 }
            return true
        }
        #expect(texts == Dictionary(uniqueKeysWithValues: accounts.map { ("secret of \($0)", 8) }))
        try store.close()
    }

    @Test("A sealed value is AES-256-GCM's ciphertext and tag under its subject's key and the nonce of its event and member; it opens to the plaintext, and a damaged one or another member's is refused as damage")
    func sealedValueFormat() throws {
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        defer { try? store.close() }
        let plaintext = Array("Fatima Okonkwo, who renews in May".utf8)
        let (number, sealed) = try plaintext.withUnsafeBytes {
            try store.keyring.seal($0, subject: SealSubject(owner: "acct-1", person: "h:fatima okonkwo"), id: "call-7", field: "participants.0")
        }
        // The same bytes, made here from the stored key with the nonce's definition: the first 12
        // bytes of SHA-256 of the id, a zero byte and the member.
        let key = try #require(try store.keyring.contents().keys.first { $0.number == number })
        let digest = Array(SHA256.hash(data: Array("call-7".utf8) + [0] + Array("participants.0".utf8)))
        let box = try AES.GCM.seal(plaintext, using: SymmetricKey(data: key.key), nonce: AES.GCM.Nonce(data: digest.prefix(12)))
        #expect(sealed == Array(box.ciphertext) + Array(box.tag))
        let opened = try sealed.withUnsafeBytes { try store.keyring.open($0, key: number, id: "call-7", field: "participants.0") }
        #expect(opened == plaintext)
        var damaged = sealed
        damaged[3] ^= 0x40
        for (bytes, field) in [(damaged, "participants.0"), (sealed, "participants.1")] {
            let error = #expect(throws: StoreError.self) { try bytes.withUnsafeBytes { try store.keyring.open($0, key: number, id: "call-7", field: field) } }
            #expect(error?.kind == .corrupt)
        }
        // A key this store does not hold opens nothing, and is no damage.
        #expect(try sealed.withUnsafeBytes { try store.keyring.open($0, key: number &+ 1, id: "call-7", field: "participants.0") } == nil)
    }

    @Test("A reader of a ticket's plain fields may leave its personal values sealed: the fields read the same, a typed read refuses it; a call opens only its participants; an envelope opens nothing until unsealed")
    func ticketsReadWhileSealed() throws {
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        let lines = [
            #"{"id":"t-1","account":"acme","type":"ticket.opened","time":"2026-03-02T09:14:00Z","data":{"ticket_id":"T-1","priority":"urgent","category":"bug","subject":"Export fails for Ana","requester":"ana@acme.example"}}"#,
            #"{"id":"t-2","account":"acme","type":"ticket.updated","time":"2026-03-02T10:14:00Z","actor":"support:lee","data":{"ticket_id":"T-1","status":"pending","sentiment":-0.5,"comment":"Ana is upset"}}"#,
            #"{"id":"c-1","account":"acme","type":"call.completed","time":"2026-03-03T09:00:00Z","data":{"duration_s":600,"sentiment":0.25,"participants":["ana@acme.example"],"summary":"Ana wants exports fixed"}}"#,
        ]
        _ = try store.appendAndWait(EncodedBatch(try lines.map { EncodedEvent(try EventDecoder.decode($0)) }))
        var seen: [String] = []
        try store.snapshot().forEachRecord { seq, recorded, body in
            let opened = try RecordView(seq: seq, recordedMicros: recorded, body: body)
            let sealed = try RecordView(seq: seq, recordedMicros: recorded, body: body, opening: .readers)
            #expect(!opened.isSealed)
            switch opened.type {
            case .ticketOpened, .ticketUpdated:
                #expect(sealed.isSealed)
                let (a, b) = (TicketFields(opened), TicketFields(sealed))
                #expect(a != nil && a?.ticket == b?.ticket && a?.priority == b?.priority && a?.category == b?.category
                        && a?.status == b?.status && a?.sentiment == b?.sentiment && a?.contact == b?.contact)
                // The typed payload takes no sealed value: it names the field rather than read it as something else.
                if case .ticketOpened(let t) = try opened.payload() { #expect(t.subject == "Export fails for Ana") }
                #expect(throws: (any Error).self) { try sealed.payload() }
            default:
                // A call is opened in part: its participants (the champion watch reads them), not its summary.
                #expect(sealed.isSealed)
                if case .call(let sentiment, let people)? = ActivityFields(sealed) {
                    #expect(people == ["ana@acme.example"] && sentiment == 0.25)
                } else {
                    Issue.record("the call did not read")
                }
                if case .callCompleted(let c) = try opened.payload() { #expect(c.summary == "Ana wants exports fixed") }
                #expect(throws: (any Error).self) { try sealed.payload() }
            }
            // The envelope alone (what a stream's filter reads) opens nothing; unsealed, it is the opened record.
            let envelope = try RecordView(seq: seq, recordedMicros: recorded, body: body, opening: .none)
            #expect(envelope.isSealed && envelope.type == opened.type && envelope.account == "acme" && envelope.id == opened.id)
            #expect(envelope.body.elementsEqual(envelope.stored))
            let unsealed = try envelope.unsealed()
            withExtendedLifetime(unsealed) { #expect(unsealed.body.elementsEqual(opened.body) && !unsealed.isSealed) }
            #expect(!opened.body.elementsEqual(envelope.body))
            seen.append(opened.type.rawValue)
            return true
        }
        #expect(seen == ["ticket.opened", "ticket.updated", "call.completed"])
        try store.close()
    }
}
