/// A task on an account as its events left it: opened (by an alert rule or a person), and
/// closed once a `task.closed` names it.
public struct TaskItem: Sendable, Equatable {
    public var account: String
    public var taskID: String
    public var title: String
    public var dueDate: CalendarDate?
    public var assignee: String?
    /// The `alert.fired` behind it, if an alert rule opened it.
    public var alert: String?
    public var openedMicros: Int64
    public var openedSeq: UInt64
    public var closedMicros: Int64?
    public var closedBy: String?
    public var resolution: String?

    public init(account: String, taskID: String, title: String, dueDate: CalendarDate?, assignee: String?, alert: String?,
                openedMicros: Int64, openedSeq: UInt64, closedMicros: Int64? = nil, closedBy: String? = nil, resolution: String? = nil) {
        (self.account, self.taskID, self.title, self.dueDate, self.assignee, self.alert) = (account, taskID, title, dueDate, assignee, alert)
        (self.openedMicros, self.openedSeq, self.closedMicros, self.closedBy, self.resolution) = (openedMicros, openedSeq, closedMicros, closedBy, resolution)
    }

    public var isOpen: Bool { closedMicros == nil }

    /// Open past its due date on `day`.
    public func overdue(on day: Int) -> Bool { isOpen && (dueDate.map { $0.daysSinceEpoch < day } ?? false) }

    /// As the API answers it.
    public var json: JSONValue {
        func opt(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        return .object([
            JSONMember("account", .string(account)), JSONMember("task_id", .string(taskID)), JSONMember("title", .string(title)),
            JSONMember("due_date", opt(dueDate?.description)), JSONMember("assignee", opt(assignee)), JSONMember("alert", opt(alert)),
            JSONMember("state", .string(isOpen ? "open" : "closed")),
            JSONMember("opened", .string(Timestamp.utc(microseconds: openedMicros).description)), JSONMember("opened_seq", .number(String(openedSeq))),
            JSONMember("closed", opt(closedMicros.map { Timestamp.utc(microseconds: $0).description })),
            JSONMember("closed_by", opt(closedBy)), JSONMember("resolution", opt(resolution)),
        ])
    }
}
