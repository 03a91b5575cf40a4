/// How stored events are shown to one reader as JSON lines: the events of `types` pass through
/// `show` (which may withhold parts of them, as `EventRedactor` does for notes and calls), every
/// other is written straight from its record (`RecordJSON`), as it was sent.
public struct EventShowing {
    /// By type code: whether `show` sees the type's events.
    private let shows: [Bool]
    private let show: (StoredEvent) throws -> StoredEvent

    public init(types: Set<EventType>, show: @escaping (StoredEvent) throws -> StoredEvent) {
        shows = [false] + EventType.allCases.map(types.contains)
        self.show = show
    }

    /// Every event as stored.
    public static var asStored: EventShowing { EventShowing(types: [], show: { $0 }) }

    /// Appends the event `view` holds, as this reader sees it, to `out` as a JSON object.
    public func write(_ view: RecordView, into out: inout [UInt8]) throws {
        if shows[Int(view.type.code)] {
            JSONWriter.write(try show(StoredEvent(seq: view.seq, recordedMicros: view.recordedMicros, event: try view.event())).jsonValue, into: &out)
        } else {
            try RecordJSON.write(body: view.body, seq: view.seq, recordedMicros: view.recordedMicros, into: &out)
        }
    }
}
