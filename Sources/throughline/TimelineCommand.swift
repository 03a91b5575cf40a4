import ArgumentParser
import Foundation
import ThroughlineClient
import ThroughlineCore

struct TimelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Show one account's timeline, newest first, from the running server.",
        discussion: "Item kinds: \(TimelineEntry.Kind.allCases.map { $0.rawValue }.joined(separator: ", ")).")

    @OptionGroup var data: DataOptions
    @OptionGroup var server: ServerAddressOptions

    @Argument(help: "The account id.")
    var account: String

    @Option(help: "Only items at or after this time (RFC 3339 or YYYY-MM-DD).")
    var since: String?

    @Option(help: "Only items before this time.")
    var until: String?

    @Option(help: "Only these kinds, comma-separated (ticket,call,...).")
    var types: String?

    @Option(help: "Only items from this source.")
    var source: String?

    @Option(help: "Items per page (1–500).")
    var limit = 50

    @Option(help: "Continue after a previous page (its next_cursor).")
    var cursor: String?

    @Flag(help: "Print the server's JSON instead of a table.")
    var json = false

    func run() async throws {
        let query = queryString([("limit", String(limit)), ("since", since), ("until", until), ("types", types), ("source", source),
                                 ("cursor", cursor)])
        guard let body = try await fetchView(server.address(data: data), "/v1/accounts/\(percentEncoded(account))/timeline" + query,
                                             printRaw: json) else { return }
        guard case .array(let items)? = body["items"] else { throw CLIError("the server's answer has no items") }
        var rows: [[String]] = [["TIME (UTC)", "KIND", "WHAT"]]
        for item in items {
            rows.append([shortTime(item["time"]), text(item["kind"]), text(item["title"])])
        }
        Terminal.out(table(rows))
        if case .string(let next)? = body["next_cursor"] { Terminal.out("more: --cursor \(next)") }
    }
}

/// GETs `path` and returns its JSON; with `printRaw`, prints the answer as it came and returns nil.
func fetchView(_ address: ServerAddress, _ path: String, printRaw: Bool) async throws -> JSONValue? {
    let reply = try await fetch(address, path)
    if printRaw {
        Terminal.out(reply.text.trimmingSuffixNewline)
        return nil
    }
    return try parseJSON(reply)
}

/// GETs `path` from the server and fails with its error message unless the answer is 200.
func fetch(_ address: ServerAddress, _ path: String) async throws -> HTTPReply {
    let reply: HTTPReply
    do { reply = try await HTTPConnection.request(address, "GET", path) } catch {
        Terminal.err("throughline: cannot reach the server at \(address): \(error)")
        throw ExitCode(2)
    }
    guard reply.status == 200 else {
        Terminal.err("throughline: \(reply.errorMessage)")
        throw ExitCode(reply.status == 404 ? 1 : 2)
    }
    return reply
}

/// Who a command acts as when it appends an admin's act through the socket: `admin:$USER`.
var localAdmin: String { ProcessInfo.processInfo.environment["USER"].map { "admin:" + $0 } ?? "admin:local" }

/// Appends `events` through the server (the producers' path) and returns their seqs, once every
/// one was accepted (or was there already); otherwise says why `failure` and exits 2.
func appendThroughServer(_ address: ServerAddress, _ events: [Event], failure: String) async throws -> [UInt64] {
    let reply: HTTPReply
    do {
        reply = try await HTTPConnection.request(address, "POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")],
                                                 body: Array(events.map { JSONWriter.string($0.jsonValue) }.joined(separator: "\n").utf8))
    } catch {
        Terminal.err("throughline: cannot reach the server at \(address): \(error)")
        throw ExitCode(2)
    }
    let results = (try? parseJSON(reply))?["results"]?.array ?? []
    let seqs = results.compactMap { $0["seq"]?.scalarText.flatMap { UInt64($0) } }
    guard reply.status == 200, seqs.count == events.count else {
        let why = results.compactMap { $0["error"]?.scalarText }.first ?? reply.errorMessage
        Terminal.err("throughline: \(failure): \(why)")
        throw ExitCode(2)
    }
    return seqs
}

func parseJSON(_ reply: HTTPReply) throws -> JSONValue {
    try reply.body.withUnsafeBufferPointer { try JSONParser.parse($0) }
}

func text(_ v: JSONValue?) -> String { v?.scalarText ?? "" }

/// `2026-03-04T13:30:00Z` → `2026-03-04 13:30`.
func shortTime(_ v: JSONValue?) -> String {
    let s = text(v)
    guard s.count >= 16 else { return s }
    return String(s.prefix(10)) + " " + String(s.dropFirst(11).prefix(5))
}

/// Columns padded to their widest cell; the last column is not padded.
func table(_ rows: [[String]]) -> String {
    guard let columns = rows.map(\.count).max() else { return "" }
    var widths = [Int](repeating: 0, count: columns)
    for row in rows { for (i, cell) in row.enumerated() where i < columns - 1 { widths[i] = max(widths[i], cell.count) } }
    return rows.map { row in
        row.enumerated().map { i, cell in i < columns - 1 ? cell + String(repeating: " ", count: widths[i] - cell.count) : cell }
            .joined(separator: "  ")
    }.joined(separator: "\n")
}

extension String {
    var trimmingSuffixNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}
