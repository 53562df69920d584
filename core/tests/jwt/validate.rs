//! `validate`: the three steps together, and the time rules end to end.

use serde_json::json;

use auth_jwt_core::validate;

use crate::common::*;

const NOW: i64 = 1_700_000_000;

fn run(token: &str, leeway: u64) -> Result<(), String> {
    let set = fixtures().p256.set(json!({}));
    validate(token.as_bytes(), Some(&set), NOW, leeway, &limits())
        .map(|_| ())
        .map_err(|r| r.to_string())
}

fn es256(claims: serde_json::Value) -> String {
    token(&fixtures().p256, "ES256", json!({}), claims)
}

#[test]
fn a_valid_token_returns_its_claims() {
    let token = es256(json!({"sub": "alice", "exp": NOW + 60, "nbf": NOW - 60}));
    let set = fixtures().p256.set(json!({}));
    let jws = validate(token.as_bytes(), Some(&set), NOW, 0, &limits()).unwrap();
    assert_eq!(jws.claims()["sub"], "alice");
}

#[test]
fn expiry_and_leeway() {
    assert_eq!(run(&es256(json!({"exp": NOW + 1})), 0), Ok(()));
    assert_eq!(run(&es256(json!({"exp": NOW})), 0), Err("token expired 0 s ago".into()));
    assert_eq!(run(&es256(json!({"exp": NOW - 35})), 0), Err("token expired 35 s ago".into()));
    assert_eq!(run(&es256(json!({"exp": NOW - 35})), 36), Ok(()));
    assert_eq!(run(&es256(json!({"exp": NOW - 35})), 35), Err("token expired 35 s ago".into()));
}

#[test]
fn not_before_and_leeway() {
    assert_eq!(run(&es256(json!({"nbf": NOW})), 0), Ok(()));
    assert_eq!(
        run(&es256(json!({"nbf": NOW + 10})), 0),
        Err("token is not valid yet, becomes valid in 10 s".into())
    );
    assert_eq!(run(&es256(json!({"nbf": NOW + 10})), 10), Ok(()));
    assert!(run(&es256(json!({"nbf": NOW + 10})), 9).is_err());
}

#[test]
fn time_claim_types() {
    for claims in [json!({"exp": "2000000000"}), json!({"nbf": true}), json!({"exp": null})] {
        let r = run(&es256(claims), 0).unwrap_err();
        assert!(r.ends_with("is not a number"), "{r}");
    }
    assert_eq!(run(&es256(json!({"exp": -1})), 0), Err("claim \"exp\" is out of range".into()));
    assert_eq!(run(&es256(json!({"exp": (NOW + 10) as f64 + 0.5})), 0), Ok(()));
}

#[test]
fn times_are_checked_before_the_signature() {
    // An expired token is refused without a public-key operation, so an expired forgery
    // reports its time; the same forgery within its times reports the signature.
    let token = token(&fixtures().p256_other, "ES256", json!({}), json!({"exp": 1}));
    assert_eq!(run(&token, 0), Err(format!("token expired {} s ago", NOW - 1)));
    let token =
        crate::common::token(&fixtures().p256_other, "ES256", json!({}), json!({"exp": NOW + 60}));
    assert_eq!(run(&token, 0), Err("signature does not verify".into()));
}

#[test]
fn without_keys_times_are_still_checked() {
    let token = token(&fixtures().rsa_other, "RS256", json!({}), json!({"exp": NOW - 1}));
    let r = validate(token.as_bytes(), None, NOW, 0, &limits()).unwrap_err();
    assert_eq!(r.kind(), "expired");
    let token =
        crate::common::token(&fixtures().rsa_other, "RS256", json!({}), json!({"exp": NOW + 1}));
    assert!(validate(token.as_bytes(), None, NOW, 0, &limits()).is_ok());
}
