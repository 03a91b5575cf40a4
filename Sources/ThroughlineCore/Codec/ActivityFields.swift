/// The fields of a stored call (`call.completed`), community activity or note that scores read,
/// straight from the record's bytes, the way `UsageFields` reads usage: a call's sentiment and a
/// community activity's kind; a note gives only its time. The typed payloads read the same
/// fields with every check. A call's participants are read too (the champion watch reads who
/// took part: `ChampionWatch`).
public enum ActivityFields {
    case call(sentiment: Double?, participants: [String])
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
            var people: BinaryValue?
            BinaryObject.forEachFirstMember(view.body, countOffset: data, named: Self.callKeys) { k, v in
                if k == 0 { sentiment = .some(v.sentiment) } else { people = v }
            }
            guard sentiment != .some(nil) else { return nil }
            var participants: [String] = []
            if let people {
                // An array of strings, as the typed payload takes it; anything else goes there.
                guard let items = people.elements else { return nil }
                for item in items {
                    guard let s = item.string else { return nil }
                    participants.append(s)
                }
            }
            self = .call(sentiment: sentiment ?? nil, participants: participants)
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

    static let callKeys: [StaticString] = ["sentiment", "participants"], kindKey: [StaticString] = ["kind"]
}
