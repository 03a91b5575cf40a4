/// `product.released`: a version of the product reached customers (all of them, or the plans
/// named). Filed under `ProductReleased.account`, no customer's: cohort patterns look for moves
/// that follow a release (`CohortPatterns`).
public struct ProductReleased: Sendable {
    /// The account field every `product.released` carries: a release belongs to no customer.
    public static let account = "throughline:product"

    public var version: String
    /// The day it reached customers, if it is not the event's own day.
    public var date: CalendarDate?
    public var notes: String?
    /// The plans it reached (nil: every plan).
    public var plans: [String]?

    init(_ r: FieldReader) throws(ValidationError) {
        version = try r.requiredString("version", maxLength: 128)
        date = try r.date("date")
        notes = try r.string("notes", maxLength: 10_000)
        plans = try r.stringArray("plans")
        if let plans, plans.isEmpty || plans.contains(where: { $0.isEmpty || $0.count > 128 }) {
            throw r.fail("plans", "must be a non-empty list of plan names (1–128 characters each)")
        }
    }
}
