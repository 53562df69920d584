//! Error types: why a token was refused ([`Rejection`]) and why a key set could not be loaded
//! ([`KeySetError`]).
//!
//! Every message is one lower-case line meant for the nginx error log. A token is
//! attacker-controlled, so no message ever contains token or signature bytes; the few header
//! values that are worth logging (`kid`, `alg`) go through [`escape`] first.

use std::fmt::{self, Write as _};

use crate::algorithm::Algorithm;
use crate::status::JwtStatus;

/// Longest prefix of an attacker-supplied string (`kid`, `alg`) that is copied into a message.
const MAX_ESCAPED_BYTES: usize = 64;

/// Longest file name copied into a message (Linux's `PATH_MAX`).
const MAX_ESCAPED_NAME_BYTES: usize = 4096;

/// Renders an untrusted string for a log line: at most 64 bytes of it, quoted, with `"` and `\`
/// backslash-escaped and every byte outside printable ASCII written as `\xNN`, so a crafted
/// `kid` can neither forge log lines nor flood the log.
pub(crate) fn escape(s: &str) -> String {
    escape_bytes(s.as_bytes(), MAX_ESCAPED_BYTES)
}

/// [`escape`] for a file name, which may come from the request (a key file name built from
/// variables) and need not be UTF-8: quoted and escaped the same way, cut only at 4096 bytes.
#[must_use]
pub fn escape_name(name: &[u8]) -> String {
    escape_bytes(name, MAX_ESCAPED_NAME_BYTES)
}

fn escape_bytes(bytes: &[u8], limit: usize) -> String {
    let shown = bytes.get(..limit).unwrap_or(bytes);
    let mut out = String::with_capacity(shown.len() + 5);
    out.push('"');
    for &b in shown {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    if shown.len() < bytes.len() {
        out.push_str("...");
    }
    out
}

/// The three parts of a compact JWS, named in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Header,
    Payload,
    Signature,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        })
    }
}

