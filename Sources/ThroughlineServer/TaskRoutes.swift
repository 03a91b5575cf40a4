import Hummingbird
import Projections
import ThroughlineCore

/// `GET /v1/tasks?assignee=NAME&account=ID&state=open|closed|all&limit=N`: tasks as their
/// events left them (`task.opened`, `task.closed`), soonest due first.
struct TaskRoutes: Sendable {
    let projections: ProjectionStore

    func list(_ request: Request) throws -> Response {
        let q = try Query(request, allowed: ["assignee", "account", "state", "limit"])
        var state = ProjectionStore.TaskState.open
        if let s = try q.string("state") {
            guard let known = ProjectionStore.TaskState(rawValue: s) else { throw Query.Problem(message: "state: must be open, closed or all, not \(s)") }
            state = known
        }
        let tasks = try projections.tasks(assignee: try q.string("assignee"), account: try q.string("account"), state: state,
                                          limit: try q.int("limit", in: 1...5000) ?? 500)
        return Reply.json(.ok, .object([JSONMember("tasks", .array(tasks.map(\.json)))]))
    }
}
