import Foundation
import JWTKit

/// An identity provider of the test's own: a P-256 key whose public half is published as a
/// JWKS file, and ID tokens it signs.
public struct TestProvider {
    public let key = ES256PrivateKey()
    public let issuer = "https://id.example.test"

    public init() {}

    struct Token: JWTPayload {
        var iss: IssuerClaim
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var nbf: NotBeforeClaim?
        var sub: SubjectClaim
        var email: String?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// Writes the provider's key set to `dir/jwks.json` and returns its path.
    public func publish(in dir: String) throws -> String {
        guard let p = key.parameters else { throw JWTError.generic(identifier: "test", reason: "no parameters") }
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","alg":"ES256","use":"sig","x":"\#(p.x)","y":"\#(p.y)"}]}"#
        try jwks.write(toFile: dir + "/jwks.json", atomically: true, encoding: .utf8)
        return dir + "/jwks.json"
    }

    public func token(email: String = "dana@example.test", audience: String = "throughline", issuer: String? = nil,
               expires: Date = Date().addingTimeInterval(600), notBefore: Date? = nil, signedBy other: ES256PrivateKey? = nil) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: other ?? key, kid: "k1")
        return try await keys.sign(Token(iss: .init(value: issuer ?? self.issuer), aud: .init(value: [audience]), exp: .init(value: expires),
                                         nbf: notBefore.map { .init(value: $0) }, sub: .init(value: "u-1"), email: email), kid: "k1")
    }
}