/// Why a token was refused.
///
/// [`Rejection::status`] groups the variants into the `$jwt_status` outcomes of a token; the
/// `Display` text is the detailed reason for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    #[error("token is longer than {limit} bytes")]
    TooLong { limit: usize },

    /// A token of the JWE shape (five parts) where a JWS is expected.
    #[error("encrypted token where auth_jwt_type is signed")]
    Encrypted,

    #[error("token does not consist of three dot-separated parts")]
    PartCount,

    #[error("{0} is empty")]
    EmptyPart(Part),

    #[error("{part} is not valid base64url: {reason}")]
    Base64 { part: Part, reason: &'static str },

    /// `detail` is serde_json's syntax message (a fixed phrase plus line and column), which
    /// never quotes the input.
    #[error("{part} is not valid JSON: {detail}")]
    Json { part: Part, detail: String },

    #[error("{0} is not a JSON object")]
    NotObject(Part),

    #[error("{0} has duplicate member names")]
    DuplicateMember(Part),

    #[error("{part} is nested deeper than {limit} levels")]
    TooDeep { part: Part, limit: usize },

    #[error("header has no \"alg\"")]
    MissingAlg,

    #[error("header \"alg\" is not a string")]
    AlgNotString,

    /// `alg: none` in any spelling; `alg` is already escaped for the log.
    #[error("alg {alg} is not allowed")]
    AlgNone { alg: String },

    /// `alg` is already escaped for the log (quoted, at most 64 bytes, `\xNN`).
    #[error("unsupported algorithm {alg}")]
    UnsupportedAlg { alg: String },

    /// We implement no JWS extensions (RFC 7515 §4.1.11), so any `crit` is refused.
    #[error("unsupported critical header parameters")]
    Crit,

    #[error("header \"kid\" is not a string")]
    KidNotString,

    #[error("claim \"{0}\" is not a number")]
    ClaimNotNumber(&'static str),

    #[error("claim \"{0}\" is out of range")]
    ClaimOutOfRange(&'static str),

    /// `kid` is already escaped for the log (quoted, at most 64 bytes, `\xNN`).
    #[error("no key{} for {alg}", kid_phrase(.kid.as_deref()))]
    NoKey { kid: Option<String>, alg: Algorithm },

    #[error("signature does not verify")]
    BadSignature,

    #[error("token expired {ago} s ago")]
    Expired { ago: u64 },

    #[error("token is not valid yet, becomes valid in {wait} s")]
    NotYetValid { wait: u64 },

    /// An encrypted token (JWE) was refused; its own message says why.
    #[error("{0}")]
    Jwe(crate::jwe::JweError),

    /// The token is not of the kind `auth_jwt_type` asks for.
    #[error("{got} token where auth_jwt_type is {expected}")]
    WrongType { got: crate::TokenType, expected: crate::TokenType },
}

fn kid_phrase(kid: Option<&str>) -> String {
    match kid {
        Some(kid) => format!(" with kid {kid}"),
        None => String::new(),
    }
}

impl Rejection {
    /// Whether the token names a key (`kid`) that no key set has: a JWS without a key for
    /// its signature, or a JWE without a key to decrypt it. Keys fetched from an identity
    /// provider may then be fetched again (it may have rotated).
    #[must_use]
    pub fn is_no_key(&self) -> bool {
        matches!(self, Rejection::NoKey { .. } | Rejection::Jwe(crate::jwe::JweError::NoKey { .. }))
    }

    /// The `$jwt_status` outcome of this rejection: one of `malformed`, `unsupported_alg`,
    /// `no_key`, `bad_signature`, `expired`, `not_yet_valid`, `decrypt_failed`, `wrong_type`.
    #[must_use]
    pub fn status(&self) -> JwtStatus {
        match self {
            Rejection::UnsupportedAlg { .. } | Rejection::AlgNone { .. } => {
                JwtStatus::UnsupportedAlg
            }
            Rejection::NoKey { .. } => JwtStatus::NoKey,
            Rejection::BadSignature => JwtStatus::BadSignature,
            Rejection::Expired { .. } => JwtStatus::Expired,
            Rejection::NotYetValid { .. } => JwtStatus::NotYetValid,
            Rejection::Encrypted | Rejection::WrongType { .. } => JwtStatus::WrongType,
            Rejection::Jwe(error) => JwtStatus::of_jwe(error),
            Rejection::TooLong { .. }
            | Rejection::PartCount
            | Rejection::EmptyPart(_)
            | Rejection::Base64 { .. }
            | Rejection::Json { .. }
            | Rejection::NotObject(_)
            | Rejection::DuplicateMember(_)
            | Rejection::TooDeep { .. }
            | Rejection::MissingAlg
            | Rejection::AlgNotString
            | Rejection::Crit
            | Rejection::KidNotString
            | Rejection::ClaimNotNumber(_)
            | Rejection::ClaimOutOfRange(_) => JwtStatus::Malformed,
        }
    }

    /// [`Rejection::status`] as its `$jwt_status` word.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        self.status().as_str()
    }
}

/// Why a JWK Set could not be loaded. A key set is configuration, so unlike [`Rejection`]
/// these messages may name members and `kid`s freely (still escaped, since a JWKS may come
/// from a remote IdP), but never print key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeySetError {
    #[error("JWK set is {size} bytes, at most {limit} allowed")]
    TooLarge { size: usize, limit: usize },

    #[error("JWK set is not valid JSON: {0}")]
    Json(String),

    #[error("JWK set is not a JSON object")]
    NotObject,

    #[error("JWK set has duplicate member names")]
    DuplicateMember,

    #[error("JWK set is nested deeper than {0} levels")]
    TooDeep(usize),

    #[error("JSON object is neither a JWK set (no \"keys\") nor a JWK (no \"kty\")")]
    NotJwk,

    #[error("JWK set member \"keys\" is not an array")]
    KeysNotArray,

    /// The wording NGINX Plus logs for the same condition.
    #[error("empty JWK set")]
    Empty,

    #[error("no usable keys: all {0} skipped")]
    NoUsableKeys(usize),

    /// A key meant for decryption (JWE) is broken; the message names it.
    #[error("{0}")]
    Decryption(crate::jwe::DecryptionKeyError),

    /// `index` counts from 1 in file order; `kid` is already escaped.
    #[error("key {index}{}: {problem}", crate::jwk_set::kid_suffix(.kid.as_deref()))]
    Key { index: usize, kid: Option<String>, problem: KeyProblem },
}

