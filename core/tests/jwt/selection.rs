//! Which keys are tried for a token: the `kid` rules, order, and merged sets.

use serde_json::json;

use auth_jwt_core::{verify_signature, Jws, KeySet};

use crate::common::*;

fn rejection(token: &str, keys: &KeySet) -> String {
    let jws = Jws::parse(token.as_bytes(), &limits()).unwrap();
    verify_signature(&jws, Some(keys)).unwrap_err().to_string()
}

#[test]
fn kid_selects_the_key_with_that_kid() {
    let f = fixtures();
    let set = keyset(&[f.rsa_other.jwk(json!({"kid": "old"})), f.rsa.jwk(json!({"kid": "new"}))]);
    assert_eq!(verify(&token(&f.rsa, "RS256", json!({"kid": "new"}), json!({})), &set), Ok(()));
    // The right key under another kid is not tried: the kid decides.
    assert_eq!(
        verify(&token(&f.rsa, "RS256", json!({"kid": "old"}), json!({})), &set),
        Err("bad_signature".into())
    );
}

#[test]
fn unknown_kid_is_no_key_without_fallback() {
    let f = fixtures();
    // The signing key is in the set, but under another kid: it is never tried.
    let set = keyset(&[f.rsa.jwk(json!({"kid": "a"}))]);
    let token = token(&f.rsa, "RS256", json!({"kid": "b"}), json!({}));
    assert_eq!(verify(&token, &set), Err("no_key".into()));
    assert_eq!(rejection(&token, &set), "no key with kid \"b\" for RS256");
}

#[test]
fn keys_without_kid_serve_tokens_with_any_kid() {
    let f = fixtures();
    // A key without a kid carries no identity to mismatch: it is a candidate for every token
    // of its algorithm, after nothing else, in file order. Keys under other kids stay out.
    let set = keyset(&[f.rsa.jwk(json!({"kid": "a"})), f.rsa_other.jwk(json!({}))]);
    let signed_by_other = token(&f.rsa_other, "RS256", json!({"kid": "b"}), json!({}));
    assert_eq!(verify(&signed_by_other, &set), Ok(()));
    let signed_by_a_under_b = token(&f.rsa, "RS256", json!({"kid": "b"}), json!({}));
    assert_eq!(verify(&signed_by_a_under_b, &set), Err("bad_signature".into()));
}

#[test]
fn kid_matching_is_exact() {
    let f = fixtures();
    let set = f.hmac.set(json!({"kid": "Key1"}));
    for kid in ["key1", "Key1 ", " Key1", "Key", "Key12"] {
        let token = token(&f.hmac, "HS256", json!({"kid": kid}), json!({}));
        assert_eq!(verify(&token, &set), Err("no_key".into()), "{kid:?}");
    }
    let token = token(&f.hmac, "HS256", json!({"kid": "Key1"}), json!({}));
    assert_eq!(verify(&token, &set), Ok(()));
}

#[test]
fn kid_with_an_incompatible_key_is_no_key() {
    let f = fixtures();
    let set = keyset(&[f.p256.jwk(json!({"kid": "k"})), f.rsa.jwk(json!({"kid": "other"}))]);
    let token = token(&f.rsa, "RS256", json!({"kid": "k"}), json!({}));
    assert_eq!(verify(&token, &set), Err("no_key".into()));
}

#[test]
fn token_without_kid_tries_every_compatible_key_in_order() {
    let f = fixtures();
    let set = keyset(&[
        f.p256.jwk(json!({"kid": "ec"})),
        f.rsa_other.jwk(json!({"kid": "r1"})),
        f.rsa.jwk(json!({"kid": "r2"})),
    ]);
    assert_eq!(verify(&token(&f.rsa, "RS256", json!({}), json!({})), &set), Ok(()));
    assert_eq!(verify(&token(&f.p256, "ES256", json!({}), json!({})), &set), Ok(()));
    assert_eq!(
        verify(&token(&f.p256_other, "ES256", json!({}), json!({})), &set),
        Err("bad_signature".into())
    );
    // No compatible key at all.
    let token = token(&f.ed25519, "EdDSA", json!({}), json!({}));
    assert_eq!(verify(&token, &set), Err("no_key".into()));
    assert_eq!(rejection(&token, &set), "no key for EdDSA");
}

#[test]
fn duplicate_kids_are_all_candidates() {
    let f = fixtures();
    // An IdP publishing an encryption key and a signing key under one kid.
    let set = keyset(&[
        f.rsa_other.jwk(json!({"kid": "k", "use": "enc"})),
        f.rsa_other.jwk(json!({"kid": "k"})),
        f.p256.jwk(json!({"kid": "k"})),
        f.rsa.jwk(json!({"kid": "k", "use": "sig"})),
    ]);
    assert_eq!(set.len(), 3);
    assert_eq!(set.skipped().len(), 1);
    assert_eq!(verify(&token(&f.rsa, "RS256", json!({"kid": "k"}), json!({})), &set), Ok(()));
    assert_eq!(verify(&token(&f.p256, "ES256", json!({"kid": "k"}), json!({})), &set), Ok(()));
}

#[test]
fn kid_in_messages_is_escaped_and_truncated() {
    let f = fixtures();
    let set = f.hmac.set(json!({"kid": "a"}));
    let kid = format!("x\"\n\u{1b}[31m{}", "y".repeat(200));
    let token = token(&f.hmac, "HS256", json!({"kid": kid}), json!({}));
    let message = rejection(&token, &set);
    assert!(message.starts_with("no key with kid \"x\\\"\\x0a\\x1b[31myyy"), "{message}");
    assert!(message.ends_with("yyy\"... for HS256"), "{message}");
    assert!(!message.contains('\n') && !message.contains('\u{1b}'));
    assert!(message.len() < 120, "{message}");
}

#[test]
fn extended_sets_keep_every_key_in_order() {
    let f = fixtures();
    let mut set = KeySet::empty();
    assert!(set.is_empty());
    set.extend(f.rsa.set(json!({"kid": "a"})));
    set.extend(KeySet::from_json(
        json!({"keys": [f.p256.jwk(json!({"kid": "b"})), {"kty": "oct", "k": "AAAA", "use": "enc"}]})
            .to_string()
            .as_bytes(),
    )
    .unwrap());
    assert_eq!(set.len(), 2);
    // The `use: enc` key is a decryption key now, not an ignored one.
    assert_eq!(set.skipped().len(), 0);
    assert_eq!(set.decryption_keys().len(), 1);
    assert_eq!(verify(&token(&f.rsa, "RS256", json!({"kid": "a"}), json!({})), &set), Ok(()));
    assert_eq!(verify(&token(&f.p256, "ES256", json!({"kid": "b"}), json!({})), &set), Ok(()));
}

#[test]
fn key_set_is_shareable_across_threads() {
    let f = fixtures();
    let set = std::sync::Arc::new(f.p256.set(json!({})));
    let token = token(&f.p256, "ES256", json!({}), json!({}));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let set = std::sync::Arc::clone(&set);
            let token = token.clone();
            std::thread::spawn(move || verify(&token, &set))
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), Ok(()));
    }
}
