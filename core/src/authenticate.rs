//! Whether a token is authentic for a location, before its times are checked: the kind of
//! token the location takes (`auth_jwt_type`), parsing it as that kind, and verifying its
//! signature or decrypting it (and, for a nested token, verifying the enclosed JWS).
//!
//! Parsing is split from authentication so that the pipeline can refuse a malformed token
//! before it looks at the key sources (structure first, keys second, as NGINX Plus does).
//!
//! Every failure of decryption that depends on a key is the one outcome `decrypt_failed` with
//! the one log line "decryption failed" (see `jwe/error.rs`), whichever key set was tried.

use std::fmt;

use crate::claims::TimeBounds;
use crate::error::{escape, Rejection};
use crate::fields::TokenFields;
use crate::jwe::{self, Jwe, JweError, JweLimits, Plaintext};
use crate::jwk::KeySet;
use crate::token::{checked_claims, Jws};
use crate::verify::{verify_signature, verify_signature_any};
use crate::Limits;

/// The kind of token a location accepts (`auth_jwt_type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TokenType {
    /// A JWS (the default).
    #[default]
    Signed,
    /// A JWE whose plaintext is the claims set.
    Encrypted,
    /// A JWE whose plaintext is a JWS (`cty: JWT`), verified in turn.
    Nested,
}

impl TokenType {
    /// The directive's word for a type: `signed`, `encrypted` or `nested`.
    #[must_use]
    pub fn from_name(name: &[u8]) -> Option<TokenType> {
        match name {
            b"signed" => Some(TokenType::Signed),
            b"encrypted" => Some(TokenType::Encrypted),
            b"nested" => Some(TokenType::Nested),
            _ => None,
        }
    }

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            TokenType::Signed => "signed",
            TokenType::Encrypted => "encrypted",
            TokenType::Nested => "nested",
        }
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A token whose structure fits the location's type; nothing about it is trusted yet.
pub(crate) enum Parsed<'t> {
    Signed(Jws<'t>),
    Encrypted(Jwe<'t>),
}

/// Parses `token` as a token of type `token_type`. A token of another kind (a JWS where a
/// JWE is expected, a JWE without `cty: JWT` where a nested token is expected, and the
/// reverse) is refused as such, before any key is used.
pub(crate) fn parse<'t>(
    token: &'t [u8],
    limits: &Limits,
    token_type: TokenType,
) -> Result<Parsed<'t>, Rejection> {
    if token_type == TokenType::Signed {
        return Jws::parse(token, limits).map(Parsed::Signed);
    }
    // The whole token first: each JWE part has its own limit, the sum must not exceed the
    // limit a signed token has.
    if token.len() > limits.max_token_bytes {
        return Err(Rejection::TooLong { limit: limits.max_token_bytes });
    }
    if memchr::memchr_iter(b'.', token).count() == 2 {
        return Err(Rejection::WrongType { got: TokenType::Signed, expected: token_type });
    }
    let jwe = Jwe::parse(token, &JweLimits::from_token_limits(limits)).map_err(Rejection::Jwe)?;
    match (token_type, jwe.is_nested()) {
        (TokenType::Nested, false) => {
            Err(Rejection::WrongType { got: TokenType::Encrypted, expected: token_type })
        }
        (TokenType::Encrypted, true) => {
            Err(Rejection::WrongType { got: TokenType::Nested, expected: token_type })
        }
        _ => Ok(Parsed::Encrypted(jwe)),
    }
}

/// A token that is authentic: its signature verified, or it was decrypted (and for a nested
/// token the enclosed signature verified). Its times are still to be checked.
pub struct Verified<'t>(Authentic<'t>);

enum Authentic<'t> {
    Signed(Jws<'t>),
    /// The fields are owned: the plaintext they come from lives only during validation.
    Decrypted(TokenFields),
}

impl Verified<'_> {
    /// The header and claims, owned, for the variables. For an encrypted token the header is
    /// the JWE header; for a nested one it is the header of the enclosed JWS, whose compact
    /// form is then what `$jwt_payload` shows.
    #[must_use]
    pub fn into_fields(self) -> TokenFields {
        match self.0 {
            Authentic::Signed(jws) => jws.into_fields(),
            Authentic::Decrypted(fields) => fields,
        }
    }
}