/// What is wrong with one JWK in a set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyProblem {
    #[error("not a JSON object")]
    NotObject,

    #[error("member \"{0}\" is missing")]
    Missing(&'static str),

    #[error("member \"{member}\" is not {expected}")]
    WrongType { member: &'static str, expected: &'static str },

    #[error("member \"{0}\" is not valid base64url")]
    Base64(&'static str),

    #[error("member \"{member}\" is {got} bytes, expected {expected} for {crv}")]
    Length { member: &'static str, got: usize, expected: usize, crv: &'static str },

    #[error("oct key is empty")]
    OctEmpty,

    #[error("RSA modulus is {0} bits, at least 2048 required")]
    RsaTooSmall(u32),

    #[error("RSA modulus is {0} bits, at most 16384 supported")]
    RsaTooLarge(u32),

    #[error("RSA modulus is even")]
    RsaModulusEven,

    #[error("RSA public exponent is invalid")]
    RsaExponent,

    #[error("EC point is not on the curve {0}")]
    NotOnCurve(&'static str),

    #[error("{crv} public key is invalid")]
    InvalidOkp { crv: &'static str },

    #[error("{crv} public key is a point of small order")]
    SmallOrder { crv: &'static str },

    #[error("algorithm {alg} cannot be used with {key}")]
    AlgMismatch { alg: Algorithm, key: &'static str },

    /// An OpenSSL failure that none of the checks above anticipated; the text is OpenSSL's.
    #[error("cannot build key: {0}")]
    Crypto(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_quotes_and_non_printables() {
        assert_eq!(escape("abc"), "\"abc\"");
        assert_eq!(escape("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(escape("a\nb\u{7f}"), "\"a\\x0ab\\x7f\"");
        assert_eq!(escape("é"), "\"\\xc3\\xa9\"");
    }

    #[test]
    fn escape_truncates_to_64_bytes() {
        let long = "k".repeat(100);
        let shown = escape(&long);
        assert_eq!(shown, format!("\"{}\"...", "k".repeat(64)));
        // Exactly 64 bytes is not truncated.
        assert_eq!(escape(&"k".repeat(64)), format!("\"{}\"", "k".repeat(64)));
    }

    #[test]
    fn no_key_messages() {
        let r = Rejection::NoKey { kid: Some(escape("abc")), alg: Algorithm::ES256 };
        assert_eq!(r.to_string(), "no key with kid \"abc\" for ES256");
        assert_eq!(r.kind(), "no_key");
        let r = Rejection::NoKey { kid: None, alg: Algorithm::HS256 };
        assert_eq!(r.to_string(), "no key for HS256");
    }

    #[test]
    fn no_key_of_a_jws_or_a_jwe() {
        assert!(Rejection::NoKey { kid: None, alg: Algorithm::RS256 }.is_no_key());
        let jwe = crate::jwe::JweError::NoKey {
            kid: Some(escape("enc-b")),
            alg: crate::jwe::KeyAlgorithm::Dir,
        };
        assert!(Rejection::Jwe(jwe).is_no_key());
        assert!(!Rejection::BadSignature.is_no_key());
        assert!(!Rejection::Jwe(crate::jwe::JweError::DecryptFailed).is_no_key());
    }

    #[test]
    fn key_error_message() {
        let e = KeySetError::Key {
            index: 2,
            kid: Some(escape("x")),
            problem: KeyProblem::RsaTooSmall(1024),
        };
        assert_eq!(
            e.to_string(),
            "key 2 (kid \"x\"): RSA modulus is 1024 bits, at least 2048 required"
        );
    }
}
