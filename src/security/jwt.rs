//! HS256 JSON Web Tokens: issuing, and the signature, claims and expiry checks.
//!
//! Tokens are assembled here so the header is byte-for-byte `{"alg":"HS256","typ":"JWT"}`.
//! One algorithm and one key are all this service uses, so the JWS steps are done directly on
//! `ring`'s HMAC with the key schedule computed once at startup (a general JWT library rebuilds
//! it on every check and parses the header and the claims twice; docs/performance.md has the
//! measured cost). The claims are typed and checked in the order the contract prescribes,
//! because `sub` must be a digit string and `exp` must be told apart from the other failures.
//! The tests check these tokens against `jsonwebtoken` as an independent implementation.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use serde_json::{Value, json};
use thiserror::Error;
use uuid::Uuid;

use claims::{RawClaims, parse_claims};
use header::header_is_hs256;

mod claims;
mod header;

/// base64url of `{"alg":"HS256","typ":"JWT"}`.
const HEADER_SEGMENT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// Which of the two token kinds a token is (the `type` claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    /// The `type` claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }

    pub(crate) fn from_claim(value: &str) -> Option<Self> {
        match value {
            "access" => Some(Self::Access),
            "refresh" => Some(Self::Refresh),
            _ => None,
        }
    }
}

/// The verified claims a caller needs to look up the user and the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub user_id: i32,
    pub kind: TokenKind,
    pub jti: Uuid,
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
}

/// A freshly signed token with the values the session row needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    pub jti: Uuid,
    pub exp: i64,
}

/// Failure to issue a token (a programming or configuration error, never client input).
#[derive(Debug, Error)]
pub enum JwtError {
    #[error("token subject must be a positive user id, got {0}")]
    InvalidSubject(i32),
    #[error("token lifetime must be positive and must not overflow")]
    InvalidLifetime,
    #[error("failed to encode token claims: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Why a presented token was refused; each maps to one step of the token checks (docs/architecture.md, "Authentication and sessions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TokenError {
    /// Row 3: malformed, forged, wrong `alg`, bad or missing claim, `nbf` in the future.
    #[error("invalid token")]
    Invalid,
    /// Row 4: `exp` has passed.
    #[error("token has expired")]
    Expired,
    /// Row 5: an access token where a refresh token is expected, or the reverse.
    #[error("wrong token type")]
    WrongType,
}

/// The HMAC-SHA256 key derived from the secret, with its key schedule precomputed.
#[derive(Clone)]
pub struct JwtKeys {
    hmac: hmac::Key,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys { secret: <redacted> }")
    }
}

impl JwtKeys {
    /// Keys for HMAC-SHA256 with `secret` (the UTF-8 bytes of `JWT_SECRET_KEY`).
    pub fn new(secret: &[u8]) -> Self {
        Self {
            hmac: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// An access token carrying a snapshot of the user's username and email.
    pub fn issue_access(
        &self,
        user_id: i32,
        sid: Uuid,
        username: &str,
        email: &str,
        now: i64,
        ttl_secs: i64,
    ) -> Result<IssuedToken, JwtError> {
        let extra = [("username", username), ("email", email)];
        self.issue(TokenKind::Access, user_id, sid, now, ttl_secs, &extra)
    }

    /// A refresh token (no profile claims).
    pub fn issue_refresh(
        &self,
        user_id: i32,
        sid: Uuid,
        now: i64,
        ttl_secs: i64,
    ) -> Result<IssuedToken, JwtError> {
        self.issue(TokenKind::Refresh, user_id, sid, now, ttl_secs, &[])
    }

    fn issue(
        &self,
        kind: TokenKind,
        user_id: i32,
        sid: Uuid,
        now: i64,
        ttl_secs: i64,
        extra: &[(&str, &str)],
    ) -> Result<IssuedToken, JwtError> {
        if user_id < 1 {
            return Err(JwtError::InvalidSubject(user_id));
        }
        let exp = Some(ttl_secs)
            .filter(|ttl| *ttl > 0)
            .and_then(|ttl| now.checked_add(ttl))
            .ok_or(JwtError::InvalidLifetime)?;
        let jti = Uuid::new_v4();
        let mut claims = json!({
            "sub": user_id.to_string(), "type": kind.as_str(), "jti": jti.to_string(),
            "sid": sid.to_string(), "iat": now, "nbf": now, "exp": exp, "fresh": false,
        });
        for (name, value) in extra {
            claims[*name] = Value::from(*value);
        }
        let token = self.sign(&claims)?;
        Ok(IssuedToken { token, jti, exp })
    }

    /// Serialises and signs `claims` under the fixed HS256 header.
    fn sign(&self, claims: &Value) -> Result<String, JwtError> {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?);
        let message = format!("{HEADER_SEGMENT}.{payload}");
        let tag = hmac::sign(&self.hmac, message.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(tag.as_ref());
        Ok(format!("{message}.{signature}"))
    }

    /// Verifies `token` at time `now` (Unix seconds), expecting a token of kind `expected`.
    ///
    /// Order: row 3 (structure, `alg`, signature, required claims, `nbf`), then row 4
    /// (`exp < now`; a token whose `exp` is the current second is still accepted, as
    /// `jsonwebtoken` does with leeway 0), then row 5 (`type`).
    pub fn verify(&self, token: &str, expected: TokenKind, now: i64) -> Result<Claims, TokenError> {
        let payload = self.verified_payload(token).ok_or(TokenError::Invalid)?;
        let raw = serde_json::from_slice::<RawClaims>(&payload).map_err(|_| TokenError::Invalid)?;
        let parsed = parse_claims(raw, now).ok_or(TokenError::Invalid)?;
        if parsed.exp < now {
            return Err(TokenError::Expired);
        }
        if parsed.kind != expected {
            return Err(TokenError::WrongType);
        }
        Ok(parsed)
    }

    /// The decoded payload of a compact JWS of exactly three segments whose header names
    /// HS256 and whose signature is this key's MAC of `header.payload`; `None` otherwise.
    ///
    /// The signature must be the canonical unpadded base64url of the 32-byte MAC (the strict
    /// decoder refuses padding and stray trailing bits), so there is one accepted spelling
    /// per token, and `ring` compares the MAC in constant time.
    fn verified_payload(&self, token: &str) -> Option<Vec<u8>> {
        let mut segments = token.split('.');
        let (header, payload, signature) = (segments.next()?, segments.next()?, segments.next()?);
        if segments.next().is_some() || !header_is_hs256(header) {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let signed = &token[..header.len() + 1 + payload.len()];
        hmac::verify(&self.hmac, signed.as_bytes(), &signature).ok()?;
        URL_SAFE_NO_PAD.decode(payload).ok()
    }
}

#[cfg(test)]
mod tests;
