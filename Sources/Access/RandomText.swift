import Foundation
import ThroughlineCore

/// Random text from the system's generator, for secrets: tokens, session ids, form tokens.
public enum RandomText {
    public static func bytes(_ n: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    /// `n` random bytes as lower-case hex.
    public static func hex(_ n: Int) -> String { hexText(bytes(n)) }

    /// `n` random bytes as unpadded base64url (safe in headers, URLs and cookies).
    public static func base64URL(_ n: Int) -> String {
        Data(bytes(n)).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
