//! Why an encrypted token was refused ([`JweError`]) and why a decryption key set could not be
//! loaded ([`DecryptionKeyError`]).
//!
//! Every message is one lower-case line for the nginx error log. Token and key bytes never
//! appear; header strings an attacker chose go through [`escape`] first.
//!
//! Every failure that depends on a secret (wrong key, bad tag, bad padding, a key wrap
//! integrity failure, an RSA-OAEP decoding failure) is the single variant
//! [`JweError::DecryptFailed`] with a single message: telling them apart would hand an
//! attacker a decryption oracle.

use std::fmt;

use crate::error::escape;

use super::algorithms::KeyAlgorithm;

/// The five parts of a compact JWE (RFC 7516 §7.1), named in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwePart {
    Header,
    EncryptedKey,
    Iv,
    Ciphertext,
    Tag,
}

impl fmt::Display for JwePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JwePart::Header => "header",
            JwePart::EncryptedKey => "encrypted key",
            JwePart::Iv => "initialization vector",
            JwePart::Ciphertext => "ciphertext",
            JwePart::Tag => "authentication tag",
        })
    }
}

/// Why an encrypted token was refused. [`JweError::kind`] maps each variant to a stable word
/// for `$jwt_status`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JweError {
    #[error("token does not consist of five dot-separated parts")]
    PartCount,

    #[error("{part} is longer than {limit} characters")]
    TooLong { part: JwePart, limit: usize },

    #[error("{0} is empty")]
    EmptyPart(JwePart),

    #[error("{part} is not valid base64url: {reason}")]
    Base64 { part: JwePart, reason: &'static str },

    /// serde_json's message (a fixed phrase plus line and column), never the input.
    #[error("header is not valid JSON: {0}")]
    Json(String),

    #[error("header is not a JSON object")]
    NotObject,

    #[error("header has duplicate member names")]
    DuplicateMember,

    #[error("header is nested deeper than {0} levels")]
    TooDeep(usize),

    #[error("header has no \"{0}\"")]
    Missing(&'static str),

    #[error("header \"{member}\" is not {expected}")]
    WrongType { member: &'static str, expected: &'static str },

    /// `alg` is already escaped.
    #[error("unsupported key management algorithm {0}")]
    UnsupportedAlg(String),

    /// `enc` is already escaped.
    #[error("unsupported content encryption algorithm {0}")]
    UnsupportedEnc(String),

    #[error("key management algorithm \"RSA1_5\" is refused (PKCS #1 v1.5 padding oracle)")]
    Rsa15,

    #[error("compressed tokens (\"zip\") are refused")]
    Zip,

    /// We implement no JWE extensions, so any `crit` is refused (RFC 7516 §4.1.13).
    #[error("unsupported critical header parameters")]
    Crit,

    #[error("{part} is {got} bytes, {alg} needs {expected}")]
    Length { part: &'static str, got: usize, expected: usize, alg: &'static str },

    #[error("encrypted key must be empty for {0}")]
    UnexpectedEncryptedKey(KeyAlgorithm),

    #[error("ciphertext is not a whole number of AES blocks")]
    CiphertextBlocks,

    #[error("header \"p2c\" is {got}, at most {limit} allowed")]
    Pbes2CountTooHigh { got: u64, limit: u32 },

    #[error("header \"p2c\" must be at least 1")]
    Pbes2CountZero,

    #[error("header \"p2s\" is {0} bytes, at least 8 required")]
    Pbes2SaltTooShort(usize),

    #[error("header \"{member}\" is {got} bytes, at most {limit} allowed")]
    MemberTooLong { member: &'static str, got: usize, limit: usize },

    /// `detail` is a fixed phrase, possibly with an escaped `kty`/`crv`.
    #[error("header \"epk\" {0}")]
    BadEphemeralKey(String),

    /// `kid` is already escaped.
    #[error("no decryption key{} for {alg}", kid_phrase(.kid.as_deref()))]
    NoKey { kid: Option<String>, alg: KeyAlgorithm },

    /// The one outcome of every secret-dependent failure (see the module documentation).
    #[error("decryption failed")]
    DecryptFailed,
}

fn kid_phrase(kid: Option<&str>) -> String {
    kid.map(|kid| format!(" with kid {kid}")).unwrap_or_default()
}

impl JweError {
    /// One of `malformed`, `unsupported_alg`, `no_key`, `decrypt_failed`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            JweError::UnsupportedAlg(_)
            | JweError::UnsupportedEnc(_)
            | JweError::Rsa15
            | JweError::Zip => "unsupported_alg",
            JweError::NoKey { .. } => "no_key",
            JweError::DecryptFailed => "decrypt_failed",
            JweError::PartCount
            | JweError::TooLong { .. }
            | JweError::EmptyPart(_)
            | JweError::Base64 { .. }
            | JweError::Json(_)
            | JweError::NotObject
            | JweError::DuplicateMember
            | JweError::TooDeep(_)
            | JweError::Missing(_)
            | JweError::WrongType { .. }
            | JweError::Crit
            | JweError::Length { .. }
            | JweError::UnexpectedEncryptedKey(_)
            | JweError::CiphertextBlocks
            | JweError::Pbes2CountTooHigh { .. }
            | JweError::Pbes2CountZero
            | JweError::Pbes2SaltTooShort(_)
            | JweError::MemberTooLong { .. }
            | JweError::BadEphemeralKey(_) => "malformed",
        }
    }

    pub(crate) fn unsupported_alg(name: &str) -> JweError {
        JweError::UnsupportedAlg(escape(name))
    }

    pub(crate) fn unsupported_enc(name: &str) -> JweError {
        JweError::UnsupportedEnc(escape(name))
    }
}

