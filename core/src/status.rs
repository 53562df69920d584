//! The values of `$jwt_status`: what `auth_jwt` concluded about the request, one stable word
//! per outcome, for logs and `error_page` logic. The variable is empty where `auth_jwt` did not
//! run.
//!
//! The six token rejections are [`crate::Rejection::kind`]; the others are decided by the
//! nginx module.

/// The token was valid and every `auth_jwt_require` value passed.
pub const OK: &str = "ok";
/// No token: no `Authorization: Bearer`, or the `token=` variable was empty.
pub const MISSING: &str = "missing";
/// The token is not a well-formed signed JWT (see [`crate::Rejection::kind`]).
pub const MALFORMED: &str = "malformed";
/// The `alg` of the token is unknown, `none`, or not supported.
pub const UNSUPPORTED_ALG: &str = "unsupported_alg";
/// No configured key fits the token's `alg` and `kid`.
pub const NO_KEY: &str = "no_key";
/// The signature does not verify with any candidate key.
pub const BAD_SIGNATURE: &str = "bad_signature";
/// `exp` has passed (leeway included).
pub const EXPIRED: &str = "expired";
/// `nbf` is still in the future (leeway included).
pub const NOT_YET_VALID: &str = "not_yet_valid";
/// The token was valid but an `auth_jwt_require` value was empty or `0`.
pub const REQUIRE_FAILED: &str = "require_failed";
/// The keys of the location could not be loaded (the request got 500).
pub const KEY_ERROR: &str = "key_error";

/// Every value, in documentation order.
pub const ALL: [&str; 10] = [
    OK,
    MISSING,
    MALFORMED,
    UNSUPPORTED_ALG,
    BAD_SIGNATURE,
    NO_KEY,
    EXPIRED,
    NOT_YET_VALID,
    REQUIRE_FAILED,
    KEY_ERROR,
];

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
        ];
        for r in rejections {
            assert!(ALL.contains(&r.kind()), "{r:?}");
        }
        assert_eq!(Rejection::UnsupportedAlg { alg: String::new() }.kind(), UNSUPPORTED_ALG);
        assert_eq!(Rejection::BadSignature.kind(), BAD_SIGNATURE);
        assert_eq!(Rejection::NoKey { kid: None, alg: Algorithm::ES256 }.kind(), NO_KEY);
        assert_eq!(Rejection::Expired { ago: 0 }.kind(), EXPIRED);
        assert_eq!(Rejection::NotYetValid { wait: 0 }.kind(), NOT_YET_VALID);
        assert_eq!(Rejection::PartCount.kind(), MALFORMED);
    }

    #[test]
    fn values_are_distinct_lower_case_words() {
        for (i, a) in ALL.iter().enumerate() {
            assert!(a.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{a}");
            assert!(!ALL[i + 1..].contains(a), "{a}");
        }
    }
}
