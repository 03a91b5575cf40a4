import NIOCore
import NIOHTTP1
import NIOPosix
import ThroughlineCore

/// Where a Throughline server listens.
public enum ServerAddress: Sendable, CustomStringConvertible {
    case unix(String)
    /// TCP; `token` is sent as `Authorization: Bearer` (a listener that asks for sign-in needs one).
    case tcp(host: String, port: Int, token: String? = nil)

    public var description: String {
        switch self {
        case .unix(let path): path
        case .tcp(let host, let port, _): "\(host):\(port)"
        }
    }
}

/// One HTTP response, read whole.
public struct HTTPReply: Sendable {
    public let status: Int
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    /// The first header of that name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The `error` of a JSON error answer (`{"error": "..."}`), else the body as text.
    public var errorMessage: String {
        if let json = try? body.withUnsafeBufferPointer({ try JSONParser.parse($0) }), case .string(let e)? = json["error"] { return e }
        return text
    }
}

/// An HTTP/1.1 connection to the server over its Unix socket or TCP (SwiftNIO), used only inside
/// `HTTPConnection.open`. It can stream a request body in parts, which is how the tests hold a
/// request open; `request` is the one-call form.
public struct HTTPConnection: ~Copyable {
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    private let host: String
    private let token: String?

    /// Connects, runs `body` with the connection, and closes it.
    public static func open<T: Sendable>(_ address: ServerAddress,
                                         _ body: (inout HTTPConnection) async throws -> T) async throws -> T {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        let initializer: @Sendable (Channel) -> EventLoopFuture<NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                return try NIOAsyncChannel(wrappingChannelSynchronously: channel)
            }
        }
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        let host: String, token: String?
        switch address {
        case .unix(let path):
            channel = try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: initializer)
            (host, token) = ("localhost", nil)
        case .tcp(let h, let port, let t):
            channel = try await bootstrap.connect(host: h, port: port, channelInitializer: initializer)
            (host, token) = ("\(h):\(port)", t)
        }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = HTTPConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound, host: host, token: token)
            return try await body(&connection)
        }
    }

    /// Sends a request head; with `contentLength` nil the body is sent chunked.
    public func start(_ method: String, _ path: String, headers: [(String, String)] = [], contentLength: Int? = nil) async throws {
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path)
        if !headers.contains(where: { $0.0.lowercased() == "host" }) { head.headers.add(name: "Host", value: host) }
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let token, !headers.contains(where: { $0.0.lowercased() == "authorization" }) { head.headers.add(name: "Authorization", value: "Bearer " + token) }
        if let contentLength {
            head.headers.add(name: "Content-Length", value: String(contentLength))
        } else if method != "GET" && method != "HEAD" {
            head.headers.add(name: "Transfer-Encoding", value: "chunked")
        }
        try await outbound.write(.head(head))
    }

    /// Sends a part of the request body.
    public func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
    }

    /// Ends the request.
    public func end() async throws { try await outbound.write(.end(nil)) }

    /// Reads the whole response.
    public mutating func response() async throws -> HTTPReply {
        var status = 0
        var headers: [(String, String)] = []
        var body: [UInt8] = []
        while let part = try await inbound.next() {
            switch part {
            case .head(let head):
                status = Int(head.status.code)
                headers = head.headers.map { ($0.name, $0.value) }
            case .body(var buffer):
                body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
            case .end:
                return HTTPReply(status: status, headers: headers, body: body)
            }
        }
        throw HTTPClientError.connectionClosed(status == 0 ? "before a response" : "in the middle of a response")
    }

    /// Sends a whole request and reads the response.
    public mutating func request(_ method: String, _ path: String, headers: [(String, String)] = [],
                                 body: [UInt8]? = nil) async throws -> HTTPReply {
        try await start(method, path, headers: headers, contentLength: body?.count ?? (method == "GET" ? nil : 0))
        if let body, !body.isEmpty { try await send(body) }
        try await end()
        return try await response()
    }

    /// One request on a fresh connection.
    public static func request(_ address: ServerAddress, _ method: String, _ path: String,
                               headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> HTTPReply {
        try await open(address) { c in try await c.request(method, path, headers: headers, body: body) }
    }
}

public enum HTTPClientError: Error, CustomStringConvertible {
    case connectionClosed(String)
    public var description: String {
        switch self {
        case .connectionClosed(let when): "the server closed the connection \(when)"
        }
    }
}
