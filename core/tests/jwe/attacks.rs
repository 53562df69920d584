//! The classic JWE attacks and malformed tokens: each gets its defined refusal, and every
//! secret-dependent failure the same one.

use auth_jwt_core::jwe::{DecryptionKeys, Jwe, JweError, JweLimits, JwePart};
use serde_json::{json, Value};

use crate::fixtures::{b64, fixtures, flip_bit, header, join, parts, unb64, with_header};
use crate::{fixture_keys, open};

fn parse_err(token: &str) -> JweError {
    Jwe::parse(token.as_bytes(), &JweLimits::default()).expect_err("parse must fail")
}

fn assert_decrypt_failed(token: &str, keys: &DecryptionKeys, what: &str) {
    let err = open(token, keys).expect_err(what);
    assert_eq!(err, JweError::DecryptFailed, "{what}: {err}");
    assert_eq!(err.to_string(), "decryption failed");
    assert_eq!(err.kind(), "decrypt_failed");
}

/// A representative token for each key management family.
fn representatives() -> Vec<(&'static str, String)> {
    let f = fixtures();
    vec![
        ("dir", f.token("dir", "A256GCM", "dir-256")),
        ("dir cbc", f.token("dir", "A128CBC-HS256", "dir-256")),
        ("A128KW", f.token("A128KW", "A128CBC-HS256", "kw-128")),
        ("A192KW", f.token("A192KW", "A192GCM", "kw-192")),
        ("A256GCMKW", f.token("A256GCMKW", "A256CBC-HS512", "kw-256")),
        ("RSA-OAEP", f.token("RSA-OAEP", "A128GCM", "rsa")),
        ("RSA-OAEP-256", f.token("RSA-OAEP-256", "A256GCM", "rsa")),
        ("ECDH-ES P-256", f.token("ECDH-ES", "A256GCM", "p256")),
        ("ECDH-ES+A256KW P-521", f.token("ECDH-ES+A256KW", "A128CBC-HS256", "p521")),
        ("ECDH-ES+A128KW X25519", f.token("ECDH-ES+A128KW", "A256GCM", "x25519")),
        ("PBES2", f.token("PBES2-HS256+A128KW", "A128GCM", "pbes2")),
    ]
}

#[test]
fn tampering_with_any_part_fails_the_same_way() {
    let keys = fixture_keys();
    for (name, token) in representatives() {
        assert!(open(&token, &keys).is_ok(), "{name} untampered");
        let has_key = !parts(&token)[1].is_empty();
        for (index, part) in [(1, "encrypted key"), (2, "iv"), (3, "ciphertext"), (4, "tag")] {
            if index == 1 && !has_key {
                continue;
            }
            assert_decrypt_failed(&flip_bit(&token, index), &keys, &format!("{name} {part}"));
        }
        // The header is the AAD: any change to it breaks the tag.
        let edited = with_header(&token, |h| {
            h.insert("x".into(), json!(1));
        });
        assert_decrypt_failed(&edited, &keys, &format!("{name} header"));
    }
}

#[test]
fn rsa_oaep_failures_are_indistinguishable() {
    let keys = fixture_keys();
    let token = fixtures().token("RSA-OAEP-256", "A128CBC-HS256", "rsa");
    let mut p = parts(&token);
    let good = unb64(&p[1]);
    // Random bytes of the right length (bad padding), a short block, a long one, zeros.
    let variants: [Vec<u8>; 4] = [
        good.iter().map(|b| b.wrapping_mul(31).wrapping_add(7)).collect(),
        good[1..].to_vec(),
        [good.as_slice(), &[0]].concat(),
        vec![0; good.len()],
    ];
    for (i, ek) in variants.iter().enumerate() {
        p[1] = b64(ek);
        assert_decrypt_failed(&join(&p), &keys, &format!("variant {i}"));
    }
    // Another RSA key under the same kid: the wrong key is one more such failure.
    let wrong = DecryptionKeys::from_json(&serde_json::to_vec(&wrong_rsa_key()).unwrap()).unwrap();
    assert_decrypt_failed(&token, &wrong, "wrong RSA key");
}

