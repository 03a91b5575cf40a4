import EventLog
import Hummingbird
import HTTPTypes
import ThroughlineCore

extension HTTPResponse.Status {
    /// 207: some lines of the request were stored and some refused.
    static var multiStatus: Self { .init(code: 207, reasonPhrase: "Multi-Status") }
}

/// Responses the API sends: JSON written with the core's writer, errors as `{"error": "..."}`.
enum Reply {
    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        var bytes: [UInt8] = []
        JSONWriter.write(value, into: &bytes)
        return json(status, bytes: bytes)
    }

    /// A typed view, written straight into the body's bytes.
    static func json(_ status: HTTPResponse.Status, _ view: some Encodable) throws -> Response {
        json(status, bytes: try JSONValueEncoder.bytes(view))
    }

    private static func json(_ status: HTTPResponse.Status, bytes: [UInt8]) -> Response {
        var buffer = ByteBuffer(bytes: bytes)
        buffer.writeInteger(UInt8(0x0A))
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, .object([JSONMember("error", .string(message))]))
    }

    /// 503 with `Retry-After`: come back in `retryAfter` seconds.
    static func unavailable(_ message: String, retryAfter: Int) -> Response {
        var response = error(.serviceUnavailable, message)
        response.headers[.retryAfter] = String(retryAfter)
        return response
    }

    static func number<N: BinaryInteger>(_ n: N) -> JSONValue { .number(String(n)) }

    /// The ingest answer: counts, then one result per non-blank line, streamed in chunks so a
    /// response for millions of lines is never held whole.
    /// With several partitions each seq is followed by its partition's number.
    static func ingest(_ results: IngestResults, status: HTTPResponse.Status, note: String?, partitioning: Partitioning = .one) -> Response {
        let s = results.summary
        var head: [JSONMember] = [
            JSONMember("accepted", number(s.accepted)), JSONMember("duplicate", number(s.duplicate)),
            JSONMember("conflict", number(s.conflict)), JSONMember("rejected", number(s.rejected)),
        ]
        if let first = s.firstSeq, let last = s.lastSeq {
            head.append(JSONMember("first_seq", number(first)))
            head.append(JSONMember("last_seq", number(last)))
        }
        if let note { head.append(JSONMember("error", .string(note))) }
        let prefix: [UInt8] = {
            var out: [UInt8] = []
            JSONWriter.write(.object(head), into: &out)
            out.removeLast()  // reopen the object for "results"
            out.append(contentsOf: Array(",\"results\":[".utf8))
            return out
        }()
        let body = ResponseBody { writer in
            var out = prefix
            var first = true
            for n in stride(from: 1, through: results.lineCount, by: 1) {
                let line = results.line(n)
                if line.status == .blank { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "\n"))
                first = false
                // Written directly, not through JSONValue or a String per number: this runs once
                // per event ingested.
                out.append(contentsOf: #"{"line":"#.utf8)
                appendDecimal(UInt64(n), into: &out)
                out.append(contentsOf: #","status":""#.utf8)
                out.append(contentsOf: line.status.name.utf8)
                out.append(UInt8(ascii: "\""))
                if let seq = line.seq {
                    out.append(contentsOf: #","seq":"#.utf8)
                    appendDecimal(seq, into: &out)
                    if partitioning.count > 1 {
                        out.append(contentsOf: #","partition":"#.utf8)
                        appendDecimal(UInt64(partitioning.place(of: seq).partition), into: &out)
                    }
                }
                if let error = line.error {
                    out.append(contentsOf: #","error":"#.utf8)
                    JSONWriter.writeString(error, into: &out)
                }
                out.append(UInt8(ascii: "}"))
                if out.count >= 1 << 16 {
                    try await writer.write(ByteBuffer(bytes: out))
                    out.removeAll(keepingCapacity: true)
                }
            }
            out.append(contentsOf: Array("\n]}\n".utf8))
            try await writer.write(ByteBuffer(bytes: out))
            try await writer.finish(nil)
        }
        return Response(status: status, headers: [.contentType: "application/json"], body: body)
    }
}

extension HTTPField.Name {
    /// The log's last durable seq when a read was answered.
    static var throughlineLastSeq: Self { Self("Throughline-Last-Seq")! }
    /// The `after` a follower passes next to continue where this read stopped.
    static var throughlineNextAfter: Self { Self("Throughline-Next-After")! }
    /// On a reply from the read models while the projector or the scorer does not run normally:
    /// why it may be stale.
    static var throughlineStale: Self { Self("Throughline-Stale")! }
}
