import Foundation
import EventLog
import ThroughlineCore
@_exported import TestSupport

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