/// An RSA private key other than the fixtures', with their `kid`, generated with OpenSSL.
fn wrong_rsa_key() -> Value {
    let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
    let m = |n: &openssl::bn::BigNumRef| json!(b64(&n.to_vec()));
    json!({
        "kty": "RSA", "kid": "rsa",
        "n": m(rsa.n()), "e": m(rsa.e()), "d": m(rsa.d()),
        "p": m(rsa.p().unwrap()), "q": m(rsa.q().unwrap()),
        "dp": m(rsa.dmp1().unwrap()), "dq": m(rsa.dmq1().unwrap()), "qi": m(rsa.iqmp().unwrap()),
    })
}

#[test]
fn invalid_curve_ephemeral_keys_are_refused_before_any_key_is_used() {
    let f = fixtures();
    for (kid, crv) in [("p256", "P-256"), ("p384", "P-384"), ("p521", "P-521")] {
        let token = f.token("ECDH-ES+A128KW", "A128GCM", kid);
        let off_curve = with_header(&token, |h| {
            let mut y = unb64(h["epk"]["y"].as_str().unwrap());
            let last = y.len() - 1;
            y[last] ^= 1;
            h["epk"]["y"] = json!(b64(&y));
        });
        let err = parse_err(&off_curve);
        assert_eq!(err.to_string(), format!("header \"epk\" is not a point on {crv}"));
        assert_eq!(err.kind(), "malformed");
        // The point (0, 0) is on no NIST curve; the point at infinity cannot be written.
        let zero = with_header(&token, |h| {
            let len = unb64(h["epk"]["x"].as_str().unwrap()).len();
            h["epk"]["x"] = json!(b64(&vec![0; len]));
            h["epk"]["y"] = json!(b64(&vec![0; len]));
        });
        assert_eq!(parse_err(&zero).kind(), "malformed");
    }
}

#[test]
fn an_ephemeral_key_of_another_curve_finds_no_key() {
    let f = fixtures();
    let p384_epk = header(&f.token("ECDH-ES", "A128GCM", "p384"))["epk"].clone();
    let token = with_header(&f.token("ECDH-ES", "A128GCM", "p256"), |h| {
        h["epk"] = p384_epk;
    });
    let err = open(&token, &fixture_keys()).unwrap_err();
    assert_eq!(err.kind(), "no_key");
    assert_eq!(err.to_string(), "no decryption key with kid \"p256\" for ECDH-ES");
    // An X25519 epk against the EC key, and an EC epk of an unsupported curve.
    let x_epk = header(&f.token("ECDH-ES", "A128GCM", "x25519"))["epk"].clone();
    let token = with_header(&f.token("ECDH-ES", "A128GCM", "p256"), |h| h["epk"] = x_epk);
    assert_eq!(open(&token, &fixture_keys()).unwrap_err().kind(), "no_key");
    let token = with_header(&f.token("ECDH-ES", "A128GCM", "p256"), |h| {
        h["epk"]["crv"] = json!("secp256k1");
    });
    assert_eq!(
        parse_err(&token).to_string(),
        "header \"epk\" has unsupported kty \"EC\" and crv \"secp256k1\""
    );
}

#[test]
fn low_order_x25519_points_are_refused() {
    let keys = fixture_keys();
    let token = fixtures().token("ECDH-ES", "A256GCM", "x25519");
    // u = 0 and u = 1 are points of small order: the shared secret is all zeros.
    for u in [[0u8; 32], {
        let mut one = [0u8; 32];
        one[0] = 1;
        one
    }] {
        let attack = with_header(&token, |h| h["epk"]["x"] = json!(b64(&u)));
        assert_decrypt_failed(&attack, &keys, "low-order X25519 point");
    }
}

