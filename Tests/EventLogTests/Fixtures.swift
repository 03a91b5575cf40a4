import Foundation
import EventLog
import ThroughlineCore

/// A fresh temporary data directory, removed when the test is done.
final class TempDir {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "tl-" + UUID().uuidString.prefix(8).lowercased()
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func copy() -> TempDir {
        let other = TempDir()
        try! FileManager.default.removeItem(atPath: other.path)
        try! FileManager.default.copyItem(atPath: path, toPath: other.path)
        return other
    }

    var segments: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/log")) ?? []).filter { $0.hasSuffix(".tlog") }.sorted()
            .map { path + "/log/" + $0 }
    }
}

func note(_ i: Int, account: String = "acme", text: String = "hello") -> EncodedEvent {
    let e = try! EventDecoder.decode(
        #"{"id":"n-\#(i)","account":"\#(account)","type":"note.added","time":"2026-03-02T09:14:00Z","data":{"author":"maria","text":"\#(text) \#(i)"}}"#)
    return EncodedEvent(e)
}

func storedIDs(_ store: EventStore) throws -> [String] {
    var ids: [String] = []
    try store.snapshot().forEachEvent { ids.append($0.event.id); return true }
    return ids
}
