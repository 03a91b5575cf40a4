import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore
import ThroughlineServer

/// What a server does for its data's safety without being asked.
@Suite("Safe defaults: private files, names checked on TCP, no open listener by accident", .serialized)
struct SafeDefaultsTests {
    static func mode(_ path: String) throws -> Int {
        try ((FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue).unwrap(path)
    }

    @Test("The data directory is its owner's alone (0700), and the log, the id index and the read models are 0600")
    func privateFiles() async throws {
        let s = try await RunningServer(dataFolder: "store")
        #expect(try await s.post(noteLine(1)).status == 200)
        _ = try await s.get("/v1/accounts/acme/timeline?min_seq=1")
        #expect(try Self.mode(s.data) == 0o700)
        let files = try FileManager.default.subpathsOfDirectory(atPath: s.data).filter { !$0.hasSuffix(".sock") }
        #expect(files.contains { $0.hasPrefix("log/") } && files.contains("projections.sqlite") && files.contains("index/ids.table"))
        for f in files {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: s.data + "/" + f, isDirectory: &isDir)
            #expect(try Self.mode(s.data + "/" + f) == (isDir.boolValue ? 0o700 : 0o600), "\(f)")
        }
        try await s.stop()
    }

    @Test("A store made before files were private is closed off when it opens: no file or folder is readable by group or others")
    func olderStoreClosedOff() async throws {
        let dir = TempDir()
        let data = dir.path + "/store"
        let first = try await RunningServer(in: dir, dataFolder: "store")
        #expect(try await first.post(noteLine(1)).status == 200)
        try await first.stop()
        let files = try FileManager.default.subpathsOfDirectory(atPath: data)
        for f in files { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: data + "/" + f) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: data)
        let again = try await RunningServer(in: dir, dataFolder: "store")
        for f in files where !f.hasSuffix(".sock") {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: data + "/" + f, isDirectory: &isDir)
            let mode = try Self.mode(data + "/" + f)
            #expect(isDir.boolValue ? mode == 0o700 : mode & 0o077 == 0, "\(f): \(String(mode, radix: 8))")
        }
        #expect(try Self.mode(data) == 0o700)
        try await again.stop()
    }

    @Test("On TCP a request naming another host (DNS rebinding) is answered 421 and stores nothing; loopback names are served")
    func hostCheck() async throws {
        let s = try await RunningServer { $0.listen = ("127.0.0.1", 0) }
        let port = try await s.tcpPort()
        let address = ServerAddress.tcp(host: "127.0.0.1", port: port)
        let evil = "evil.example:\(port)"
        let page = try await HTTPConnection.request(address, "GET", "/", headers: [("Host", evil)])
        #expect(page.status == 421)
        #expect(!page.text.contains("csrf"))
        let post = try await HTTPConnection.request(address, "POST", "/accounts/acme/events",
                                                    headers: [("Host", evil), ("Origin", "http://" + evil),
                                                              ("Content-Type", "application/x-www-form-urlencoded")],
                                                    body: Array("kind=note&author=x&text=pwned".utf8))
        #expect(post.status == 421)
        for host in ["localhost:\(port)", "127.0.0.1:\(port)", "[::1]:\(port)", "LOCALHOST"] {
            #expect(try await HTTPConnection.request(address, "GET", "/v1/health", headers: [("Host", host)]).status == 200, "\(host)")
        }
        // The socket's clients are local programs: any Host.
        #expect(try await HTTPConnection.request(s.address, "GET", "/v1/health", headers: [("Host", "evil.example")]).status == 200)
        #expect(int(try json(try await s.get("/v1/health"))["last_seq"]) == 0)
        try await s.stop()
    }

    @Test("A TCP listener on another address than loopback is refused at start, naming the way out, unless --insecure-listen")
    func nonLoopbackRefused() async throws {
        do {
            let s = try await RunningServer { $0.listen = ("0.0.0.0", 0) }
            try await s.stop()
            Issue.record("a server listening on 0.0.0.0 started")
        } catch {
            #expect("\(error)".contains("--insecure-listen"))
        }
        let s = try await RunningServer { $0.listen = ("0.0.0.0", 0); $0.insecureListen = true }
        #expect(try await s.get("/v1/health").status == 200)
        try await s.stop()
    }
}

extension Optional {
    func unwrap(_ what: String) throws -> Wrapped {
        guard let self else { throw TestFailure("no value for \(what)") }
        return self
    }
}
