import AsyncHTTPClient
import Crypto
import EventLog
import Foundation
import Logging
import NIOCore
import Scoring
import ServiceLifecycle
import Synchronization
import ThroughlineCore

/// Delivers the alerts to the webhooks their rules name: follows the log for `alert.fired`
/// events (from where it was when first started: no old alert is sent), queues one delivery
/// per alert and endpoint in `WebhookStore`, and POSTs each as JSON that a Slack or Teams
/// incoming webhook accepts as it is (`text`), with the alert itself beside it (`alert`), signed
/// with the endpoint's secret (`Throughline-Signature: sha256=HEX`, HMAC-SHA256 of the body).
/// An answer other than 2xx, a refused connection, a timeout or a redirect (not followed) is
/// tried again after a pause that doubles (with jitter) up to `webhookBackoffCap`; after
/// `webhookAttempts` tries the delivery is dead. At-least-once: a receiver deduplicates by
/// `Throughline-Alert-Id`. Deliveries run at once, so one endpoint that hangs delays no other.
struct WebhookSender: Service {
    let alerts: AlertRules
    let secrets: [String: [UInt8]]
    let store: EventStore
    let deliveries: WebhookStore
    let options: ServerOptions
    let logger: Logger

    /// The secret of each webhook that names one, from the environment; a variable not set is an error.
    static func secrets(_ alerts: AlertRules) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for w in alerts.webhooks {
            guard let name = w.secretEnv else { continue }
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw ServerError(.options, "webhook \(w.name): the environment variable \(name) (its secret_env) is not set")
            }
            out[w.name] = Array(value.utf8)
        }
        return out
    }

    func run() async throws {
        var config = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                              timeout: .init(connect: .seconds(5), read: TimeAmount(options.webhookTimeout)))
        config.httpVersion = .http1Only
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        let inFlight = InFlight()
        await withTaskGroup(of: Void.self) { group in
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do {
                    try collect()
                    for d in try deliveries.due(now: options.clock.now(), limit: 64) where inFlight.start(d.id) {
                        group.addTask {
                            await send(d, client: client)
                            inFlight.end(d.id)
                        }
                    }
                } catch {
                    logger.error("webhook deliveries: cannot read the log or deliveries.sqlite; tried again shortly", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
            group.cancelAll()
        }
        try? await client.shutdown()
    }

    /// Queues the deliveries of the alerts the log holds past the cursor.
    func collect() throws {
        let snapshot = store.snapshot()
        guard let saved = try deliveries.position() else {
            // First start: from the log's end.
            return try deliveries.enqueue([], through: snapshot.position.description, now: options.clock.now())
        }
        var position = try LogPosition(parsing: Substring(saved), partitions: snapshot.partitioning)
        guard !position.reaches(snapshot.position) else { return }
        var new: [(alert: String, account: String, endpoint: String, url: String, body: Data)] = []
        try snapshot.forEachView(after: position) { view in
            position.advance(to: view.seq)
            guard view.type == .alertFired, let event = try? view.event(), case .alertFired(let a)? = try? event.payload(),
                  a.alerts == alerts.version else { return true }
            for w in alerts.endpoints(of: a.rule) {
                new.append((event.id, event.account, w.name, w.url, Self.body(event, a)))
            }
            return new.count < 1000
        }
        try deliveries.enqueue(new, through: position.description, now: options.clock.now())
    }

    /// The JSON a webhook receives: `text` for chat tools, `alert` for programs.
    static func body(_ e: Event, _ a: AlertFired) -> Data {
        var alert: [JSONMember] = [JSONMember("id", .string(e.id)), JSONMember("account", .string(e.account)),
                                   JSONMember("time", .string(e.time.description)), JSONMember("alerts", .string(a.alerts)),
                                   JSONMember("rule", .string(a.rule)), JSONMember("trigger", .string(a.trigger)),
                                   JSONMember("reason", .string(a.reason)), JSONMember("seqs", .array(a.seqs.map { .number(String($0)) }))]
        if let s = a.score { alert.append(JSONMember("score", .number(NumberText.plain(s)))) }
        if let b = a.band { alert.append(JSONMember("band", .string(b.rawValue))) }
        let text = "Throughline alert \(a.rule) for \(e.account): \(a.reason)"
        return Data(JSONWriter.string(.object([JSONMember("text", .string(text)), JSONMember("alert", .object(alert))])).utf8)
    }

    /// `sha256=` and the HMAC-SHA256 of `body` under `secret`, in hex.
    static func signature(_ body: Data, secret: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret))
        return "sha256=" + hexText(mac)
    }

    func send(_ d: WebhookStore.Delivery, client: HTTPClient) async {
        let n = d.attempts + 1
        let started = options.clock.now(), t0 = ContinuousClock.now
        var request = HTTPClientRequest(url: d.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "throughline")
        request.headers.add(name: "Throughline-Alert-Id", value: d.alert)
        request.headers.add(name: "Throughline-Delivery-Attempt", value: String(n))
        if let secret = secrets[d.endpoint] { request.headers.add(name: "Throughline-Signature", value: Self.signature(d.body, secret: secret)) }
        request.body = .bytes(ByteBuffer(bytes: d.body))
        var status: Int?, problem: String?
        do {
            let response = try await client.execute(request, timeout: TimeAmount(options.webhookTimeout))
            status = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            switch response.status.code {
            case 200..<300: break
            case 300..<400: problem = "answered \(response.status.code), a redirect to \(response.headers.first(name: "Location") ?? "nowhere"), not followed"
            default: problem = "answered \(response.status.code)"
            }
        } catch {
            problem = "\(error)"
        }
        let millis = (ContinuousClock.now - t0).milliseconds
        let delivered = problem == nil
        var retryAt: Int64?
        if !delivered && n < options.webhookAttempts {
            let pause = min(options.webhookBackoffCap.seconds, options.webhookBackoff.seconds * pow(2, Double(n - 1))) * Double.random(in: 0.5...1)
            retryAt = options.clock.now() + Int64(pause * 1e6)
        }
        do {
            try deliveries.record(d.id, .init(n: n, atMicros: started, status: status, error: problem, millis: millis), delivered: delivered, retryAt: retryAt)
        } catch {
            logger.error("webhook deliveries: cannot record an attempt; it is made again", metadata: ["error": "\(error)"])
        }
        let meta: Logger.Metadata = ["alert": "\(d.alert)", "endpoint": "\(d.endpoint)", "attempt": "\(n)"]
        if delivered {
            logger.info("alert delivered", metadata: meta)
        } else if retryAt == nil {
            logger.error("alert not delivered after the last try: a dead letter (GET /v1/deliveries?state=dead)", metadata: meta.merging(["error": "\(problem!)"]) { $1 })
        } else {
            logger.warning("alert delivery failed; tried again", metadata: meta.merging(["error": "\(problem!)"]) { $1 })
        }
    }

    /// The deliveries being sent, so that one is not started twice.
    final class InFlight: Sendable {
        private let ids = Mutex<Set<Int64>>([])
        func start(_ id: Int64) -> Bool { ids.withLock { $0.insert(id).inserted } }
        func end(_ id: Int64) { _ = ids.withLock { $0.remove(id) } }
    }
}
