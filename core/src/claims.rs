//! Time claims: `exp` and `nbf` (RFC 7519 §4.1.4, §4.1.5), the only claims NGINX Plus checks by
//! itself.

use serde_json::{Map, Number, Value};

use crate::error::Rejection;
use crate::json::Member;

/// 2^53: the largest integer every JSON implementation represents exactly. Larger "times" are
/// not times (2^53 seconds is 285 million years) and are refused rather than guessed at.
const MAX_TIMESTAMP: i64 = 1 << 53;

/// Checks `exp` and `nbf` against `now` (unix seconds), allowing `leeway_secs` of clock skew
/// either way. Missing claims are accepted; present ones must be non-negative JSON numbers.
///
/// Expired when `now >= exp + leeway` (RFC 7519: "on or after" the expiration time); not yet
/// valid when `now + leeway < nbf`. Fractional times are rounded toward rejection: `exp` down,
/// `nbf` up.
pub fn check_time(
    claims: &Map<String, Value>,
    now: i64,
    leeway_secs: u64,
) -> Result<(), Rejection> {
    TimeBounds::from_claims(claims)?.check(now, leeway_secs)
}

/// The `exp` and `nbf` of a token, read once: [`check_time`] in two steps, so that a cached
/// token (see [`crate::VerifiedCache`]) is checked against the clock on every request without
/// parsing its claims again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeBounds {
    /// Whole seconds, `exp` rounded down and `nbf` up; at most 2^53, so `i64` holds them.
    exp: Option<i64>,
    nbf: Option<i64>,
}

impl TimeBounds {
    /// Reads and type-checks both claims (before either is compared, so a malformed token is
    /// always reported as malformed, whatever the clock says).
    pub fn from_claims(claims: &Map<String, Value>) -> Result<TimeBounds, Rejection> {
        let claimed = |name| match claims.get(name) {
            None => Claimed::Absent,
            Some(Value::Number(n)) => Claimed::Number(n),
            Some(_) => Claimed::NotNumber,
        };
        TimeBounds::from_claimed(claimed("exp"), claimed("nbf"))
    }

    /// [`TimeBounds::from_claims`] from the `exp` and `nbf` members found by a scan of the
    /// claims (`json::scan_object`).
    pub(crate) fn from_members(
        exp: Option<&Member<'_>>,
        nbf: Option<&Member<'_>>,
    ) -> Result<TimeBounds, Rejection> {
        TimeBounds::from_claimed(Claimed::of_member(exp), Claimed::of_member(nbf))
    }

    fn from_claimed(exp: Claimed<'_>, nbf: Claimed<'_>) -> Result<TimeBounds, Rejection> {
        let exp = timestamp(exp, "exp", f64::floor)?;
        let nbf = timestamp(nbf, "nbf", f64::ceil)?;
        Ok(TimeBounds { exp, nbf })
    }

    /// Checks the bounds against `now` (unix seconds) with `leeway_secs` of skew either way.
    pub fn check(&self, now: i64, leeway_secs: u64) -> Result<(), Rejection> {
        // i128 cannot overflow here: every operand is below 2^64.
        let now = i128::from(now);
        let leeway = i128::from(leeway_secs);
        if let Some(exp) = self.exp.map(i128::from) {
            if now >= exp + leeway {
                let ago = u64::try_from(now - exp).unwrap_or(u64::MAX);
                return Err(Rejection::Expired { ago });
            }
        }
        if let Some(nbf) = self.nbf.map(i128::from) {
            if now + leeway < nbf {
                let wait = u64::try_from(nbf - now).unwrap_or(u64::MAX);
                return Err(Rejection::NotYetValid { wait });
            }
        }
        Ok(())
    }
}

/// What a token says of one time claim.
#[derive(Clone, Copy)]
enum Claimed<'a> {
    Absent,
    Number(&'a Number),
    NotNumber,
}

impl<'a> Claimed<'a> {
    fn of_member(member: Option<&'a Member<'_>>) -> Claimed<'a> {
        match member {
            None => Claimed::Absent,
            Some(Member::Number(n)) => Claimed::Number(n),
            Some(_) => Claimed::NotNumber,
        }
    }
}

