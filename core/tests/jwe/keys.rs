//! Decryption key sets: what is taken from a JWK Set, what is skipped, what fails it.

use auth_jwt_core::jwe::DecryptionKeys;
use auth_jwt_core::{KeySet, KeySetError};
use serde_json::{json, Value};

use crate::fixtures::{b64, fixtures};
use crate::{fixture_keys, open};

fn load(keys: Value) -> Result<DecryptionKeys, KeySetError> {
    DecryptionKeys::from_json(&serde_json::to_vec(&keys).unwrap())
}

#[test]
fn every_fixture_key_is_a_decryption_key() {
    let count = fixtures().keys["keys"].as_array().unwrap().len();
    assert_eq!(fixture_keys().len(), count);
}

#[test]
fn debug_output_names_keys_without_material() {
    let shown = format!("{:?}", fixture_keys());
    for key in fixtures().keys["keys"].as_array().unwrap() {
        for member in ["k", "d", "p", "q", "dp", "dq", "qi"] {
            if let Some(secret) = key[member].as_str() {
                assert!(!shown.contains(&secret[..12]), "{member} of {} shown", key["kid"]);
            }
        }
    }
    assert!(shown.contains("RSA-2048") && shown.contains("ECDH X25519"), "{shown}");
}

/// One file for both parsers: encryption keys marked `use: enc`, the signer's public key.
#[test]
fn a_shared_file_serves_both_parsers() {
    let mut all: Vec<Value> = fixtures().keys["keys"].as_array().unwrap().clone();
    for key in &mut all {
        key["use"] = json!("enc");
    }
    all.extend(fixtures().signing_keys["keys"].as_array().unwrap().iter().cloned());
    let file = serde_json::to_vec(&json!({ "keys": all })).unwrap();
    let dec = DecryptionKeys::from_json(&file).unwrap();
    assert_eq!(dec.len(), all.len() - 1);
    assert_eq!(dec.skipped().len(), 1, "{:?}", dec.skipped());
    let sig = KeySet::from_json(&file).unwrap();
    assert_eq!(sig.len(), 1);
}

#[test]
fn public_keys_and_signing_keys_are_skipped() {
    let mut rsa_public = fixtures().key("rsa");
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        rsa_public.as_object_mut().unwrap().remove(member);
    }
    let mut ec_public = fixtures().key("p256");
    ec_public.as_object_mut().unwrap().remove("d");
    let mut sig = fixtures().key("rsa");
    sig["use"] = json!("sig");
    let mut hs = fixtures().key("dir-256");
    hs["alg"] = json!("HS256");
    let mut rsa15 = fixtures().key("rsa");
    rsa15["alg"] = json!("RSA1_5");
    let ed = json!({"kty":"OKP","crv":"Ed25519","x":b64(&[7; 32]),"d":b64(&[9; 32])});
    let err = load(json!({"keys":[rsa_public, ec_public, sig, hs, rsa15, ed]})).unwrap_err();
    assert_eq!(err, KeySetError::NoUsableKeys(6));
}

#[test]
fn alg_and_use_are_honoured() {
    // The RSA key restricted to RSA-OAEP-256 no longer opens an RSA-OAEP token.
    let mut rsa = fixtures().key("rsa");
    rsa["alg"] = json!("RSA-OAEP-256");
    let keys = load(json!({"keys":[rsa]})).unwrap();
    assert!(open(&fixtures().token("RSA-OAEP-256", "A256GCM", "rsa"), &keys).is_ok());
    let err = open(&fixtures().token("RSA-OAEP", "A256GCM", "rsa"), &keys).unwrap_err();
    assert_eq!(err.kind(), "no_key");
    assert_eq!(err.to_string(), "no decryption key with kid \"rsa\" for RSA-OAEP");
}

#[test]
fn bad_keys_fail_the_set_with_a_reason() {
    let cases = [
        (
            json!({"kty":"oct","k":b64(&[1; 20]),"alg":"dir"}),
            "key 1: oct key is 20 bytes, not a content encryption key length (16, 24, 32, 48, 64)",
        ),
        (
            json!({"kty":"oct","k":b64(&[1; 16]),"alg":"A192KW"}),
            "key 1: oct key is 16 bytes, A192KW needs 24",
        ),
        (
            json!({"kty":"oct","k":b64(&[1; 16]),"alg":"RSA-OAEP"}),
            "key 1: algorithm RSA-OAEP cannot be used with an oct key",
        ),
        (json!({"kty":"oct","k":"","kid":"e"}), "key 1 (kid \"e\"): oct key is empty"),
    ];
    for (key, message) in cases {
        assert_eq!(load(key).unwrap_err().to_string(), message);
    }
    // RFC 7517 §5: a key of an unknown algorithm is skipped, as the signing parser does.
    let unknown = json!({"kty":"oct","k":b64(&[1; 16]),"alg":"A128KW2"});
    assert_eq!(load(unknown).unwrap_err().to_string(), "no usable keys: all 1 skipped");
    let mut rsa = fixtures().key("rsa");
    rsa.as_object_mut().unwrap().remove("qi");
    assert_eq!(
        load(rsa).unwrap_err().to_string(),
        "key 1 (kid \"rsa\"): RSA private key needs members \"p\", \"q\", \"dp\", \"dq\" and \"qi\""
    );
    let mut rsa = fixtures().key("rsa");
    rsa["d"] = fixtures().key("dir-512")["k"].clone();
    assert_eq!(
        load(rsa).unwrap_err().to_string(),
        "key 1 (kid \"rsa\"): RSA private key is inconsistent"
    );
    let mut ec = fixtures().key("p256");
    ec["x"] = fixtures().key("p384")["x"].clone();
    assert_eq!(
        load(ec).unwrap_err().to_string(),
        "key 1 (kid \"p256\"): member \"x\" is 48 bytes, expected 32"
    );
    let mut ec = fixtures().key("p256");
    ec["d"] = fixtures().key("dir-256")["k"].clone();
    assert_eq!(
        load(ec).unwrap_err().to_string(),
        "key 1 (kid \"p256\"): public members do not match the private key"
    );
    let mut x = fixtures().key("x25519");
    x["x"] = json!(b64(&[9; 32]));
    assert_eq!(
        load(x).unwrap_err().to_string(),
        "key 1 (kid \"x25519\"): public members do not match the private key"
    );
}
