//! Every token jwcrypto minted decrypts to what it encrypted.

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_jwt_core::jwe::{ContentEncryption, KeyAlgorithm};
use auth_jwt_core::{validate, KeySet, Limits};

use crate::fixtures::fixtures;
use crate::{fixture_keys, open};

const ALGS: [&str; 18] = [
    "dir",
    "A128KW",
    "A192KW",
    "A256KW",
    "A128GCMKW",
    "A192GCMKW",
    "A256GCMKW",
    "RSA-OAEP",
    "RSA-OAEP-256",
    "RSA-OAEP-384",
    "RSA-OAEP-512",
    "ECDH-ES",
    "ECDH-ES+A128KW",
    "ECDH-ES+A192KW",
    "ECDH-ES+A256KW",
    "PBES2-HS256+A128KW",
    "PBES2-HS384+A192KW",
    "PBES2-HS512+A256KW",
];
const ENCS: [&str; 6] =
    ["A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512", "A128GCM", "A192GCM", "A256GCM"];

#[test]
fn every_alg_enc_pair_decrypts() {
    let keys = fixture_keys();
    let mut pairs = BTreeSet::new();
    let mut curves = BTreeSet::new();
    for case in &fixtures().tokens {
        let token = case["token"].as_str().unwrap();
        let (alg, enc) = (case["alg"].as_str().unwrap(), case["enc"].as_str().unwrap());
        let plain = open(token, &keys).unwrap_or_else(|e| panic!("{alg} {enc}: {e}"));
        assert_eq!(plain.bytes(), case["plaintext"].as_str().unwrap().as_bytes(), "{alg} {enc}");
        assert!(!plain.is_nested());
        let parsed = auth_jwt_core::jwe::Jwe::parse(token.as_bytes(), &Default::default()).unwrap();
        assert_eq!(parsed.algorithm(), KeyAlgorithm::from_name(alg).unwrap());
        assert_eq!(parsed.encryption(), ContentEncryption::from_name(enc).unwrap());
        pairs.insert((alg.to_owned(), enc.to_owned()));
        if alg.starts_with("ECDH") {
            curves.insert(case["kid"].as_str().unwrap().to_owned());
        }
    }
    for alg in ALGS {
        for enc in ENCS {
            assert!(pairs.contains(&(alg.to_owned(), enc.to_owned())), "{alg} {enc} not covered");
        }
    }
    assert_eq!(curves.into_iter().collect::<Vec<_>>(), ["p256", "p384", "p521", "x25519"]);
}

#[test]
fn token_without_kid_is_tried_against_every_fitting_key() {
    let plain = open(&fixtures().special("no_kid_a128kw"), &fixture_keys()).unwrap();
    assert_eq!(plain.bytes(), br#"{"sub": "mallory"}"#);
}

#[test]
fn pbes2_at_the_count_limit_decrypts() {
    let start = std::time::Instant::now();
    let plain = open(&fixtures().special("p2c_10000"), &fixture_keys()).unwrap();
    assert_eq!(plain.bytes(), br#"{"sub": "mallory"}"#);
    // Generous for a debug build on a loaded machine; docs/jwe.md gives the real figure.
    assert!(start.elapsed().as_millis() < 500, "{:?}", start.elapsed());
}

#[test]
fn nested_tokens_yield_a_jws_that_verifies() {
    let keys = fixture_keys();
    let signing = KeySet::from_json(&serde_json::to_vec(&fixtures().signing_keys).unwrap())
        .expect("signing keys");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    for case in &fixtures().nested {
        let plain = open(case["token"].as_str().unwrap(), &keys).unwrap();
        assert!(plain.is_nested(), "{case}");
        assert_eq!(plain.bytes(), case["jws"].as_str().unwrap().as_bytes());
        let jws = validate(plain.bytes(), Some(&signing), now, 0, &Limits::default()).unwrap();
        assert_eq!(jws.claims()["sub"], "bob");
    }
}
