/// `identity.linked` and `identity.unlinked`: another system's reference to the event's account
/// (`data.ref`), linked to it or no longer. Every event filed under the reference belongs to the
/// account it is linked to, from its own time, whenever the link arrives.
public struct IdentityLink: Sendable, Hashable {
    public var ref: AccountRef
    public var reason: String?

    init(_ r: FieldReader) throws(ValidationError) {
        guard let object = try r.object("ref") else { throw r.fail("ref", "is required: the other system's reference, {\"system\": ..., \"id\": ...}") }
        ref = try AccountRef.read(object)
        reason = try r.string("reason", maxLength: 1000)
    }
}

/// `account.merged`: the event's account is a duplicate of `into`; all its events (and the
/// references linked to it) belong to `into` from now on, retroactively, until an
/// `account.unmerged` undoes it.
public struct AccountMerged: Sendable, Hashable {
    public var into: String
    public var reason: String?

    init(_ r: FieldReader) throws(ValidationError) {
        into = try r.requiredKey("into", maxLength: EventDecoder.maxKeyLength)
        if !EventDecoder.isPrintable(into) {
            throw r.fail("into", "must contain only printable characters")
        }
        reason = try r.string("reason", maxLength: 1000)
    }
}

/// `account.unmerged`: the event's account, merged into another before, is its own again.
public struct AccountUnmerged: Sendable, Hashable {
    public var reason: String?

    init(_ r: FieldReader) throws(ValidationError) {
        reason = try r.string("reason", maxLength: 1000)
    }
}
