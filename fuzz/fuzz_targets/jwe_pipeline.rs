//! Differential: for encrypted and nested tokens (`auth_jwt_type`), the validation pipeline
//! through the verified-signature cache gives exactly the verdict of the full check, whatever
//! the sequence of tokens: hits, misses, evictions (a 4-entry cache), the same token under
//! another token type (the cache keys on it), and tokens that differ from a cached one.
//!
//! Keys: fuzz/jwe_keys.json (every kind of decryption key), marked `"use": "enc"` here as a
//! key file shared with signing keys must be. Input: tokens separated by newlines, replayed
//! twice so that the second pass hits the cache. Seeds: fuzz/seeds/jwe (scripts/fuzz).

#![no_main]

use std::sync::{Arc, OnceLock};

use auth_jwt_core::{
    Clock, KeySet, Limits, SourceKeys, TokenFields, TokenType, Validator, Verdict, Verified,
    VerifiedCache,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

mod common;
use common::{check_rejection, NOW};

fn keys() -> &'static Arc<KeySet> {
    static KEYS: OnceLock<Arc<KeySet>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut file: Value = serde_json::from_slice(include_bytes!("../jwe_keys.json")).unwrap();
        for key in file["keys"].as_array_mut().expect("a JWK Set") {
            key["use"] = Value::from("enc");
        }
        let bytes = serde_json::to_vec(&file).unwrap();
        Arc::new(KeySet::from_json(&bytes).expect("jwe_keys.json loads as a key file"))
    })
}

const TYPES: [TokenType; 3] = [TokenType::Encrypted, TokenType::Nested, TokenType::Signed];

fuzz_target!(|data: &[u8]| {
    let sources = [SourceKeys::Ready(Arc::clone(keys()))];
    let mut cache: VerifiedCache<TokenFields> = VerifiedCache::new(4);
    let tokens: Vec<&[u8]> = data.split(|&b| b == b'\n').take(8).collect();
    // Far enough apart that a token valid at one time is expired at the other.
    let clocks = [NOW, NOW + 3_000_000_000];
    for round in 0..2 {
        for (i, token) in tokens.iter().enumerate() {
            let clock = Clock { now: clocks[(i + round) % clocks.len()], leeway_secs: 0 };
            for token_type in TYPES {
                let validator = || {
                    Validator::new(clock, Limits::default()).with_token_type(token_type)
                };
                let full = validator().validate(token, Some(&sources), Verified::into_fields);
                let cached = validator().with_cache(&mut cache).validate(
                    token,
                    Some(&sources),
                    Verified::into_fields,
                );
                match (&cached, &full) {
                    (Verdict::Valid(a), Verdict::Valid(b)) => assert_eq!(a, b),
                    (Verdict::Rejected(a), Verdict::Rejected(b)) => {
                        assert_eq!(a, b, "round {round}, token {i}, {token_type}");
                        check_rejection(a);
                    }
                    _ => panic!("cached {cached:?} but full {full:?} ({token_type})"),
                }
            }
        }
    }
    assert!(cache.len() <= 4);
});
