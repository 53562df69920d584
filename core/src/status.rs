//! The values of `$jwt_status`: what `auth_jwt` concluded about the request, one stable word
//! per outcome, for logs and `error_page` logic. The variable is empty where `auth_jwt` did not
//! run.
//!
//! This is the one list of those words: [`crate::Rejection::status`] maps every token
//! rejection onto it, and the nginx module decides the others.

use std::fmt;

/// One outcome of `auth_jwt` for a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JwtStatus {
    /// The token was valid and every `auth_jwt_require` value passed.
    Ok,
    /// No token: no `Authorization: Bearer`, or the `token=` variable was empty.
    Missing,
    /// The token is not a well-formed signed JWT.
    Malformed,
    /// The `alg` of the token is unknown, `none`, or not supported.
    UnsupportedAlg,
    /// The signature does not verify with any candidate key.
    BadSignature,
    /// No configured key fits the token's `alg` and `kid`.
    NoKey,
    /// `exp` has passed (leeway included).
    Expired,
    /// `nbf` is still in the future (leeway included).
    NotYetValid,
    /// The token was valid but an `auth_jwt_require` value was empty or `0`.
    RequireFailed,
    /// The keys of the location could not be loaded (the request got 500).
    KeyError,
    /// The keys of an `auth_jwt_key_request` could not be fetched (the request got 500).
    KeyFetchError,
    /// An encrypted token could not be decrypted: the one outcome of every key-dependent
    /// decryption failure (wrong key, bad tag, bad padding, failed key unwrap).
    DecryptFailed,
    /// The token is not of the kind `auth_jwt_type` asks for (signed, encrypted, nested).
    WrongType,
}

impl JwtStatus {
    /// Every value, in documentation order.
    pub const ALL: [JwtStatus; 13] = [
        JwtStatus::Ok,
        JwtStatus::Missing,
        JwtStatus::Malformed,
        JwtStatus::UnsupportedAlg,
        JwtStatus::BadSignature,
        JwtStatus::NoKey,
        JwtStatus::Expired,
        JwtStatus::NotYetValid,
        JwtStatus::RequireFailed,
        JwtStatus::KeyError,
        JwtStatus::KeyFetchError,
        JwtStatus::DecryptFailed,
        JwtStatus::WrongType,
    ];

    /// The word `$jwt_status` shows.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            JwtStatus::Ok => "ok",
            JwtStatus::Missing => "missing",
            JwtStatus::Malformed => "malformed",
            JwtStatus::UnsupportedAlg => "unsupported_alg",
            JwtStatus::BadSignature => "bad_signature",
            JwtStatus::NoKey => "no_key",
            JwtStatus::Expired => "expired",
            JwtStatus::NotYetValid => "not_yet_valid",
            JwtStatus::RequireFailed => "require_failed",
            JwtStatus::KeyError => "key_error",
            JwtStatus::KeyFetchError => "key_fetch_error",
            JwtStatus::DecryptFailed => "decrypt_failed",
            JwtStatus::WrongType => "wrong_type",
        }
    }

    /// The status of a refused encrypted token: the word its error kind names.
    pub(crate) fn of_jwe(error: &crate::jwe::JweError) -> JwtStatus {
        let kind = error.kind();
        JwtStatus::ALL.into_iter().find(|s| s.as_str() == kind).unwrap_or(JwtStatus::Malformed)
    }
}

impl fmt::Display for JwtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, Part, Rejection};

    #[test]
    fn every_rejection_kind_is_a_status() {
        let rejections = [
            Rejection::TooLong { limit: 1 },
            Rejection::Encrypted,
            Rejection::PartCount,
            Rejection::EmptyPart(Part::Header),
            Rejection::NotObject(Part::Payload),
            Rejection::MissingAlg,
            Rejection::UnsupportedAlg { alg: "\"none\"".into() },
            Rejection::Crit,
            Rejection::ClaimNotNumber("exp"),
            Rejection::NoKey { kid: None, alg: Algorithm::HS256 },
            Rejection::BadSignature,
            Rejection::Expired { ago: 1 },
            Rejection::NotYetValid { wait: 1 },
            Rejection::Jwe(crate::jwe::JweError::DecryptFailed),
            Rejection::Jwe(crate::jwe::JweError::Zip),
            Rejection::Jwe(crate::jwe::JweError::PartCount),
            Rejection::WrongType {
                got: crate::TokenType::Signed,
                expected: crate::TokenType::Nested,
            },
        ];
        for r in rejections {
            assert!(JwtStatus::ALL.contains(&r.status()), "{r:?}");
            assert_eq!(r.kind(), r.status().as_str());
        }
        let status = |r: Rejection| r.status();
        assert_eq!(
            status(Rejection::UnsupportedAlg { alg: String::new() }),
            JwtStatus::UnsupportedAlg
        );
        assert_eq!(status(Rejection::BadSignature), JwtStatus::BadSignature);
        assert_eq!(status(Rejection::NoKey { kid: None, alg: Algorithm::ES256 }), JwtStatus::NoKey);
        assert_eq!(status(Rejection::Expired { ago: 0 }), JwtStatus::Expired);
        assert_eq!(status(Rejection::NotYetValid { wait: 0 }), JwtStatus::NotYetValid);
        assert_eq!(status(Rejection::PartCount), JwtStatus::Malformed);
        assert_eq!(status(Rejection::Encrypted), JwtStatus::WrongType);
        let decrypt_failed = Rejection::Jwe(crate::jwe::JweError::DecryptFailed);
        assert_eq!(status(decrypt_failed), JwtStatus::DecryptFailed);
    }

    #[test]
    fn values_are_distinct_lower_case_words() {
        for (i, a) in JwtStatus::ALL.iter().enumerate() {
            let word = a.as_str();
            assert!(word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{word}");
            assert!(!JwtStatus::ALL[i + 1..].contains(a), "{word}");
        }
    }
}
