/// Why the server would not start: an option it refuses, a socket another server holds, a file
/// it cannot set up. The message names the option or the path, and the way out.
public struct ServerError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// An option the server refuses as given.
        case options
        /// Another server already listens on the socket.
        case busy
        /// A file could not be set up (removed, given a mode or a group).
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
