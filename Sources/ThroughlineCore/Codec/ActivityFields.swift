/// The fields of a stored call (`call.completed`), community activity or note that scores read,
/// straight from the record's bytes, the way `UsageFields` reads usage: a call's sentiment and a
/// community activity's kind; a note gives only its time. The typed payloads read the same
/// fields with every check.
public enum ActivityFields {
    case call(sentiment: Double?)
    case community(CommunityKind)
    case note

    /// The fields of `view`; nil when it is another kind of record or a field is not in the
    /// plain form this reader takes (then the typed payload reads it, and names any problem).
    public init?(_ view: RecordView) {
        switch view.type {
        case .noteAdded:
            self = .note
        case .callCompleted:
            guard let data = try? view.dataOffset() else { return nil }
            var sentiment: Double??
            BinaryObject.forEachFirstMember(view.body, countOffset: data, named: Self.sentimentKey) { _, v in
                sentiment = .some(v.sentiment)
            }
            guard sentiment != .some(nil) else { return nil }
            self = .call(sentiment: sentiment ?? nil)
        case .communityActivity:
            guard let data = try? view.dataOffset() else { return nil }
            var kind: CommunityKind?
            BinaryObject.forEachFirstMember(view.body, countOffset: data, named: Self.kindKey) { _, v in kind = v.oneOf(CommunityKind.self) }
            guard let kind else { return nil }
            self = .community(kind)
        default:
            return nil
        }
    }

    static let sentimentKey: [StaticString] = ["sentiment"], kindKey: [StaticString] = ["kind"]
}