/// A decryption key that is broken for the use it claims, which fails its whole key file.
/// Like the signing key errors, it may name members and `kid`s (escaped), never key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key {index}{}: {problem}", crate::jwk_set::kid_suffix(.kid.as_deref()))]
pub struct DecryptionKeyError {
    /// From 1, in file order.
    pub index: usize,
    /// Already escaped.
    pub kid: Option<String>,
    pub problem: DecryptionKeyProblem,
}

/// What is wrong with one decryption JWK.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecryptionKeyProblem {
    #[error("not a JSON object")]
    NotObject,

    #[error("member \"{0}\" is missing")]
    Missing(&'static str),

    #[error("member \"{member}\" is not {expected}")]
    WrongType { member: &'static str, expected: &'static str },

    #[error("member \"{0}\" is not valid base64url")]
    Base64(&'static str),

    #[error("member \"{member}\" is {got} bytes, expected {expected}")]
    Length { member: &'static str, got: usize, expected: usize },

    #[error("oct key is empty")]
    OctEmpty,

    #[error("oct key is {len} bytes, {alg} needs {expected}")]
    OctLength { len: usize, expected: usize, alg: KeyAlgorithm },

    #[error("oct key is {0} bytes, not a content encryption key length (16, 24, 32, 48, 64)")]
    DirLength(usize),

    #[error("RSA private key needs members \"p\", \"q\", \"dp\", \"dq\" and \"qi\"")]
    RsaMissingPrimes,

    #[error("RSA modulus is {0} bits, at least 2048 required")]
    RsaTooSmall(u32),

    #[error("RSA modulus is {0} bits, at most 8192 supported for decryption")]
    RsaTooLarge(u32),

    /// The private members do not form a consistent key (OpenSSL's `RSA_check_key`).
    #[error("RSA private key is inconsistent")]
    RsaInconsistent,

    #[error("private key \"d\" is invalid for {0}")]
    InvalidPrivate(&'static str),

    #[error("public members do not match the private key")]
    PublicMismatch,

    /// Already escaped.
    #[error("unknown algorithm {0}")]
    UnknownAlg(String),

    #[error("algorithm {alg} cannot be used with {key}")]
    AlgMismatch { alg: KeyAlgorithm, key: &'static str },

    /// A library failure none of the checks above anticipated; the text is the library's.
    #[error("cannot build key: {0}")]
    Crypto(String),
}
