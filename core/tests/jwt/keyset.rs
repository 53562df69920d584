//! `KeySet::from_json`: accepted shapes, every error, every skip.

use serde_json::{json, Value};

use auth_jwt_core::{KeySet, KeySetError, MAX_KEY_FILE_BYTES};

use crate::common::*;

fn load(v: &Value) -> Result<KeySet, KeySetError> {
    KeySet::from_json(v.to_string().as_bytes())
}

fn error(v: &Value) -> String {
    load(v).unwrap_err().to_string()
}

/// The error for a set holding `bad` after one good key (so the index is 2).
fn key_error(bad: Value) -> String {
    error(&json!({"keys": [fixtures().hmac.jwk(json!({})), bad]}))
}

#[test]
fn a_jwk_set_and_a_single_jwk_both_load() {
    let f = fixtures();
    let set =
        keyset(&[f.rsa.jwk(json!({"kid": "r"})), f.p256.jwk(json!({})), f.ed448.jwk(json!({}))]);
    assert_eq!(set.len(), 3);
    assert!(set.skipped().is_empty());
    let single = load(&f.p521.jwk(json!({"kid": "one"}))).unwrap();
    assert_eq!(single.len(), 1);
    let token = token(&f.p521, "ES512", json!({"kid": "one"}), json!({}));
    assert_eq!(verify(&token, &single), Ok(()));
}

#[test]
fn nginx_plus_admin_guide_shape_loads() {
    // Unknown members at the set and key level are ignored, as are private members.
    let f = fixtures();
    let mut jwk = f
        .rsa
        .jwk(json!({"kid": "0001", "use": "sig", "key_ops": ["verify", "sign"], "x5t": "abc"}));
    jwk["d"] = json!("AQAB");
    jwk["p"] = json!("AQAB");
    let set = load(&json!({"keys": [jwk], "extra": {"nested": true}})).unwrap();
    assert_eq!(set.len(), 1);
}

#[test]
fn size_limit() {
    let big = vec![b' '; MAX_KEY_FILE_BYTES + 1];
    assert_eq!(
        KeySet::from_json(&big).unwrap_err().to_string(),
        format!("JWK set is {} bytes, at most 1048576 allowed", MAX_KEY_FILE_BYTES + 1)
    );
    // Whitespace padding up to the limit is fine.
    let mut text = fixtures().hmac.jwk(json!({})).to_string().into_bytes();
    text.resize(MAX_KEY_FILE_BYTES, b' ');
    assert!(KeySet::from_json(&text).is_ok());
}

#[test]
fn json_errors() {
    let f = fixtures();
    let good = f.hmac.jwk(json!({})).to_string();
    let missing_comma = good.replacen(',', " ", 1);
    let cases: [(&[u8], &str); 9] = [
        (
            missing_comma.as_bytes(),
            "JWK set is not valid JSON: expected `,` or `}` at line 1 column ",
        ),
        (b"", "JWK set is not valid JSON: EOF while parsing a value at line 1 column 0"),
        (b"{\"keys\":[]", "JWK set is not valid JSON: EOF"),
        (b"\x1f\x8b\x08\x00", "JWK set is not valid JSON"),
        (b"[]", "JWK set is not a JSON object"),
        (b"\"keys\"", "JWK set is not a JSON object"),
        (b"{\"keys\":[],\"keys\":[]}", "JWK set has duplicate member names"),
        (b"{\"keys\":[{\"kty\":\"oct\",\"kty\":\"oct\"}]}", "JWK set has duplicate member names"),
        (b"{}", "JSON object is neither a JWK set (no \"keys\") nor a JWK (no \"kty\")"),
    ];
    for (input, message) in cases {
        let got = KeySet::from_json(input).unwrap_err().to_string();
        assert!(got.starts_with(message), "{got:?} vs {message:?}");
    }
    let deep = format!("{{\"keys\":{}", "[".repeat(10_000));
    assert_eq!(
        KeySet::from_json(deep.as_bytes()).unwrap_err().to_string(),
        "JWK set is nested deeper than 32 levels"
    );
}

#[test]
fn keys_member_errors() {
    assert_eq!(error(&json!({"keys": {}})), "JWK set member \"keys\" is not an array");
    assert_eq!(error(&json!({"keys": null})), "JWK set member \"keys\" is not an array");
    assert_eq!(error(&json!({"keys": []})), "empty JWK set");
    assert_eq!(error(&json!({"keys": [1]})), "key 1: not a JSON object");
    assert_eq!(key_error(json!("x")), "key 2: not a JSON object");
}

