/// Why an event was refused: the field's path (`data.priority`, `time`, or empty for the whole
/// line) and the reason, printed as `data.priority: must be one of urgent, high, normal, low`.
public struct ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}
