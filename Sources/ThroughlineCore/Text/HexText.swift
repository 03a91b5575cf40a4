/// Bytes as lower-case hexadecimal text, two digits a byte: key names, signatures, tokens.
/// Built from a table into the string's own storage (formatting each byte with `String(format:)`
/// cost microseconds per byte on Linux, on the path of every sealed value); inlinable, so that
/// callers in other modules get it made for their own kind of bytes.
@inlinable
public func hexText(_ bytes: some Sequence<UInt8>) -> String {
    let digits: StaticString = "0123456789abcdef"
    let buffered = Array(bytes)
    return String(unsafeUninitializedCapacity: buffered.count * 2) { out in
        digits.withUTF8Buffer { d in
            for (i, b) in buffered.enumerated() {
                out[2 * i] = d[Int(b >> 4)]
                out[2 * i + 1] = d[Int(b & 0x0F)]
            }
        }
        return buffered.count * 2
    }
}
