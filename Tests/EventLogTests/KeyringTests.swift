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
}
