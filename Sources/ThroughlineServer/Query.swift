import EventLog
import Foundation
import Hummingbird
import ThroughlineCore

/// A request's query parameters, checked: unknown names and malformed values are errors that
/// name the parameter (answered 400).
struct Query {
    struct Problem: Error {
        let message: String
        var response: Response { Reply.error(.badRequest, message) }
    }

    let values: [String: String]

    /// A repeated parameter (`types=a&types=b`, as a form's checkboxes send) reads as one
    /// comma-separated list; with `dropEmpty` an empty value (a form's unset field) is absent.
    init(_ request: Request, allowed: [String], dropEmpty: Bool = false) throws {
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            let k = String(key)
            guard allowed.contains(k) else {
                throw Problem(message: "unknown query parameter \(k); use \(Self.list(allowed))")
            }
            if dropEmpty && value.isEmpty { continue }
            values[k] = values[k].map { $0 + "," + String(value) } ?? String(value)
        }
        self.values = values
    }

    func string(_ name: String) throws -> String? {
        guard let v = values[name] else { return nil }
        guard !v.isEmpty else { throw Problem(message: "\(name): must not be empty") }
        return v
    }

    func seq(_ name: String) throws -> UInt64? {
        guard let text = values[name] else { return nil }
        guard let v = UInt64(text) else { throw Problem(message: "\(name): must be a seq (a non-negative integer), not \(text)") }
        return v
    }

    /// A reader's place in a log of `partitions` partitions (`LogPosition`).
    func position(_ name: String, _ partitions: Partitioning) throws -> LogPosition? {
        guard let text = values[name] else { return nil }
        do { return try LogPosition(parsing: Substring(text), partitions: partitions) } catch {
            throw Problem(message: "\(name): \(error.reason)")
        }
    }

    func bool(_ name: String) throws -> Bool? {
        guard let text = values[name] else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw Problem(message: "\(name): must be true or false, not \(text)")
        }
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = values[name] else { return nil }
        guard let v = Int(text), range.contains(v) else {
            throw Problem(message: "\(name): must be an integer from \(range.lowerBound) to \(range.upperBound), not \(text)")
        }
        return v
    }

    /// An RFC 3339 time or a date (midnight UTC), as microseconds since the epoch.
    func time(_ name: String) throws -> Int64? {
        guard let text = values[name] else { return nil }
        if let t = Timestamp(rfc3339: text) { return t.microseconds }
        if let d = CalendarDate(iso: text) { return Day(d).start }
        throw Problem(message: "\(name): must be an RFC 3339 time (2026-03-02T09:14:00Z) or a date (2026-03-02), not \(text)")
    }

    /// A comma-separated list of values of `E`.
    func list<E: RawRepresentable & CaseIterable>(_ name: String, of: E.Type) throws -> [E]? where E.RawValue == String {
        guard let text = try string(name) else { return nil }
        var out: [E] = []
        for part in text.split(separator: ",") {
            guard let v = E(rawValue: String(part)) else {
                throw Problem(message: "\(name): \(part) is not one of \(Self.list(E.allCases.map(\.rawValue)))")
            }
            out.append(v)
        }
        return out
    }

    static func list(_ names: [String]) -> String {
        names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}

extension Query {
    /// The `{id}` of the path, percent-decoded (an account id may hold any character).
    static func pathID(_ context: some RequestContext) -> String {
        let raw = context.parameters.get("id") ?? ""
        return raw.removingPercentEncoding ?? raw
    }
}
