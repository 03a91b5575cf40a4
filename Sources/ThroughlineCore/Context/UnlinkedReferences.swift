/// The references no account is linked to (`GET /v1/unlinked`): their events are stored, and join
/// an account's timeline, context and scores from their own times once a link names it.
public struct UnlinkedReferences: Sendable, Codable, Equatable {
    public struct Reference: Sendable, Codable, Equatable {
        public var system: String
        public var id: String
        /// The events filed under it.
        public var events: Int
        /// The times of its oldest and newest events.
        public var oldest: String
        public var newest: String

        public init(system: String, id: String, events: Int, oldest: String, newest: String) {
            (self.system, self.id, self.events, self.oldest, self.newest) = (system, id, events, oldest, newest)
        }
    }

    public var references: [Reference]

    public init(references: [Reference]) { self.references = references }
}