/// A NumericDate claim as whole seconds, `round` deciding the direction for fractions.
fn timestamp(
    claimed: Claimed<'_>,
    name: &'static str,
    round: fn(f64) -> f64,
) -> Result<Option<i64>, Rejection> {
    let n = match claimed {
        Claimed::Absent => return Ok(None),
        Claimed::Number(n) => n,
        Claimed::NotNumber => return Err(Rejection::ClaimNotNumber(name)),
    };
    let out_of_range = Rejection::ClaimOutOfRange(name);
    if let Some(secs) = n.as_u64() {
        return match i64::try_from(secs) {
            Ok(secs) if secs <= MAX_TIMESTAMP => Ok(Some(secs)),
            _ => Err(out_of_range),
        };
    }
    if n.is_i64() {
        // Only negative integers are left here.
        return Err(out_of_range);
    }
    // The range is checked before rounding so that -0.5 is refused rather than rounded up to
    // 0; it also refuses NaN, since every comparison with it is false. A value in range stays
    // in range when rounded, and the cast is exact.
    match n.as_f64() {
        Some(secs) if (0.0..=MAX_TIMESTAMP as f64).contains(&secs) => Ok(Some(round(secs) as i64)),
        _ => Err(out_of_range),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    fn check(v: Value, now: i64, leeway: u64) -> Result<(), Rejection> {
        check_time(&claims(v), now, leeway)
    }

    #[test]
    fn missing_claims_are_accepted() {
        assert_eq!(check(json!({}), 1000, 0), Ok(()));
        assert_eq!(check(json!({"iat": "whatever"}), 1000, 0), Ok(()));
    }

    #[test]
    fn exp_edges() {
        assert_eq!(check(json!({"exp": 1000}), 999, 0), Ok(()));
        assert_eq!(check(json!({"exp": 1000}), 1000, 0), Err(Rejection::Expired { ago: 0 }));
        assert_eq!(check(json!({"exp": 1000}), 1035, 0), Err(Rejection::Expired { ago: 35 }));
        assert_eq!(Rejection::Expired { ago: 35 }.to_string(), "token expired 35 s ago");
    }

    #[test]
    fn exp_with_leeway() {
        assert_eq!(check(json!({"exp": 1000}), 1059, 60), Ok(()));
        assert_eq!(check(json!({"exp": 1000}), 1060, 60), Err(Rejection::Expired { ago: 60 }));
        assert_eq!(check(json!({"exp": 0}), 0, u64::MAX), Ok(()));
    }

    #[test]
    fn nbf_edges_and_leeway() {
        assert_eq!(check(json!({"nbf": 1000}), 1000, 0), Ok(()));
        assert_eq!(check(json!({"nbf": 1000}), 999, 0), Err(Rejection::NotYetValid { wait: 1 }));
        assert_eq!(check(json!({"nbf": 1000}), 940, 60), Ok(()));
        assert_eq!(check(json!({"nbf": 1000}), 939, 60), Err(Rejection::NotYetValid { wait: 61 }));
        assert_eq!(check(json!({"nbf": 1000}), i64::MIN, u64::MAX), Ok(()));
    }

    #[test]
    fn both_claims() {
        let token = json!({"nbf": 1000, "exp": 2000});
        assert_eq!(check(token.clone(), 1500, 0), Ok(()));
        assert!(matches!(check(token.clone(), 500, 0), Err(Rejection::NotYetValid { .. })));
        assert!(matches!(check(token, 2500, 0), Err(Rejection::Expired { .. })));
    }

    #[test]
    fn fractions_round_toward_rejection() {
        // exp 1000.9 counts as 1000.
        assert_eq!(check(json!({"exp": 1000.9}), 999, 0), Ok(()));
        assert!(check(json!({"exp": 1000.9}), 1000, 0).is_err());
        // nbf 1000.1 counts as 1001.
        assert!(check(json!({"nbf": 1000.1}), 1000, 0).is_err());
        assert_eq!(check(json!({"nbf": 1000.1}), 1001, 0), Ok(()));
        assert_eq!(check(json!({"exp": 1e3}), 999, 0), Ok(()));
    }

    #[test]
    fn wrong_types_are_malformed() {
        for v in [json!("1000"), json!(true), json!(null), json!([1000]), json!({"t": 1})] {
            let r = check(json!({"exp": v.clone()}), 0, 0).unwrap_err();
            assert_eq!(r, Rejection::ClaimNotNumber("exp"));
            assert_eq!(r.kind(), "malformed");
            assert_eq!(r.to_string(), "claim \"exp\" is not a number");
            let r = check(json!({"nbf": v}), 0, 0).unwrap_err();
            assert_eq!(r, Rejection::ClaimNotNumber("nbf"));
        }
    }

    #[test]
    fn out_of_range_is_malformed() {
        let big = json!(9_007_199_254_740_993u64);
        for v in [json!(-1), json!(-0.5), json!(i64::MIN), json!(u64::MAX), big, json!(1e300)] {
            let r = check(json!({"exp": v.clone()}), 0, 0).unwrap_err();
            assert_eq!(r, Rejection::ClaimOutOfRange("exp"), "{v}");
            assert_eq!(r.kind(), "malformed");
            let r = check(json!({"nbf": v.clone()}), 0, 0).unwrap_err();
            assert_eq!(r, Rejection::ClaimOutOfRange("nbf"), "{v}");
        }
        // 2^53 itself is still a time.
        assert_eq!(check(json!({"exp": 9_007_199_254_740_992u64}), 0, 0), Ok(()));
        assert_eq!(check(json!({"exp": 9_007_199_254_740_992.0}), 0, 0), Ok(()));
    }

    #[test]
    fn malformed_wins_over_expired() {
        let r = check(json!({"exp": 1, "nbf": "x"}), 1000, 0).unwrap_err();
        assert_eq!(r.kind(), "malformed");
    }
}
