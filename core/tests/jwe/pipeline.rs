//! Encrypted and nested tokens through the validation pipeline (`auth_jwt_type`): one key file
//! holding signing and decryption keys, the union of several sources, tokens of the wrong
//! kind, the time checks after decryption, and the verified-signature cache agreeing with the
//! full check for every token.

use std::sync::Arc;

use serde_json::{json, Value};

use auth_jwt_core::{
    Clock, JwtStatus, KeySet, Limits, SourceKeys, TokenFields, TokenType, Validator, Verdict,
    Verified, VerifiedCache,
};

use crate::fixtures::{fixtures, flip_bit};

const NOW: i64 = 1_700_000_000;

/// The decryption keys marked `"use": "enc"` (as docs/jwe.md asks of a shared file: the
/// signing parser would take an unmarked `oct` key for an HMAC secret).
fn encryption_keys() -> Vec<Value> {
    let mut keys = fixtures().keys["keys"].as_array().unwrap().clone();
    for key in &mut keys {
        key["use"] = json!("enc");
    }
    keys
}

fn set_of(keys: Vec<Value>) -> Arc<KeySet> {
    let file = serde_json::to_vec(&json!({ "keys": keys })).unwrap();
    Arc::new(KeySet::from_json(&file).expect("a file may hold both kinds of key"))
}

/// The decryption keys and the nested tokens' signing key, in one key file.
fn mixed_set() -> Arc<KeySet> {
    let mut keys = encryption_keys();
    keys.extend(fixtures().signing_keys["keys"].as_array().unwrap().iter().cloned());
    set_of(keys)
}

fn full(
    token: &str,
    token_type: TokenType,
    sources: &[SourceKeys],
    now: i64,
) -> Verdict<TokenFields> {
    Validator::new(Clock { now, leeway_secs: 0 }, Limits::default())
        .with_token_type(token_type)
        .validate(token.as_bytes(), Some(sources), Verified::into_fields)
}

fn cached(
    token: &str,
    token_type: TokenType,
    sources: &[SourceKeys],
    now: i64,
    cache: &mut VerifiedCache<TokenFields>,
) -> Verdict<TokenFields> {
    Validator::new(Clock { now, leeway_secs: 0 }, Limits::default())
        .with_token_type(token_type)
        .with_cache(cache)
        .validate(token.as_bytes(), Some(sources), Verified::into_fields)
}

/// The verdict of the full check, after checking that the cache gives the same one on a miss
/// and on a hit.
fn verdict(
    token: &str,
    token_type: TokenType,
    sources: &[SourceKeys],
    now: i64,
    cache: &mut VerifiedCache<TokenFields>,
) -> Verdict<TokenFields> {
    let expected = full(token, token_type, sources, now);
    for _ in 0..2 {
        let got = cached(token, token_type, sources, now, cache);
        match (&got, &expected) {
            (Verdict::Valid(a), Verdict::Valid(b)) => assert_eq!(a, b),
            (Verdict::Rejected(a), Verdict::Rejected(b)) => assert_eq!(a, b),
            _ => panic!("cached {got:?} but full {expected:?}"),
        }
    }
    expected
}

fn valid(v: Verdict<TokenFields>) -> TokenFields {
    match v {
        Verdict::Valid(fields) => fields,
        other => panic!("expected a valid token, got {other:?}"),
    }
}

#[test]
fn every_alg_and_enc_pair_validates_as_encrypted_cached_or_not() {
    let sources = [SourceKeys::Ready(mixed_set())];
    let mut cache = VerifiedCache::new(1024);
    for t in &fixtures().tokens {
        let token = t["token"].as_str().unwrap();
        let fields = valid(verdict(token, TokenType::Encrypted, &sources, NOW, &mut cache));
        let plaintext: Value = serde_json::from_str(t["plaintext"].as_str().unwrap()).unwrap();
        assert_eq!(fields.claim(&["case"]), plaintext["case"].as_str().map(str::to_owned));
        // Header variables of an encrypted token are the JWE header's.
        assert_eq!(fields.header(&["enc"]), t["enc"].as_str().map(str::to_owned));
        assert_eq!(fields.payload(), serde_json::to_string(&plaintext).unwrap());
    }
    // RSA1_5 is absent from the pairs: every token once missed and once hit.
    let n = fixtures().tokens.len() as u64;
    assert!(n >= 100, "{n}");
    assert_eq!(cache.stats().hits, n);
}

