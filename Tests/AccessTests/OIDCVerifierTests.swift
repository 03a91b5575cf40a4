import Access
import Foundation
import JWTKit
import Testing
import TestSupport
import ThroughlineCore

@Suite("OpenID Connect ID tokens")
struct OIDCVerifierTests {
    @Test("A token the provider signed for this audience names its person; expired, early, wrongly signed, foreign, other-audience and alg:none tokens are refused with the reason")
    func verification() async throws {
        let dir = TempDir()
        let provider = TestProvider()
        let verifier = try await OIDCVerifier(.init(jwksFile: try provider.publish(in: dir.path), issuer: provider.issuer, audience: "throughline"))
        #expect(try await verifier.user(of: provider.token()).get() == "dana@example.test")
        func refusal(_ token: String) async -> String? {
            if case .failure(let e) = await verifier.user(of: token) { return e.description }
            return nil
        }
        #expect(await refusal(try await provider.token(expires: Date().addingTimeInterval(-60)))?.contains("claim") == true)
        #expect(await refusal(try await provider.token(notBefore: Date().addingTimeInterval(3600))) != nil)
        #expect(await refusal(try await provider.token(signedBy: ES256PrivateKey()))?.contains("signature") == true)
        #expect(await refusal(try await provider.token(audience: "another-app"))?.contains("not throughline") == true)
        #expect(await refusal(try await provider.token(issuer: "https://evil.example"))?.contains("issued by https://evil.example") == true)
        // alg: none, with the payload of a good token: no key verifies it.
        let good = try await provider.token()
        let parts = good.split(separator: ".")
        let none = Data(#"{"alg":"none","typ":"JWT","kid":"k1"}"#.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        #expect(await refusal(none + "." + parts[1] + ".") != nil)
        #expect(await refusal(none + "." + parts[1] + "." + parts[2]) != nil)
        #expect(await refusal("not.a.jwt") != nil)
        #expect(OIDCVerifier.looksLikeJWT(good) && !OIDCVerifier.looksLikeJWT("tl_abc"))
    }

    @Test("A key set that cannot be read, or holds no key, is named at start")
    func badKeySet() async throws {
        let dir = TempDir()
        await #expect(throws: AccessError.self) { try await OIDCVerifier(.init(jwksFile: dir.path + "/none.json", issuer: "i", audience: "a")) }
        try "{\"keys\": 3}".write(toFile: dir.path + "/bad.json", atomically: true, encoding: .utf8)
        await #expect(throws: AccessError.self) { try await OIDCVerifier(.init(jwksFile: dir.path + "/bad.json", issuer: "i", audience: "a")) }
    }
}
