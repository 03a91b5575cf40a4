import Testing
import ThroughlineCore

@Test("Bytes become two lower-case hex digits each, high nibble first, leading zeros kept")
func hexDigits() {
    #expect(hexText([]) == "")
    #expect(hexText([0x00, 0x0f, 0xf0, 0xff, 0x5a, 0x01]) == "000ff0ff5a01")
    #expect(hexText((0...255).map { UInt8($0) }) == (0...255).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined())
    #expect(hexText([0xAB, 0xCD].prefix(1)) == "ab")
}