#[test]
fn missing_and_mistyped_members() {
    let f = fixtures();
    let rsa = f.rsa.jwk(json!({"kid": "r"}));
    let without = |member: &str| {
        let mut jwk = rsa.clone();
        jwk.as_object_mut().unwrap().remove(member);
        jwk
    };
    assert_eq!(key_error(without("n")), "key 2 (kid \"r\"): member \"n\" is missing");
    assert_eq!(key_error(without("e")), "key 2 (kid \"r\"): member \"e\" is missing");
    assert_eq!(key_error(without("kty")), "key 2 (kid \"r\"): member \"kty\" is missing");
    assert_eq!(key_error(json!({"kty": "oct"})), "key 2: member \"k\" is missing");
    assert_eq!(key_error(json!({"kty": "EC", "crv": "P-256"})), "key 2: member \"x\" is missing");
    assert_eq!(key_error(json!({"kty": "EC", "x": "AA"})), "key 2: member \"crv\" is missing");
    assert_eq!(
        key_error(json!({"kty": "OKP", "crv": "Ed25519"})),
        "key 2: member \"x\" is missing"
    );

    let mut jwk = rsa.clone();
    jwk["n"] = json!(12345);
    assert_eq!(key_error(jwk), "key 2 (kid \"r\"): member \"n\" is not a string");
    assert_eq!(key_error(json!({"kty": 1})), "key 2: member \"kty\" is not a string");
    assert_eq!(
        key_error(json!({"kty": "oct", "kid": 7, "k": "AA"})),
        "key 2: member \"kid\" is not a string"
    );
    let mut jwk = rsa.clone();
    jwk["use"] = json!(["sig"]);
    assert_eq!(key_error(jwk), "key 2 (kid \"r\"): member \"use\" is not a string");
    let mut jwk = rsa.clone();
    jwk["key_ops"] = json!("verify");
    assert_eq!(key_error(jwk), "key 2 (kid \"r\"): member \"key_ops\" is not an array of strings");
    let mut jwk = rsa.clone();
    jwk["key_ops"] = json!(["verify", 1]);
    assert_eq!(key_error(jwk), "key 2 (kid \"r\"): member \"key_ops\" is not an array of strings");
    let mut jwk = rsa.clone();
    jwk["alg"] = json!(256);
    assert_eq!(key_error(jwk), "key 2 (kid \"r\"): member \"alg\" is not a string");
}

#[test]
fn members_must_be_strict_base64url() {
    let f = fixtures();
    let rsa = f.rsa.jwk(json!({}));
    let mut padded = rsa.clone();
    padded["e"] = json!("AQAB==");
    assert_eq!(key_error(padded), "key 2: member \"e\" is not valid base64url");
    let mut standard = rsa.clone();
    standard["n"] = json!(rsa["n"].as_str().unwrap().replace('-', "+").replace('_', "/") + "+");
    assert_eq!(key_error(standard), "key 2: member \"n\" is not valid base64url");
    assert_eq!(
        key_error(json!({"kty": "oct", "k": format!("{}=", b64(&[7; 32]))})),
        "key 2: member \"k\" is not valid base64url"
    );
}

#[test]
fn rsa_size_limits() {
    let small = rsa_key(1024);
    assert_eq!(
        error(&json!({"keys": [fixtures().hmac.jwk(json!({})), small.jwk(json!({"kid": "x"}))]})),
        "key 2 (kid \"x\"): RSA modulus is 1024 bits, at least 2048 required"
    );
    // 2047 significant bits (a leading zero bit) is still too small.
    let mut jwk = fixtures().rsa.jwk(json!({}));
    jwk["n"] = json!(b64(&[[0x7f].as_slice(), &[0xff; 255]].concat()));
    assert_eq!(key_error(jwk), "key 2: RSA modulus is 2047 bits, at least 2048 required");
    let mut jwk = fixtures().rsa.jwk(json!({}));
    jwk["n"] = json!(b64(&[0xff; 2100]));
    assert_eq!(key_error(jwk), "key 2: RSA modulus is 16800 bits, at most 16384 supported");
}