#[test]
fn pbes2_count_and_salt_are_bounded() {
    let token = fixtures().token("PBES2-HS512+A256KW", "A256GCM", "pbes2");
    let with = |member: &str, value: Value| {
        with_header(&token, |h| {
            h.insert(member.into(), value);
        })
    };
    assert_eq!(
        parse_err(&with("p2c", json!(1_000_000_000u64))).to_string(),
        "header \"p2c\" is 1000000000, at most 10000 allowed"
    );
    assert_eq!(parse_err(&with("p2c", json!(u64::MAX))).kind(), "malformed");
    assert_eq!(parse_err(&with("p2c", json!(0))).to_string(), "header \"p2c\" must be at least 1");
    for bad in [json!(-1), json!(1.5), json!("8192"), json!(null)] {
        assert_eq!(
            parse_err(&with("p2c", bad)).to_string(),
            "header \"p2c\" is not a positive integer"
        );
    }
    assert_eq!(
        parse_err(&with("p2s", json!(b64(&[1; 7])))).to_string(),
        "header \"p2s\" is 7 bytes, at least 8 required"
    );
    let no_salt = with_header(&token, |h| {
        h.remove("p2s");
    });
    assert_eq!(parse_err(&no_salt).to_string(), "header has no \"p2s\"");
    // Minted by jwcrypto with a count it allows and we do not.
    let err = parse_err(&fixtures().special("p2c_16384"));
    assert_eq!(err.to_string(), "header \"p2c\" is 16384, at most 10000 allowed");
    // The limit is configurable.
    let limits = JweLimits { max_pbes2_count: 20_000, ..JweLimits::default() };
    assert!(Jwe::parse(fixtures().special("p2c_16384").as_bytes(), &limits).is_ok());
}

#[test]
fn a_dir_key_must_have_the_length_of_enc() {
    let token = fixtures().special("dir_a256gcm");
    let short = json!({"kty": "oct", "kid": "dir-256", "k": b64(&[5; 16])});
    let keys = DecryptionKeys::from_json(&serde_json::to_vec(&short).unwrap()).unwrap();
    let err = open(&token, &keys).unwrap_err();
    assert_eq!(err.to_string(), "no decryption key with kid \"dir-256\" for dir");
    // A dir token carries no encrypted key.
    let mut p = parts(&token);
    p[1] = b64(&[1; 40]);
    assert_eq!(parse_err(&join(&p)).to_string(), "encrypted key must be empty for dir");
}

#[test]
fn refused_algorithms_and_headers() {
    let f = fixtures();
    let err = parse_err(&f.special("rsa1_5"));
    assert_eq!(err.kind(), "unsupported_alg");
    assert!(err.to_string().contains("RSA1_5"), "{err}");
    let err = parse_err(&f.special("zip"));
    assert_eq!(
        (err.kind(), err.to_string().as_str()),
        ("unsupported_alg", "compressed tokens (\"zip\") are refused")
    );

    let token = f.token("A128KW", "A128GCM", "kw-128");
    let edit = |member: &str, value: Value| {
        parse_err(&with_header(&token, |h| {
            h.insert(member.into(), value);
        }))
    };
    let err = edit("crit", json!(["exp"]));
    assert_eq!(
        (err.kind(), err.to_string().as_str()),
        ("malformed", "unsupported critical header parameters")
    );
    let err = edit("alg", json!("A128KW\n"));
    assert_eq!(err.to_string(), "unsupported key management algorithm \"A128KW\\x0a\"");
    assert_eq!(err.kind(), "unsupported_alg");
    let err = edit("enc", json!("A128CTR"));
    assert_eq!(err.to_string(), "unsupported content encryption algorithm \"A128CTR\"");
    assert_eq!(err.kind(), "unsupported_alg");
    assert_eq!(edit("enc", json!(1)).to_string(), "header \"enc\" is not a string");
    assert_eq!(edit("kid", json!(1)).to_string(), "header \"kid\" is not a string");
    assert_eq!(edit("alg", json!("none")).kind(), "unsupported_alg");
    assert_eq!(edit("alg", json!("HS256")).kind(), "unsupported_alg");
    let no_alg = with_header(&token, |h| {
        h.remove("alg");
    });
    assert_eq!(parse_err(&no_alg).to_string(), "header has no \"alg\"");
}

