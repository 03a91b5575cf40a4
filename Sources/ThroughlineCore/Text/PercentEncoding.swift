/// Percent-encodes everything but unreserved characters (RFC 3986), for a URL path segment or
/// query value.
public func percentEncoded(_ s: String) -> String {
    var out = ""
    for b in s.utf8 {
        if (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E {
            out.append(Character(UnicodeScalar(b)))
        } else {
            let hex = String(b, radix: 16, uppercase: true)
            out += "%" + (hex.count < 2 ? "0" + hex : hex)
        }
    }
    return out
}

/// `?name=value&…` of the pairs with a value, each part percent-encoded; "" when none has one.
public func queryString(_ pairs: [(String, String?)]) -> String {
    let parts = pairs.compactMap { name, value in value.map { percentEncoded(name) + "=" + percentEncoded($0) } }
    return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
}
