import Foundation
import JWTKit
import ThroughlineCore

/// Verifies OpenID Connect ID tokens (and other JWTs) an identity provider issued, against its
/// published keys (a JWKS file): the signature with a key of the set (never `alg: none`, never a
/// key the token brings along), the issuer, the audience, the expiry and not-before. The person
/// the token names (`email`, `preferred_username` or `sub`, as configured) signs in with their
/// local account's role and book, as with a proxy.
public struct OIDCVerifier: Sendable {
    public struct Configuration: Sendable {
        /// A JWKS file (the provider's `jwks_uri` document, saved).
        public var jwksFile: String
        public var issuer: String
        public var audience: String
        /// The claim that names the person: `email`, `preferred_username` or `sub`.
        public var userClaim = "email"

        public init(jwksFile: String, issuer: String, audience: String) {
            (self.jwksFile, self.issuer, self.audience) = (jwksFile, issuer, audience)
        }
    }

    /// The claims read from a token.
    struct Claims: JWTPayload {
        var iss: IssuerClaim
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var nbf: NotBeforeClaim?
        var sub: SubjectClaim
        var email: String?
        var preferred_username: String?

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
            try nbf?.verifyNotBefore()
        }
    }

    let keys: JWTKeyCollection
    public let configuration: Configuration

    /// Reads the key set; a file that cannot be read or holds no usable key is named.
    public init(_ configuration: Configuration) async throws(AccessError) {
        self.configuration = configuration
        guard ["email", "preferred_username", "sub"].contains(configuration.userClaim) else {
            throw AccessError("--oidc-user-claim \(configuration.userClaim): use email, preferred_username or sub")
        }
        let text: String
        do { text = try String(contentsOfFile: configuration.jwksFile, encoding: .utf8) } catch {
            throw AccessError("--oidc-jwks \(configuration.jwksFile): cannot be read (\(error.localizedDescription))")
        }
        keys = JWTKeyCollection()
        do { try await keys.add(jwksJSON: text) } catch {
            throw AccessError("--oidc-jwks \(configuration.jwksFile): not a key set with usable keys (each needs a kid): \(error)")
        }
    }

    /// Whether a bearer credential is shaped like a JWT (three base64url parts), not a token of ours.
    public static func looksLikeJWT(_ credential: String) -> Bool {
        credential.split(separator: ".", omittingEmptySubsequences: false).count == 3 && !credential.hasPrefix("tl_")
    }

    /// The name the token signs in, or why it is refused.
    public func user(of token: String) async -> Result<String, AccessError> {
        let claims: Claims
        do { claims = try await keys.verify(token, as: Claims.self) } catch {
            return .failure(AccessError("the ID token is refused: \(Self.reason(error))"))
        }
        guard claims.iss.value == configuration.issuer else {
            return .failure(AccessError("the ID token is refused: issued by \(claims.iss.value), not \(configuration.issuer)"))
        }
        guard claims.aud.value.contains(configuration.audience) else {
            return .failure(AccessError("the ID token is refused: meant for \(claims.aud.value.joined(separator: ", ")), not \(configuration.audience)"))
        }
        let name: String? = switch configuration.userClaim {
        case "preferred_username": claims.preferred_username
        case "sub": claims.sub.value
        default: claims.email
        }
        guard let name, !name.isEmpty else { return .failure(AccessError("the ID token has no \(configuration.userClaim) claim")) }
        return .success(name)
    }

    /// A short reason for a refused token (expired, bad signature, unknown key, malformed).
    static func reason(_ error: any Error) -> String {
        guard let e = error as? JWTError else { return "\(error)" }
        switch e.errorType {
        case .claimVerificationFailure: return "a claim does not hold (\(e.reason ?? "expired or not yet valid"))"
        case .signatureVerificationFailed: return "its signature does not verify with the provider's keys"
        case .unknownKID: return "it names a key the provider's key set does not have"
        case .malformedToken: return "it is not a well-formed JWT"
        default: return e.reason ?? "\(e.errorType)"
        }
    }
}
