/// `task.opened`: a task for someone on our side about the account (opened by an alert rule,
/// with the alert behind it, or by anyone through the producers' path).
public struct TaskOpened: Sendable {
    public var taskID: String
    public var title: String
    public var dueDate: CalendarDate?
    /// Who should do it (a CSM's name, as the profile names CSMs).
    public var assignee: String?
    /// The `alert.fired` event's id, when an alert rule opened it.
    public var alert: String?

    init(_ r: FieldReader) throws(ValidationError) {
        taskID = try r.requiredKey("task_id", maxLength: 128)
        title = try r.requiredString("title", maxLength: 500)
        dueDate = try r.date("due_date")
        assignee = try r.string("assignee", maxLength: 128, nonEmpty: true)
        alert = try r.string("alert", maxLength: 128, nonEmpty: true)
    }

    /// The id of the task an alert opens (and of its event): readable while it fits an id's
    /// 128 characters, else a hash of the alert's id.
    public static func id(alert: String) -> String { derivedID("task:" + alert, else: "task:") }
}

/// `task.closed`: the task is done (or dropped); who closed it is the event's actor.
public struct TaskClosed: Sendable {
    public var taskID: String
    public var resolution: String?

    init(_ r: FieldReader) throws(ValidationError) {
        taskID = try r.requiredKey("task_id", maxLength: 128)
        resolution = try r.string("resolution", maxLength: 2000)
    }
}