#[test]
fn nested_tokens_verify_the_enclosed_jws_and_show_it_as_the_payload() {
    let sources = [SourceKeys::Ready(mixed_set())];
    let mut cache = VerifiedCache::new(16);
    for t in &fixtures().nested {
        let token = t["token"].as_str().unwrap();
        let fields = valid(verdict(token, TokenType::Nested, &sources, NOW, &mut cache));
        assert_eq!(fields.claim(&["sub"]).as_deref(), Some("bob"));
        assert_eq!(fields.payload(), t["jws"].as_str().unwrap());
        // Header variables of a nested token are those of the enclosed JWS.
        assert_eq!(fields.header(&["alg"]).as_deref(), Some("RS256"));
        assert_eq!(fields.header(&["kid"]).as_deref(), Some("signer"));
    }
}

#[test]
fn nested_tokens_take_keys_from_the_union_of_the_sources() {
    let f = fixtures();
    let decryption = set_of(encryption_keys());
    let signing = set_of(f.signing_keys["keys"].as_array().unwrap().clone());
    let token = f.nested[0]["token"].as_str().unwrap();
    let both =
        [SourceKeys::Ready(Arc::clone(&signing)), SourceKeys::Ready(Arc::clone(&decryption))];
    assert!(matches!(full(token, TokenType::Nested, &both, NOW), Verdict::Valid(_)));
    // Without the signer's key the enclosed JWS has no key; without decryption keys, neither
    // has the JWE.
    let mut cache = VerifiedCache::new(16);
    let only_decryption = [SourceKeys::Ready(decryption)];
    let v = verdict(token, TokenType::Nested, &only_decryption, NOW, &mut cache);
    assert_eq!(v.status(), Some(JwtStatus::NoKey));
    let only_signing = [SourceKeys::Ready(signing)];
    let v = verdict(token, TokenType::Nested, &only_signing, NOW, &mut cache);
    assert_eq!(v.status(), Some(JwtStatus::NoKey));
    assert_eq!(cache.len(), 0, "a refused token is never cached");
}

#[test]
fn tokens_of_the_wrong_kind_are_refused_as_such() {
    let f = fixtures();
    let sources = [SourceKeys::Ready(mixed_set())];
    let mut cache = VerifiedCache::new(16);
    let encrypted = f.token("A256KW", "A256GCM", "kw-256");
    let nested = f.nested[0]["token"].as_str().unwrap();
    let signed = f.nested[0]["jws"].as_str().unwrap();
    for (token, token_type, message) in [
        (encrypted.as_str(), TokenType::Nested, "encrypted token where auth_jwt_type is nested"),
        (nested, TokenType::Encrypted, "nested token where auth_jwt_type is encrypted"),
        (signed, TokenType::Encrypted, "signed token where auth_jwt_type is encrypted"),
        (signed, TokenType::Nested, "signed token where auth_jwt_type is nested"),
        (encrypted.as_str(), TokenType::Signed, "encrypted token where auth_jwt_type is signed"),
    ] {
        match verdict(token, token_type, &sources, NOW, &mut cache) {
            Verdict::Rejected(r) => {
                assert_eq!(r.status(), JwtStatus::WrongType, "{message}");
                assert_eq!(r.to_string(), message);
            }
            other => panic!("{message}: {other:?}"),
        }
    }
    // The enclosed JWS itself is a good signed token.
    assert!(matches!(full(signed, TokenType::Signed, &sources, NOW), Verdict::Valid(_)));
}

