import Foundation

/// A server-sent events client over a Unix socket, as a consumer holds one: it sends one GET,
/// reads the status and headers, then takes the chunked body apart into events as they come.
final class EventStreamClient {
    /// One server-sent event: its name (nil for a plain event), `id:` and `data:`.
struct Event: Sendable {
        var name: String?
        var id: String?
        var data: String
    }

    private(set) var status = 0
    private(set) var headers: [String: String] = [:]
    /// The body of an answer that is not a stream (an error).
    private(set) var errorBody = ""
    /// What was asked, for messages.
    let path: String
    private var fd: Int32 = -1
    private var raw: [UInt8] = []
    private var body: [UInt8] = []
    /// Where the next event starts in `body`.
    private var bodyStart = 0
    private var chunkLeft = 0
    private var ended = false

    /// Opens `path` on the server at `socket` with `headers` (at most `seconds` for the answer's head).
    init(socket: String, path: String, headers extra: [(String, String)] = [], seconds: Double = 30) throws {
        self.path = path
        let fd = socket.withCString { path in
            let fd = Foundation.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { dst in
                let n = min(strlen(path), dst.count - 1)
                dst.copyMemory(from: UnsafeRawBufferPointer(start: path, count: n))
            }
            let ok = withUnsafePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            return ok == 0 ? fd : -1
        }
        guard fd >= 0 else { throw TestFailure("cannot connect to \(socket)") }
        self.fd = fd
        let request = "GET \(path) HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
            + extra.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
        _ = request.withCString { write(fd, $0, strlen($0)) }
        let deadline = Date().addingTimeInterval(seconds)
        var headEnd: Int?
        while headEnd == nil {
            guard try fill(until: deadline) else { throw TestFailure("no answer from \(path)") }
            headEnd = Self.find([13, 10, 13, 10], in: raw)
        }
        let head = String(decoding: raw[..<headEnd!], as: UTF8.self).components(separatedBy: "\r\n")
        raw.removeFirst(headEnd! + 4)
        status = Int(head[0].split(separator: " ")[1]) ?? 0
        var fields: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        headers = fields
        if status != 200 {
            // An error answer is short, with its length: read it whole.
            let length = Int(fields["content-length"] ?? "") ?? 0
            while raw.count < length, try fill(until: Date().addingTimeInterval(5)) {}
            errorBody = String(decoding: raw, as: UTF8.self)
        }
    }

    deinit { close() }

    /// Stops reading (the consumer goes away). Closes the socket once: a second close (from
    /// `deinit` after an explicit one) would close whatever descriptor took the number since,
    /// in this process another test's server listener or connection.
    func close() {
        if fd >= 0 { Foundation.close(fd) }
        fd = -1
    }

    /// The next event, waiting at most `seconds`; nil once the stream has ended.
    func next(seconds: Double) throws -> Event? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let end = Self.find([10, 10], in: body, from: bodyStart) {
                let text = String(decoding: body[bodyStart..<end], as: UTF8.self)
                bodyStart = end + 2
                if bodyStart > 1 << 20 {
                    body.removeFirst(bodyStart)
                    bodyStart = 0
                }
                var event = Event(name: nil, id: nil, data: "")
                for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix("event: ") { event.name = String(line.dropFirst(7)) }
                    if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)) }
                    if line.hasPrefix("data: ") { event.data += line.dropFirst(6) }
                }
                return event
            }
            if ended { return nil }
            try dechunk()
            if Self.find([10, 10], in: body, from: bodyStart) != nil || ended { continue }
            guard try fill(until: deadline) else {
                if ended { continue }
                throw TestFailure("no event within \(seconds) s on \(path)")
            }
        }
    }

    /// Moves what has arrived of the chunked body into `body`.
    private func dechunk() throws {
        while !raw.isEmpty {
            if chunkLeft > 0 {
                let n = min(chunkLeft, raw.count)
                body += raw[..<n]
                raw.removeFirst(n)
                chunkLeft -= n
                continue
            }
            // After a chunk's data, its CRLF; then the next size line.
            if raw.starts(with: [13, 10]) { raw.removeFirst(2) }
            guard let lineEnd = Self.find([13, 10], in: raw) else { return }
            let size = Int(String(decoding: raw[..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
            raw.removeFirst(lineEnd + 2)
            if size == 0 {
                ended = true
                return
            }
            chunkLeft = size
        }
    }

    /// Reads what the socket has, waiting until `deadline`; false when nothing came (or it closed).
    private func fill(until deadline: Date) throws -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let wait = max(0, Int32(deadline.timeIntervalSinceNow * 1000))
        guard poll(&poller, 1, wait) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else {
            ended = true
            return false
        }
        raw += buffer[..<n]
        return true
    }

    static func find(_ needle: [UInt8], in hay: [UInt8], from start: Int = 0) -> Int? {
        guard hay.count - start >= needle.count else { return nil }
        outer: for i in start...(hay.count - needle.count) {
            for k in needle.indices where hay[i + k] != needle[k] { continue outer }
            return i
        }
        return nil
    }
}
