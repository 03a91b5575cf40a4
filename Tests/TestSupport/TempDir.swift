import Foundation

/// A fresh temporary directory, removed when the test is done.
public final class TempDir: @unchecked Sendable {
    public let path: String

    public init() {
        path = NSTemporaryDirectory() + "tl-" + UUID().uuidString.prefix(8).lowercased()
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A copy of the whole directory, in a new temporary directory.
    public func copy() -> TempDir {
        let other = TempDir()
        try! FileManager.default.removeItem(atPath: other.path)
        try! FileManager.default.copyItem(atPath: path, toPath: other.path)
        return other
    }

    /// The log's segment files, in order.
    public var segments: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/log")) ?? []).filter { $0.hasSuffix(".tlog") }.sorted()
            .map { path + "/log/" + $0 }
    }
}