#[test]
fn every_tampered_part_is_one_outcome_with_one_message() {
    let f = fixtures();
    let sources = [SourceKeys::Ready(mixed_set())];
    let mut cache = VerifiedCache::new(64);
    let tokens = [
        f.token("RSA-OAEP-256", "A256GCM", "rsa"),
        f.token("A256KW", "A128CBC-HS256", "kw-256"),
        f.token("dir", "A256GCM", "dir-256"),
        f.token("ECDH-ES+A256KW", "A256GCM", "p256"),
        f.nested[0]["token"].as_str().unwrap().to_owned(),
    ];
    for token in &tokens {
        // Encrypted key (where there is one), IV, ciphertext, tag.
        for part in 1..5 {
            if token.split('.').nth(part).is_some_and(str::is_empty) {
                continue;
            }
            let tampered = flip_bit(token, part);
            for token_type in [TokenType::Encrypted, TokenType::Nested] {
                if crate::fixtures::header(token).contains_key("cty")
                    != (token_type == TokenType::Nested)
                {
                    continue;
                }
                match verdict(&tampered, token_type, &sources, NOW, &mut cache) {
                    Verdict::Rejected(r) => {
                        assert_eq!(r.status(), JwtStatus::DecryptFailed, "part {part}");
                        assert_eq!(r.to_string(), "decryption failed");
                    }
                    other => panic!("part {part}: {other:?}"),
                }
            }
        }
    }
}

#[test]
fn times_are_checked_after_decryption_and_on_every_cache_hit() {
    let sources = [SourceKeys::Ready(mixed_set())];
    let mut cache = VerifiedCache::new(16);
    let token = fixtures().special("exp_a256kw");
    let fields = valid(verdict(&token, TokenType::Encrypted, &sources, NOW, &mut cache));
    assert_eq!(fields.claim(&["sub"]).as_deref(), Some("carol"));
    let later = verdict(&token, TokenType::Encrypted, &sources, 2_000_000_000, &mut cache);
    assert_eq!(later.status(), Some(JwtStatus::Expired));
    let earlier = verdict(&token, TokenType::Encrypted, &sources, 1_500_000_000, &mut cache);
    assert_eq!(earlier.status(), Some(JwtStatus::NotYetValid));
}

#[test]
fn decrypted_claims_follow_the_strict_json_rules_of_payloads() {
    let sources = [SourceKeys::Ready(mixed_set())];
    let mut cache = VerifiedCache::new(16);
    for (name, message) in [
        ("duplicate_claims", "payload has duplicate member names"),
        ("not_an_object", "payload is not a JSON object"),
    ] {
        let token = fixtures().special(name);
        match verdict(&token, TokenType::Encrypted, &sources, NOW, &mut cache) {
            Verdict::Rejected(r) => {
                assert_eq!(r.status(), JwtStatus::Malformed, "{name}");
                assert_eq!(r.to_string(), message);
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn the_whole_token_limit_applies_before_the_parts_are_looked_at() {
    let sources = [SourceKeys::Ready(mixed_set())];
    let token = fixtures().token("A256KW", "A256GCM", "kw-256");
    let limits = Limits { max_token_bytes: token.len() - 1, ..Limits::default() };
    let v = Validator::<TokenFields>::new(Clock { now: NOW, leeway_secs: 0 }, limits)
        .with_token_type(TokenType::Encrypted)
        .validate(token.as_bytes(), Some(&sources), Verified::into_fields);
    match v {
        Verdict::Rejected(r) => {
            assert_eq!(r.status(), JwtStatus::Malformed);
            assert_eq!(r.to_string(), format!("token is longer than {} bytes", token.len() - 1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn without_key_files_an_encrypted_token_has_no_key() {
    let token = fixtures().token("A256KW", "A256GCM", "kw-256");
    let v = Validator::<TokenFields>::new(Clock { now: NOW, leeway_secs: 0 }, Limits::default())
        .with_token_type(TokenType::Encrypted)
        .validate(token.as_bytes(), None, Verified::into_fields);
    assert_eq!(v.status(), Some(JwtStatus::NoKey));
}

#[test]
fn a_key_file_of_only_encryption_keys_loads_and_signs_nothing() {
    let set = set_of(encryption_keys());
    assert!(set.is_empty(), "no signing keys");
    assert!(!set.decryption_keys().is_empty());
    assert!(set.skipped().is_empty(), "{:?}", set.skipped());
}