/// The times, for the cache to check on every hit.
impl crate::cache::Authentic for Verified<'_> {
    fn time_bounds(&self) -> Result<TimeBounds, Rejection> {
        match &self.0 {
            Authentic::Signed(jws) => jws.time_bounds(),
            Authentic::Decrypted(fields) => fields.time_bounds(),
        }
    }
}

/// The check of a token's times (`exp`, `nbf`) that `authenticate` runs on its claims.
pub(crate) type TimeCheck<'a> = &'a dyn Fn(TimeBounds) -> Result<(), Rejection>;

/// Checks that `parsed` is authentic with the union of `sets` (`None`: no key directive
/// applies; a signed token is then not verified, an encrypted one cannot be decrypted), and
/// its times with `times`.
///
/// The times are checked as soon as the claims can be read and before any signature is
/// verified, so that an expired or not yet valid token costs no public-key operation: for a
/// signed token right after parsing, for a nested one once decrypted (before the enclosed
/// signature), for an encrypted one once decrypted.
pub(crate) fn authenticate<'t>(
    parsed: Parsed<'t>,
    sets: Option<&[&KeySet]>,
    limits: &Limits,
    times: TimeCheck,
) -> Result<Verified<'t>, Rejection> {
    match parsed {
        Parsed::Signed(jws) => {
            times(jws.time_bounds()?)?;
            verify_jws(&jws, sets)?;
            Ok(Verified(Authentic::Signed(jws)))
        }
        Parsed::Encrypted(jwe) => {
            let Some(sets) = sets else {
                return Err(Rejection::Jwe(no_key(&jwe)));
            };
            let plaintext = decrypt_any(&jwe, sets)?;
            let fields = if plaintext.is_nested() {
                enclosed_jws(plaintext, sets, limits, times)?
            } else {
                let (claims, bounds) = checked_claims(plaintext.into_bytes(), limits)?;
                times(bounds.clone()?)?;
                TokenFields::from_checked(jwe.into_header(), claims, bounds, None)
            };
            Ok(Verified(Authentic::Decrypted(fields)))
        }
    }
}

fn verify_jws(jws: &Jws<'_>, sets: Option<&[&KeySet]>) -> Result<(), Rejection> {
    match sets {
        None => verify_signature(jws, None),
        Some([set]) => verify_signature(jws, Some(set)),
        Some(sets) => verify_signature_any(jws, sets),
    }
}

/// Decrypts with the first key set that has a key opening the token. When some set had a
/// candidate key but none opened it the answer is `decrypt_failed`, whatever else happened.
fn decrypt_any(jwe: &Jwe<'_>, sets: &[&KeySet]) -> Result<Plaintext, Rejection> {
    let mut failed = false;
    for set in sets {
        match jwe::decrypt(jwe, set.decryption_keys()) {
            Ok(plaintext) => return Ok(plaintext),
            Err(JweError::NoKey { .. }) => {}
            Err(_) => failed = true,
        }
    }
    Err(Rejection::Jwe(if failed { JweError::DecryptFailed } else { no_key(jwe) }))
}

fn no_key(jwe: &Jwe<'_>) -> JweError {
    JweError::NoKey { kid: jwe.kid().map(escape), alg: jwe.algorithm() }
}

/// The fields of the JWS a nested token encloses, verified exactly as a signed token is.
fn enclosed_jws(
    plaintext: Plaintext,
    sets: &[&KeySet],
    limits: &Limits,
    times: TimeCheck,
) -> Result<TokenFields, Rejection> {
    let jws = Jws::parse(plaintext.bytes(), limits)?;
    times(jws.time_bounds()?)?;
    verify_jws(&jws, Some(sets))?;
    let fields = jws.into_fields();
    // A JWS that parsed is base64url and dots, so ASCII: the lossy branch is never taken.
    let compact = String::from_utf8(plaintext.into_bytes())
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Ok(fields.with_enclosed_token(compact))
}