#[test]
fn rsa_leading_zero_octets_are_tolerated() {
    let f = fixtures();
    let mut jwk = f.rsa.jwk(json!({}));
    let Key::Rsa(key) = &f.rsa else { unreachable!() };
    let n = [[0u8].as_slice(), &key.rsa().unwrap().n().to_vec()].concat();
    jwk["n"] = json!(b64(&n));
    let set = load(&jwk).unwrap();
    assert_eq!(verify(&token(&f.rsa, "RS256", json!({}), json!({})), &set), Ok(()));
}

#[test]
fn rsa_bad_exponents() {
    for e in [vec![1u8], vec![2], vec![0x01, 0x00, 0x00], vec![0], vec![0xff; 9]] {
        let mut jwk = fixtures().rsa.jwk(json!({}));
        jwk["e"] = json!(b64(&e));
        assert_eq!(key_error(jwk), "key 2: RSA public exponent is invalid", "{e:?}");
    }
}

#[test]
fn rsa_even_modulus() {
    let mut jwk = fixtures().rsa.jwk(json!({}));
    jwk["n"] = json!(b64(&[0xfe; 256]));
    assert_eq!(key_error(jwk), "key 2: RSA modulus is even");
}

#[test]
fn ec_point_must_be_on_the_curve() {
    let f = fixtures();
    let mut jwk = f.p256.jwk(json!({"kid": "e"}));
    let mut y = base64_decode(jwk["y"].as_str().unwrap());
    y[31] ^= 1;
    jwk["y"] = json!(b64(&y));
    assert_eq!(key_error(jwk), "key 2 (kid \"e\"): EC point is not on the curve P-256");
    // (0, 0) is not a point either.
    let zero = b64(&[0; 48]);
    assert_eq!(
        key_error(json!({"kty": "EC", "crv": "P-384", "x": zero, "y": zero})),
        "key 2: EC point is not on the curve P-384"
    );
    // Coordinates beyond the field prime.
    let ff = b64(&[0xff; 66]);
    assert_eq!(
        key_error(json!({"kty": "EC", "crv": "P-521", "x": ff, "y": ff})),
        "key 2: EC point is not on the curve P-521"
    );
}

#[test]
fn ec_coordinates_must_have_the_field_length() {
    let f = fixtures();
    let mut jwk = f.p256.jwk(json!({}));
    let x = base64_decode(jwk["x"].as_str().unwrap());
    jwk["x"] = json!(b64(&[[0].as_slice(), &x].concat()));
    assert_eq!(key_error(jwk), "key 2: member \"x\" is 33 bytes, expected 32 for P-256");
    let mut jwk = f.p521.jwk(json!({}));
    let y = base64_decode(jwk["y"].as_str().unwrap());
    jwk["y"] = json!(b64(&y[1..]));
    assert_eq!(key_error(jwk), "key 2: member \"y\" is 65 bytes, expected 66 for P-521");
}

#[test]
fn okp_key_lengths() {
    assert_eq!(
        key_error(json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&[1; 31])})),
        "key 2: member \"x\" is 31 bytes, expected 32 for Ed25519"
    );
    assert_eq!(
        key_error(json!({"kty": "OKP", "crv": "Ed448", "x": b64(&[1; 56])})),
        "key 2: member \"x\" is 56 bytes, expected 57 for Ed448"
    );
}

