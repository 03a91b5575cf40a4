import Projections
import ServiceLifecycle

/// A worker (the projector, the scorer) as a service of the server's group: it runs until the
/// group stops gracefully or is cancelled, and ends with `WorkerStopped` if it gave up by itself.
struct WorkerService: Service {
    let worker: Worker

    func run() async throws {
        worker.start()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await worker.finished()
            } onGracefulShutdown: {
                worker.requestStop()
            }
        } onCancel: {
            worker.requestStop()
        }
        if case .stopped(let reason) = worker.state { throw WorkerStopped(worker: worker.name, reason: reason) }
    }
}

/// A worker gave up after an error that retrying did not cure.
struct WorkerStopped: Error, CustomStringConvertible {
    let worker: String
    let reason: String
    var description: String { "the \(worker) stopped: \(reason)" }
}
