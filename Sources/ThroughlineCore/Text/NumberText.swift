/// Numbers as people read them.
public enum NumberText {
    /// Thousands separated by commas: 1234567 → "1,234,567", -1500 → "-1,500".
    public static func grouped<I: BinaryInteger>(_ n: I) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A number without a needless fraction: 40.0 → "40", 0.25 → "0.25".
    public static func plain(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
