/// How stored events are shown to one reader as JSON lines: an event of `types` is given to
/// `show`, which returns it as this reader may see it (withholding parts, as `EventRedactor`
/// does for notes and calls) or nil when the reader sees it as sent; every other event, and
/// those, is written straight from its record (`RecordJSON`).
public struct EventShowing {
    /// By type code: whether `show` sees the type's events.
    private let shows: [Bool]
    private let show: (RecordView) throws -> StoredEvent?

    public init(types: Set<EventType>, show: @escaping (RecordView) throws -> StoredEvent?) {
        shows = [false] + EventType.allCases.map(types.contains)
        self.show = show
    }

    /// Every event as stored.
    public static var asStored: EventShowing { EventShowing(types: [], show: { _ in nil }) }

    /// Appends the event `view` holds, as this reader sees it, to `out` as a JSON object.
    public func write(_ view: RecordView, into out: inout [UInt8]) throws {
        if shows[Int(view.type.code)], let shown = try show(view) {
            JSONWriter.write(shown.jsonValue, into: &out)
        } else {
            try RecordJSON.write(body: view.body, seq: view.seq, recordedMicros: view.recordedMicros, into: &out)
        }
    }
}