#[test]
fn oct_key_lengths() {
    assert_eq!(key_error(json!({"kty": "oct", "k": ""})), "key 2: oct key is empty");
    // The NGINX Plus admin guide's example secret ("fantasticjwt", 12 bytes) is accepted, as
    // Plus does, with a warning naming the kid and the length; so are secrets shorter than the
    // hash of their alg.
    let warning = |jwk: Value| {
        let set = load(&jwk).unwrap();
        assert_eq!(set.len(), 1);
        set.warnings().join("|")
    };
    let weak = "shorter than the 32 bytes HS256 calls for; accepted as in NGINX Plus, but a \
                short secret can be guessed offline from any token it signed";
    assert_eq!(
        warning(json!({"kty": "oct", "k": "ZmFudGFzdGljand0", "kid": "0001"})),
        format!("key 1 (kid \"0001\"): oct key is 12 bytes, {weak}")
    );
    assert_eq!(
        warning(json!({"kty": "oct", "k": b64(&[1; 31])})),
        format!("key 1: oct key is 31 bytes, {weak}")
    );
    assert!(warning(json!({"kty": "oct", "k": b64(&[1; 47]), "alg": "HS384"}))
        .starts_with("key 1: oct key is 47 bytes, shorter than the 48 bytes HS384 calls for;"));
    assert!(warning(json!({"kty": "oct", "k": b64(&[1; 63]), "alg": "HS512"}))
        .starts_with("key 1: oct key is 63 bytes, shorter than the 64 bytes HS512 calls for;"));
    assert_eq!(warning(json!({"kty": "oct", "k": b64(&[1; 32])})), "");
    assert_eq!(warning(json!({"kty": "oct", "k": b64(&[1; 32]), "alg": "HS256"})), "");
    assert_eq!(warning(json!({"kty": "oct", "k": b64(&[1; 48]), "alg": "HS384"})), "");
    assert_eq!(warning(json!({"kty": "oct", "k": b64(&[1; 64]), "alg": "HS512"})), "");
    // A short key does not stop the other keys of its set from working.
    let f = fixtures();
    let set =
        load(&json!({"keys": [{"kty": "oct", "k": "ZmFudGFzdGljand0"}, f.rsa.jwk(json!({}))]}))
            .unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(verify(&token(&f.rsa, "RS256", json!({}), json!({})), &set), Ok(()));
}

#[test]
fn jwk_alg_must_fit_the_key() {
    let f = fixtures();
    let cases = [
        (f.rsa.jwk(json!({"alg": "HS256"})), "algorithm HS256 cannot be used with an RSA key"),
        (f.rsa.jwk(json!({"alg": "ES256"})), "algorithm ES256 cannot be used with an RSA key"),
        (
            f.p256.jwk(json!({"alg": "ES384"})),
            "algorithm ES384 cannot be used with an EC P-256 key",
        ),
        (
            f.p521.jwk(json!({"alg": "ES256"})),
            "algorithm ES256 cannot be used with an EC P-521 key",
        ),
        (f.ed25519.jwk(json!({"alg": "ES256"})), "algorithm ES256 cannot be used with an OKP key"),
        (f.hmac.jwk(json!({"alg": "RS256"})), "algorithm RS256 cannot be used with an oct key"),
        (f.hmac.jwk(json!({"alg": "EdDSA"})), "algorithm EdDSA cannot be used with an oct key"),
    ];
    for (jwk, message) in cases {
        assert_eq!(key_error(jwk), format!("key 2: {message}"));
    }
    for (key, alg) in
        [(&f.rsa, "PS512"), (&f.p384, "ES384"), (&f.ed448, "EdDSA"), (&f.hmac64, "HS384")]
    {
        assert!(key.set(json!({"alg": alg})).len() == 1);
    }
}

#[test]
fn keys_ignored_on_purpose_are_listed() {
    let f = fixtures();
    let set = load(&json!({"keys": [
        {"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA", "kid": "k1"},
        {"kty": "OKP", "crv": "X25519", "x": b64(&[9; 32])},
        {"kty": "OKP", "crv": "X448", "x": b64(&[9; 56])},
        {"kty": "PQC", "kid": "future"},
        f.rsa.jwk(json!({"use": "enc", "kid": "enc1"})),
        f.rsa.jwk(json!({"key_ops": ["encrypt", "wrapKey"]})),
        f.rsa.jwk(json!({"key_ops": []})),
        f.rsa.jwk(json!({"alg": "RSA-OAEP-256", "kid": "wrap"})),
        {"kty": "oct", "k": "A".repeat(22), "alg": "A128KW"},
        f.p256.jwk(json!({"kid": "good"})),
    ]}))
    .unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(
        set.skipped(),
        [
            "key 1 (kid \"k1\"): EC curve \"secp256k1\" is not supported, skipped",
            "key 2: OKP curve \"X25519\" is not supported, skipped",
            "key 3: OKP curve \"X448\" is not supported, skipped",
            "key 4 (kid \"future\"): kty \"PQC\" is not supported, skipped",
            "key 5 (kid \"enc1\"): use \"enc\" is not \"sig\", skipped",
            "key 6: key_ops does not include \"verify\", skipped",
            "key 7: key_ops does not include \"verify\", skipped",
            "key 8 (kid \"wrap\"): alg \"RSA-OAEP-256\" is for encryption, skipped",
        ]
    );
    // Key 9 is not ignored: it is the set's one decryption key.
    assert_eq!(set.decryption_keys().len(), 1);
    let token = token(&f.p256, "ES256", json!({"kid": "good"}), json!({}));
    assert_eq!(verify(&token, &set), Ok(()));
}

