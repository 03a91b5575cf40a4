import NIOCore
import PostgresNIO

/// The values bound to a statement's parameters, in order, each encoded once: sent as they are
/// with a prepared statement (`PostgresLink.run(prepared:)`), or with the statement's text.
struct Binds {
    private(set) var values: [PostgresData] = []

    init() {}

    mutating func append<T: PostgresNonThrowingEncodable>(_ value: T) {
        var bytes = ByteBuffer()
        value.encode(into: &bytes, context: .default)
        values.append(PostgresData(type: T.psqlType, formatCode: T.psqlFormat, value: bytes))
    }

    /// The values as PostgresNIO binds them to a statement sent with its text.
    var bindings: PostgresBindings {
        var b = PostgresBindings(capacity: values.count)
        for v in values { b.append(v) }
        return b
    }
}