#[test]
fn duplicate_and_deep_headers_are_malformed() {
    let token = fixtures().token("A128KW", "A128GCM", "kw-128");
    let mut p = parts(&token);
    p[0] = b64(br#"{"alg":"A128KW","enc":"A128GCM","alg":"dir"}"#);
    assert_eq!(parse_err(&join(&p)).to_string(), "header has duplicate member names");
    let deep =
        format!(r#"{{"alg":"A128KW","enc":"A128GCM","x":{}1{}}}"#, "[".repeat(40), "]".repeat(40));
    p[0] = b64(deep.as_bytes());
    assert_eq!(parse_err(&join(&p)).to_string(), "header is nested deeper than 32 levels");
    p[0] = b64(b"[1]");
    assert_eq!(parse_err(&join(&p)).to_string(), "header is not a JSON object");
    p[0] = "eyJhbGciOiJBMTI4S1ciLCJlbmMiOiJBMTI4R0NNIn0=".into();
    assert_eq!(parse_err(&join(&p)).kind(), "malformed");
}

#[test]
fn sizes_are_checked_before_any_decoding() {
    let token = fixtures().token("A128KW", "A128CBC-HS256", "kw-128");
    let limits = JweLimits::default();
    let cases = [
        (0, limits.max_header_chars + 1, JwePart::Header),
        (1, limits.max_encrypted_key_chars + 1, JwePart::EncryptedKey),
        (2, 23, JwePart::Iv),
        (3, limits.max_ciphertext_chars + 1, JwePart::Ciphertext),
        (4, 44, JwePart::Tag),
    ];
    for (index, len, part) in cases {
        let mut p = parts(&token);
        // Not even base64url: the size must be what refuses it.
        p[index] = "!".repeat(len);
        match parse_err(&join(&p)) {
            JweError::TooLong { part: got, .. } => assert_eq!(got, part),
            other => panic!("{part}: {other}"),
        }
    }
    let mut p = parts(&token);
    p[3] = "A".repeat(limits.max_ciphertext_chars + 4);
    assert_eq!(parse_err(&join(&p)).to_string(), "ciphertext is longer than 16384 characters");
}

#[test]
fn lengths_of_iv_tag_and_ciphertext_are_exact() {
    let gcm = fixtures().token("A128KW", "A128GCM", "kw-128");
    let cbc = fixtures().token("A128KW", "A128CBC-HS256", "kw-128");
    let set = |token: &str, index: usize, bytes: &[u8]| {
        let mut p = parts(token);
        p[index] = b64(bytes);
        parse_err(&join(&p)).to_string()
    };
    assert_eq!(set(&gcm, 2, &[0; 16]), "initialization vector is 16 bytes, A128GCM needs 12");
    assert_eq!(set(&gcm, 4, &[0; 12]), "authentication tag is 12 bytes, A128GCM needs 16");
    assert_eq!(set(&cbc, 2, &[0; 12]), "initialization vector is 12 bytes, A128CBC-HS256 needs 16");
    assert_eq!(set(&cbc, 4, &[0; 32]), "authentication tag is 32 bytes, A128CBC-HS256 needs 16");
    assert_eq!(set(&cbc, 3, &[0; 17]), "ciphertext is not a whole number of AES blocks");
    let mut p = parts(&cbc);
    p[1] = String::new();
    assert_eq!(parse_err(&join(&p)).to_string(), "encrypted key is empty");
    p = parts(&cbc);
    p[3] = String::new();
    assert_eq!(parse_err(&join(&p)).to_string(), "ciphertext is empty");
    let gcmkw = fixtures().token("A128GCMKW", "A128GCM", "kw-128");
    let short_iv = with_header(&gcmkw, |h| h["iv"] = json!(b64(&[0; 8])));
    assert_eq!(parse_err(&short_iv).to_string(), "header \"iv\" is 8 bytes, A128GCMKW needs 12");
    let long_tag = with_header(&gcmkw, |h| h["tag"] = json!(b64(&[0; 20])));
    assert_eq!(parse_err(&long_tag).to_string(), "header \"tag\" is 20 bytes, at most 16 allowed");
}

#[test]
fn part_count_and_unknown_kid() {
    let token = fixtures().token("A128KW", "A128GCM", "kw-128");
    assert_eq!(
        parse_err("a.b.c").to_string(),
        "token does not consist of five dot-separated parts"
    );
    assert_eq!(parse_err(&format!("{token}.x")).kind(), "malformed");
    let unknown = with_header(&token, |h| h["kid"] = json!("nobody\u{1}"));
    let err = open(&unknown, &fixture_keys()).unwrap_err();
    assert_eq!(err.to_string(), "no decryption key with kid \"nobody\\x01\" for A128KW");
    assert_eq!(err.kind(), "no_key");
}

#[test]
fn messages_never_contain_token_bytes() {
    let keys = fixture_keys();
    for (name, token) in representatives() {
        for index in 1..5 {
            let tampered = flip_bit(&token, index.max(2));
            let err = open(&tampered, &keys).unwrap_err().to_string();
            for piece in parts(&tampered).iter().filter(|p| p.len() >= 8) {
                assert!(!err.contains(&piece[..8]), "{name}: {err}");
            }
        }
    }
}
