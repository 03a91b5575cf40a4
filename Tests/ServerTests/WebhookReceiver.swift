import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// An HTTP receiver on loopback for webhook tests, answering by path: `/ok` 200; `/flaky` 500
/// to its first two requests, then 200; `/hang` never within the sender's timeout; `/loop` a
/// redirect to itself. Keeps every request it was sent.
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        var path: String
        var headers: [String: String]
        var body: String
    }

    private let received = Mutex<[Received]>([])
    private let bound = Mutex<Int?>(nil)
    private let task = Mutex<Task<Void, Error>?>(nil)

    var requests: [Received] { received.withLock { $0 } }
    func requests(to path: String) -> [Received] { requests.filter { $0.path == path } }
    var port: Int { bound.withLock { $0 } ?? 0 }

    /// Starts listening on 127.0.0.1 (`port` 0: any free port) and returns once bound.
    static func start(port: Int = 0) async throws -> WebhookReceiver {
        let r = WebhookReceiver()
        let router = Router()
        for path in ["/ok", "/flaky", "/hang", "/loop"] {
            router.post(RouterPath(path)) { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                var headers: [String: String] = [:]
                for h in request.headers { headers[h.name.canonicalName.lowercased()] = h.value }
                let n = r.received.withLock { list in
                    list.append(Received(path: path, headers: headers, body: String(buffer: body)))
                    return list.filter { $0.path == path }.count
                }
                switch path {
                case "/flaky" where n <= 2: return Response(status: .internalServerError)
                case "/hang":
                    try? await Task.sleep(for: .seconds(30))
                    return Response(status: .ok)
                case "/loop": return Response(status: .found, headers: [.location: "/loop"])
                default: return Response(status: .ok)
                }
            }
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { channel in r.bound.withLock { $0 = channel.localAddress?.port } })
        r.task.withLock { $0 = Task { try await app.runService(gracefulShutdownSignals: []) } }
        for _ in 0..<200 where r.bound.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(25)) }
        guard r.bound.withLock({ $0 }) != nil else { throw TestFailure("the webhook receiver did not come up") }
        return r
    }

    func stop() async {
        let t = task.withLock { $0 }
        t?.cancel()
        _ = try? await t?.value
    }
}
