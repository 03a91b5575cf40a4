import GRDB
import ThroughlineCore

extension ProjectionStore {
    public enum TaskState: String, Sendable { case open, closed, all }

    /// The tasks (of `assignee`, of `account`, if given) in `state`, soonest due first (those
    /// without a due date last), at most `limit`. A task opened twice keeps its latest opening;
    /// it is closed from its first `task.closed` on.
    public func tasks(assignee: String? = nil, account: String? = nil, state: TaskState = .open, limit: Int = 500) throws -> [TaskItem] {
        try read { db in try Self.tasks(db, assignee: assignee, account: account, state: state, limit: limit) }
    }

    static func tasks(_ db: Database, assignee: String?, account: String?, state: TaskState, limit: Int) throws -> [TaskItem] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT o.account, o.task, o.title, o.due, o.assignee, o.alert, o.time_us, o.seq, c.time_us, c.actor, c.resolution
            FROM task_events o
            LEFT JOIN task_events c ON c.account = o.account AND c.task = o.task AND c.kind = 'closed'
                AND c.id = (SELECT id FROM task_events f WHERE f.account = o.account AND f.task = o.task AND f.kind = 'closed' ORDER BY f.time_us, f.id LIMIT 1)
            WHERE o.kind = 'opened' AND (?1 IS NULL OR o.assignee = ?1) AND (?2 IS NULL OR o.account = ?2)
            ORDER BY o.account, o.task, o.time_us DESC, o.id DESC
            """), arguments: [assignee, account])
        var seen = Set<[String]>()
        var out: [TaskItem] = []
        for r in rows {
            let account: String = r[0], task: String = r[1]
            guard seen.insert([account, task]).inserted else { continue }
            let item = TaskItem(account: account, taskID: task, title: r[2] ?? task, dueDate: (r[3] as String?).flatMap { CalendarDate(iso: $0) },
                                assignee: r[4], alert: r[5], openedMicros: r[6], openedSeq: UInt64(r[7] as Int64),
                                closedMicros: r[8], closedBy: r[9], resolution: r[10])
            if state == .all || (state == .open) == item.isOpen { out.append(item) }
        }
        out.sort { ($0.dueDate?.daysSinceEpoch ?? .max, $0.openedMicros, $0.account) < ($1.dueDate?.daysSinceEpoch ?? .max, $1.openedMicros, $1.account) }
        return Array(out.prefix(limit))
    }
}
