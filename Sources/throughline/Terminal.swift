import ArgumentParser
import EventLog
import Synchronization
import ThroughlineCore
#if canImport(Glibc)
import Glibc
#endif

/// Unbuffered, whole-line writes to stdout and stderr (one `write` per call, so lines from
/// different threads never interleave mid-line), plus a buffered writer for bulk output.
enum Terminal {
    static func err(_ line: String) { put(2, visible(line) + "\n") }
    static func out(_ line: String) { put(1, visible(line) + "\n") }

    /// `text` with every character that would steer a terminal instead of showing (C0 and C1
    /// controls but newline and tab, and the bidirectional overrides that reorder a line) written
    /// as a visible escape (`\u{1B}`), so an event's text cannot clear the screen, set the
    /// title or disguise what it says. JSON output has them escaped already.
    static func visible(_ text: String) -> String {
        func steers(_ v: UInt32) -> Bool {
            (v < 0x20 && v != 0x0A && v != 0x09) || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v)
                || (0x2066...0x2069).contains(v)
        }
        guard text.unicodeScalars.contains(where: { steers($0.value) }) else { return text }
        var out = ""
        for u in text.unicodeScalars {
            if steers(u.value) { out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}" } else { out.unicodeScalars.append(u) }
        }
        return out
    }

    static func put(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            done += n
        }
    }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// A number with thousands separators: 1234567 → "1,234,567".
    static func grouped(_ n: Int) -> String { NumberText.grouped(n) }
}

/// Collects output bytes and writes them to a file descriptor in large chunks.
struct BufferedOutput {
    let fd: Int32
    var buffer: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(1 << 20)
    }

    mutating func flushIfFull() { if buffer.count >= 1 << 20 { flush() } }

    mutating func flush() {
        buffer.withUnsafeBytes { Terminal.writeAll(fd, $0) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A file (or `-` for stdin) read in chunks.
final class InputFile {
    let fd: Int32
    let name: String

    init(path: String) throws {
        if path == "-" {
            fd = 0
            name = "stdin"
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            name = path
            guard fd >= 0 else { throw CLIError("cannot open \(path): \(String(cString: strerror(errno)))") }
        }
    }

    deinit { if fd != 0 { close(fd) } }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress!, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw CLIError("cannot read \(name): \(String(cString: strerror(errno)))") }
        }
    }
}

/// A fatal command-line error: printed as `throughline: <message>`, exit code 2.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// A progress line on stderr (only when it is a terminal), redrawn at most twice a second.
final class ProgressLine: Sendable {
    private let enabled = Terminal.stderrIsTerminal
    private let start = monotonicNanos()
    private let lastPrint = Mutex<UInt64>(0)

    /// Redraws `N lines, R lines/s` (with `of`: a bar and a percentage).
    func update(lines: Int, of total: Int? = nil, unit: String = "lines") {
        guard enabled else { return }
        let now = monotonicNanos()
        let due = lastPrint.withLock { last -> Bool in
            guard now - last > 500_000_000 || lines == total else { return false }
            last = now
            return true
        }
        guard due else { return }
        let rate = Double(lines) / (Double(now - start) / 1e9)
        var bar = ""
        if let total, total > 0 {
            let filled = min(30, lines * 30 / total)
            bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled) + "] \(lines * 100 / total)% "
        }
        Terminal.put(2, "\r\(bar)\(Terminal.grouped(lines)) \(unit), \(Terminal.grouped(Int(rate))) \(unit)/s ")
    }

    func clear() { if enabled { Terminal.put(2, "\r\u{1B}[K") } }

    /// Runs `work` with a progress line, cleared when it ends; a failure is printed and exits 2.
    static func run<T>(_ work: (ProgressLine) throws -> T) throws -> T {
        let progress = ProgressLine()
        do {
            let value = try work(progress)
            progress.clear()
            return value
        } catch {
            progress.clear()
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
    }
}
