import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The local users the audit trail names: whoever runs a command, or sends a request on the socket.
public enum LocalUser {
    /// The user name of `uid`, or `uid N` when the system has none.
    public static func name(_ uid: UInt32) -> String {
        var entry = passwd(), found: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 1024)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &found) == 0, found != nil, let name = entry.pw_name else { return "uid \(uid)" }
        return String(cString: name)
    }

    /// `local:NAME` for the user running this process.
    public static var current: String { "local:" + name(getuid()) }
}
