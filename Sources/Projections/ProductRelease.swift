import ThroughlineCore

/// A `product.released` of the log: no customer's, kept in the `releases` table the cohort
/// patterns read. The projector and a rebuild both file it, from the log, the same way.
struct ProductRelease: Sendable {
    var seq: UInt64
    var time: Int64
    var id: String
    var release: ProductReleased

    /// The release `view` is, if it is one (and decodes).
    init?(_ view: RecordView) {
        guard view.type == .productReleased, let (e, payload) = try? view.unsealed().foldable(), case .productReleased(let r) = payload else { return nil }
        (seq, time, id, release) = (view.seq, e.event.time.microseconds, e.event.id, r)
    }

    /// Its row.
    func put(_ rows: inout RowList) {
        let day = release.date?.daysSinceEpoch ?? Day(containing: time).number
        rows.put(.release, Int64(seq), time, id, release.version, day, release.notes, release.plans?.joined(separator: "\n"))
    }
}