#[test]
fn a_set_where_every_key_is_skipped_is_an_error() {
    let f = fixtures();
    assert_eq!(
        error(&json!({"keys": [
            f.rsa.jwk(json!({"use": "enc"})),
            {"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"},
        ]})),
        "no usable keys: all 2 skipped"
    );
    assert_eq!(error(&f.rsa.jwk(json!({"use": "enc"}))), "no usable keys: all 1 skipped");
}

#[test]
fn an_invalid_key_fails_the_whole_set() {
    // NGINX Plus: "if at least one of the specified keys cannot be loaded or processed" -> 500.
    let f = fixtures();
    let result = load(&json!({"keys": [f.rsa.jwk(json!({})), {"kty": "oct", "k": "A"}]}));
    assert!(result.is_err());
}

#[test]
fn kid_in_key_errors_is_escaped() {
    let message = key_error(json!({"kty": "oct", "k": "", "kid": "a\"\nb"}));
    assert_eq!(message, "key 2 (kid \"a\\\"\\x0ab\"): oct key is empty");
}

fn base64_decode(s: &str) -> Vec<u8> {
    let mut std = s.replace('-', "+").replace('_', "/");
    while std.len() % 4 != 0 {
        std.push('=');
    }
    openssl::base64::decode_block(&std).unwrap()
}

/// An Ed25519 "public key" of small order verifies a fixed signature for every message, so all
/// eight such points are refused at load time, whatever the encoding. The points are written out
/// as published in "Taming the many EdDSAs" (Chalkias, Garillot, Nikolaenko, 2020) and in
/// libsodium's blocklist.
#[test]
fn ed25519_small_order_points_are_refused() {
    let points = [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        // Non-canonical: y = p (0) and y = p + 1 (1).
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];
    for point in points {
        let x: Vec<u8> =
            (0..32).map(|i| u8::from_str_radix(&point[2 * i..2 * i + 2], 16).unwrap()).collect();
        assert_eq!(
            key_error(json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&x), "kid": "weak"})),
            "key 2 (kid \"weak\"): Ed25519 public key is a point of small order",
            "{point}"
        );
    }
    // A real key still loads.
    assert_eq!(fixtures().ed25519.set(json!({})).len(), 1);
}

/// RFC 7517 §5: a key with an algorithm we do not know is skipped, with a note naming its kid,
/// and the other keys of the set keep working; an encryption key with broken material is skipped
/// too (never parsed), while a broken signing key still fails the set.
#[test]
fn keys_with_unknown_alg_are_skipped_not_fatal() {
    let f = fixtures();
    let set = load(&json!({"keys": [
        {"kty": "EC", "crv": "secp256k1", "alg": "ES256K", "kid": "k1", "x": "AA", "y": "AA"},
        f.rsa.jwk(json!({"alg": "RS1"})),
        f.rsa.jwk(json!({"alg": "none", "kid": "n"})),
        {"kty": "RSA", "alg": "RSA-OAEP", "kid": "wrap", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "use": "enc", "kid": "enc", "n": "!!", "e": "AQAB"},
        f.rsa.jwk(json!({"kid": "good"})),
    ]}))
    .unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(
        set.skipped(),
        [
            "key 1 (kid \"k1\"): alg \"ES256K\" is not supported, skipped",
            "key 2: alg \"RS1\" is not supported, skipped",
            "key 3 (kid \"n\"): alg \"none\" is not supported, skipped",
            "key 4 (kid \"wrap\"): alg \"RSA-OAEP\" is for encryption, skipped",
            "key 5 (kid \"enc\"): use \"enc\" is not \"sig\", skipped",
        ]
    );
    let token = token(&f.rsa, "RS256", json!({"kid": "good"}), json!({}));
    assert_eq!(verify(&token, &set), Ok(()));
    // A malformed key of a supported type still makes the set unusable.
    assert_eq!(
        key_error(json!({"kty": "RSA", "alg": "RS256", "n": "!!", "e": "AQAB"})),
        "key 2: member \"n\" is not valid base64url"
    );
}
