/// Why a read of the read models (or a rebuild, a replay, a what-if store) failed. The message
/// names the file, the account or the value at fault, and the way out where there is one; the
/// server maps the kinds to HTTP statuses in one place (`AnswerMiddleware`).
public struct ReadModelError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The request names a value the read models cannot take (a cursor from elsewhere, a
        /// rules version stored with other contents).
        case invalidArgument
        /// The request names something that is not there (a rules version, a what-if store).
        case notFound
        /// What is stored does not read back (a row, a spill file, stored rules): rebuild.
        case damaged
        /// A file could not be opened, written, synced or moved.
        case io
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
