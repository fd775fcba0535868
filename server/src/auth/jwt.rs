//! Access tokens: JWT signed with HS256 and verified with HS256 only (tokens with `alg: none`,
//! another HMAC size or an asymmetric algorithm are refused), `exp` required, 5 s leeway.

use fieldcrm_core::{DeviceId, Role, UserId};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The `typ` claim of an access token.
pub const ACCESS_TYP: &str = "access";

/// Clock skew tolerated when checking `exp`, seconds.
pub const LEEWAY_SECS: u64 = 5;

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user.
    pub sub: UserId,
    /// The device the token was issued to.
    pub dev: DeviceId,
    /// The user's role when the token was issued.
    pub role: Role,
    /// Issued at, unix seconds.
    pub iat: i64,
    /// Expires at, unix seconds.
    pub exp: i64,
    /// Always [`ACCESS_TYP`].
    pub typ: String,
}

/// Errors of access tokens.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    /// The token's `exp` has passed.
    #[error("access token expired")]
    Expired,
    /// The token is malformed, wrongly signed, of another algorithm or type.
    #[error("invalid access token: {0}")]
    Invalid(String),
    /// Signing failed.
    #[error("cannot sign access token: {0}")]
    Sign(String),
}

/// The HS256 key and the access token lifetime.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl_secs: u64,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("access_ttl_secs", &self.access_ttl_secs)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Keys for `secret`, issuing tokens valid for `access_ttl_secs`.
    pub fn new(secret: &[u8], access_ttl_secs: u64) -> JwtKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl_secs,
        }
    }

    /// Lifetime of the access tokens issued, seconds.
    pub fn access_ttl_secs(&self) -> u64 {
        self.access_ttl_secs
    }

    /// Signs an access token for `user` on `device`, valid from now for the configured TTL.
    pub fn issue(&self, user: UserId, device: DeviceId, role: Role) -> Result<String, JwtError> {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(self.access_ttl_secs).unwrap_or(i64::MAX / 2);
        self.sign(&AccessClaims {
            sub: user,
            dev: device,
            role,
            iat: now,
            exp: now.saturating_add(ttl),
            typ: ACCESS_TYP.to_owned(),
        })
    }

    /// Signs arbitrary claims with HS256 (tests use it to craft expired tokens).
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, JwtError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| JwtError::Sign(e.to_string()))
    }

    /// Verifies signature, algorithm, expiry and type, returning the claims.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, JwtError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => JwtError::Expired,
                _ => JwtError::Invalid(e.to_string()),
            })?;
        if data.claims.typ != ACCESS_TYP {
            return Err(JwtError::Invalid(format!(
                "token type {:?}",
                data.claims.typ
            )));
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn keys() -> JwtKeys {
        JwtKeys::new(SECRET, 900)
    }

    fn b64(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn issue_and_verify() {
        let (u, d) = (UserId::new(), DeviceId::new());
        let token = keys().issue(u, d, Role::Rep).unwrap();
        let claims = keys().verify(&token).unwrap();
        assert_eq!((claims.sub, claims.dev, claims.role), (u, d, Role::Rep));
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn expired_wrong_key_wrong_type_and_tampering_fail() {
        let now = chrono::Utc::now().timestamp();
        let mut claims = AccessClaims {
            sub: UserId::new(),
            dev: DeviceId::new(),
            role: Role::Admin,
            iat: now - 1000,
            exp: now - 100,
            typ: ACCESS_TYP.into(),
        };
        let expired = keys().sign(&claims).unwrap();
        assert!(matches!(keys().verify(&expired), Err(JwtError::Expired)));

        claims.exp = now + 100;
        let other = JwtKeys::new(b"another secret that is long enough!!", 900);
        let forged = other.sign(&claims).unwrap();
        assert!(matches!(keys().verify(&forged), Err(JwtError::Invalid(_))));

        claims.typ = "refresh".into();
        let wrong_typ = keys().sign(&claims).unwrap();
        assert!(matches!(
            keys().verify(&wrong_typ),
            Err(JwtError::Invalid(_))
        ));

        claims.typ = ACCESS_TYP.into();
        let body = serde_json::to_string(&claims).unwrap();
        let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&body));
        assert!(keys().verify(&none).is_err());
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(matches!(keys().verify(&hs512), Err(JwtError::Invalid(_))));
        assert!(keys().verify("garbage").is_err());
    }
}
