//! Each algorithm with its own key, with a wrong key, and with keys of other types.

use serde_json::json;

use auth_jwt_core::{Algorithm, Jws, KeySet};

use crate::common::*;

#[test]
fn every_algorithm_verifies_with_its_key() {
    for (alg, key, _) in all_algorithms() {
        let token = token(key, alg.name(), json!({}), json!({"sub": "alice"}));
        assert_eq!(verify(&token, &key.set(json!({}))), Ok(()), "{alg}");
        // A key declaring the same alg serves it too.
        assert_eq!(verify(&token, &key.set(json!({"alg": alg.name()}))), Ok(()), "{alg}");
    }
}

#[test]
fn every_algorithm_refuses_a_wrong_key_of_the_same_type() {
    for (alg, key, wrong) in all_algorithms() {
        let token = token(key, alg.name(), json!({}), json!({"sub": "alice"}));
        assert_eq!(verify(&token, &wrong.set(json!({}))), Err("bad_signature".into()), "{alg}");
    }
}

/// The key types an algorithm family may use, written out independently of the crate.
fn same_family(alg: Algorithm, key: &Key) -> bool {
    match (&alg.name()[..2], key) {
        ("HS", Key::Hmac(_)) | ("RS" | "PS", Key::Rsa(_)) | ("Ed", Key::Ed(..)) => true,
        ("ES", Key::Ec(_, crv)) => {
            matches!(
                (alg, *crv),
                (Algorithm::ES256, "P-256")
                    | (Algorithm::ES384, "P-384")
                    | (Algorithm::ES512, "P-521")
            )
        }
        _ => false,
    }
}

#[test]
fn every_algorithm_refuses_keys_of_other_types() {
    let f = fixtures();
    let keys: [&Key; 7] = [&f.hmac64, &f.rsa, &f.p256, &f.p384, &f.p521, &f.ed25519, &f.ed448];
    for (alg, key, _) in all_algorithms() {
        let token = token(key, alg.name(), json!({}), json!({}));
        for other in keys.into_iter().filter(|other| !same_family(alg, other)) {
            let kty = other.jwk(json!({}))["kty"].clone();
            assert_eq!(verify(&token, &other.set(json!({}))), Err("no_key".into()), "{alg} {kty}");
        }
    }
}

#[test]
fn a_flipped_signature_bit_is_refused() {
    for (alg, key, _) in all_algorithms() {
        let token = token(key, alg.name(), json!({}), json!({"sub": "alice"}));
        for index in [0, decode_sig(&token).len() - 1] {
            let mut sig = decode_sig(&token);
            sig[index] ^= 1;
            let tampered = with_signature(&token, &sig);
            assert_eq!(
                verify(&tampered, &key.set(json!({}))),
                Err("bad_signature".into()),
                "{alg}"
            );
        }
    }
}

#[test]
fn a_changed_payload_is_refused() {
    for (alg, key, _) in all_algorithms() {
        let good = token(key, alg.name(), json!({}), json!({"sub": "alice"}));
        let (_, sig) = good.rsplit_once('.').unwrap();
        let forged =
            format!("{}.{}.{sig}", good.split('.').next().unwrap(), b64(br#"{"sub":"admin"}"#));
        assert_eq!(verify(&forged, &key.set(json!({}))), Err("bad_signature".into()), "{alg}");
    }
}

fn decode_sig(token: &str) -> Vec<u8> {
    // Decode with OpenSSL's base64 after translating to the standard alphabet.
    let sig = token.rsplit_once('.').unwrap().1;
    let mut std = sig.replace('-', "+").replace('_', "/");
    while std.len() % 4 != 0 {
        std.push('=');
    }
    openssl::base64::decode_block(&std).unwrap()
}

#[test]
fn hs256_signed_with_the_rsa_public_key_is_refused() {
    // The classic confusion attack: the attacker knows the public key and uses its bytes as an
    // HMAC secret. An RSA key must never act as an HMAC secret.
    let f = fixtures();
    let set = f.rsa.set(json!({}));
    let (der, pem) = f.rsa.public_der_pem();
    for secret in [der, pem] {
        let token = token(&Key::Hmac(secret), "HS256", json!({}), json!({"sub": "admin"}));
        assert_eq!(verify(&token, &set), Err("no_key".into()));
    }
    // Also with the JWK's own modulus bytes and with the JWK text.
    let jwk = f.rsa.jwk(json!({}));
    let token = token(&Key::Hmac(jwk.to_string().into_bytes()), "HS256", json!({}), json!({}));
    assert_eq!(verify(&token, &set), Err("no_key".into()));
}

#[test]
fn hs256_signed_with_an_ec_or_ed_public_key_is_refused() {
    let f = fixtures();
    for key in [&f.p256, &f.ed25519] {
        let set = key.set(json!({}));
        let (der, pem) = key.public_der_pem();
        for secret in [der, pem] {
            let token = token(&Key::Hmac(secret), "HS256", json!({}), json!({}));
            assert_eq!(verify(&token, &set), Err("no_key".into()));
        }
    }
}

#[test]
fn rs_and_ps_signatures_are_not_interchangeable() {
    let f = fixtures();
    let set = f.rsa.set(json!({}));
    let rs = token(&f.rsa, "RS256", json!({}), json!({}));
    let ps = token(&f.rsa, "PS256", json!({}), json!({}));
    // Same key, same signing input, but the header names the other padding.
    let rs_sig = decode_sig(&rs);
    let relabelled = format!("{}.{}", unsigned(r#"{"alg":"PS256"}"#, "{}"), b64(&rs_sig));
    assert_eq!(verify(&relabelled, &set), Err("bad_signature".into()));
    let ps_sig = decode_sig(&ps);
    let relabelled = format!("{}.{}", unsigned(r#"{"alg":"RS256"}"#, "{}"), b64(&ps_sig));
    assert_eq!(verify(&relabelled, &set), Err("bad_signature".into()));
}

#[test]
fn pss_with_another_salt_length_is_refused() {
    use openssl::hash::MessageDigest;
    use openssl::rsa::Padding;
    use openssl::sign::{RsaPssSaltlen, Signer};
    let f = fixtures();
    let Key::Rsa(pkey) = &f.rsa else { unreachable!() };
    let input = unsigned(r#"{"alg":"PS256"}"#, "{}");
    let mut signer = Signer::new(MessageDigest::sha256(), pkey).unwrap();
    signer.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
    signer.set_rsa_pss_saltlen(RsaPssSaltlen::custom(20)).unwrap();
    signer.set_rsa_mgf1_md(MessageDigest::sha256()).unwrap();
    let sig = signer.sign_oneshot_to_vec(input.as_bytes()).unwrap();
    let token = format!("{input}.{}", b64(&sig));
    assert_eq!(verify(&token, &f.rsa.set(json!({}))), Err("bad_signature".into()));
}

#[test]
fn es_algorithms_are_bound_to_their_curve() {
    let f = fixtures();
    // ES384 token, P-256 key: no candidate at all.
    let token = token(&f.p384, "ES384", json!({}), json!({}));
    assert_eq!(verify(&token, &f.p256.set(json!({}))), Err("no_key".into()));
    assert_eq!(verify(&token, &f.p521.set(json!({}))), Err("no_key".into()));
    // A P-256 signature relabelled ES384 has the wrong length for P-384 keys.
    let es256 = crate::common::token(&f.p256, "ES256", json!({}), json!({}));
    let relabelled =
        format!("{}.{}", unsigned(r#"{"alg":"ES384"}"#, "{}"), b64(&decode_sig(&es256)));
    assert_eq!(verify(&relabelled, &f.p384.set(json!({}))), Err("bad_signature".into()));
}

#[test]
fn ed25519_and_ed448_keys_both_serve_eddsa() {
    let f = fixtures();
    let set = keyset(&[f.ed25519.jwk(json!({})), f.ed448.jwk(json!({}))]);
    for key in [&f.ed25519, &f.ed448] {
        let token = token(key, "EdDSA", json!({}), json!({}));
        assert_eq!(verify(&token, &set), Ok(()));
    }
    let token = token(&f.ed448_other, "EdDSA", json!({}), json!({}));
    assert_eq!(verify(&token, &set), Err("bad_signature".into()));
}

#[test]
fn ecdsa_zero_r_or_s_is_refused() {
    // CVE-2022-21449: (r, s) = (0, 0) must never verify.
    let f = fixtures();
    for (key, alg, len) in [(&f.p256, "ES256", 32), (&f.p384, "ES384", 48), (&f.p521, "ES512", 66)]
    {
        let set = key.set(json!({}));
        let good = token(key, alg, json!({}), json!({}));
        let sig = decode_sig(&good);
        let (r, s) = sig.split_at(len);
        let zero = vec![0u8; len];
        for forged in
            [vec![0u8; 2 * len], [zero.as_slice(), s].concat(), [r, zero.as_slice()].concat()]
        {
            assert_eq!(verify(&with_signature(&good, &forged), &set), Err("bad_signature".into()));
        }
        assert_eq!(verify(&good, &set), Ok(()));
    }
}

#[test]
fn ecdsa_r_or_s_equal_to_the_order_is_refused() {
    use openssl::bn::{BigNum, BigNumContext};
    let f = fixtures();
    let Key::Ec(pkey, _) = &f.p256 else { unreachable!() };
    let ec = pkey.ec_key().unwrap();
    let mut order = BigNum::new().unwrap();
    ec.group().order(&mut order, &mut BigNumContext::new().unwrap()).unwrap();
    let n = order.to_vec_padded(32).unwrap();
    let good = token(&f.p256, "ES256", json!({}), json!({}));
    let sig = decode_sig(&good);
    let set = f.p256.set(json!({}));
    let forged = [n.as_slice(), &sig[32..]].concat();
    assert_eq!(verify(&with_signature(&good, &forged), &set), Err("bad_signature".into()));
    let forged = [&sig[..32], n.as_slice()].concat();
    assert_eq!(verify(&with_signature(&good, &forged), &set), Err("bad_signature".into()));
}

#[test]
fn wrong_signature_lengths_are_refused() {
    for (alg, key, _) in all_algorithms() {
        let set = key.set(json!({}));
        let good = token(key, alg.name(), json!({}), json!({}));
        let sig = decode_sig(&good);
        for forged in [
            sig[..sig.len() - 1].to_vec(),
            [sig.as_slice(), &[0]].concat(),
            [&[0], sig.as_slice()].concat(),
            vec![0x01],
            vec![0u8; 1024],
        ] {
            assert_eq!(
                verify(&with_signature(&good, &forged), &set),
                Err("bad_signature".into()),
                "{alg} len {}",
                forged.len()
            );
        }
    }
}

#[test]
fn ecdsa_der_signatures_are_refused() {
    // JWS ECDSA signatures are raw r||s; a DER signature (what OpenSSL produces natively) must
    // not be accepted as an alternative spelling.
    use openssl::hash::MessageDigest;
    use openssl::sign::Signer;
    let f = fixtures();
    let Key::Ec(pkey, _) = &f.p256 else { unreachable!() };
    let input = unsigned(r#"{"alg":"ES256"}"#, "{}");
    let der = Signer::new(MessageDigest::sha256(), pkey)
        .unwrap()
        .sign_oneshot_to_vec(input.as_bytes())
        .unwrap();
    let token = format!("{input}.{}", b64(&der));
    assert_eq!(verify(&token, &f.p256.set(json!({}))), Err("bad_signature".into()));
}

#[test]
fn alg_none_in_every_spelling_is_refused() {
    let f = fixtures();
    let set = f.hmac.set(json!({}));
    for alg in ["none", "None", "NONE", "nOnE", "", "hs256", "HS256 ", "ES256K", "RSA-OAEP", "dir"]
    {
        let header = json!({"alg": alg}).to_string();
        let with_sig = format!("{}.{}", unsigned(&header, "{}"), b64(b"sig"));
        let r = Jws::parse(with_sig.as_bytes(), &limits()).unwrap_err();
        assert_eq!(r.kind(), "unsupported_alg", "{alg:?}");
        // Without a signature, as alg none tokens come: still refused.
        let bare = format!("{}.", unsigned(&header, "{}"));
        assert!(Jws::parse(bare.as_bytes(), &limits()).is_err());
        // And never accepted by verification without keys either.
        assert!(auth_jwt_core::validate(bare.as_bytes(), None, 0, 0, &limits()).is_err());
        assert!(auth_jwt_core::validate(with_sig.as_bytes(), Some(&set), 0, 0, &limits()).is_err());
    }
    // The log line says what is wrong: an unsigned token, not a missing part.
    let none = |alg: &str, signature: &str| {
        format!("{}.{signature}", unsigned(&json!({"alg": alg}).to_string(), "{}"))
    };
    for (token, kind, message) in [
        (none("none", "AA"), "unsupported_alg", "alg \"none\" is not allowed"),
        (none("none", ""), "unsupported_alg", "alg \"none\" is not allowed"),
        (none("NONE", ""), "unsupported_alg", "alg \"NONE\" is not allowed"),
        (none("HS256", ""), "malformed", "signature is empty"),
    ] {
        let r = Jws::parse(token.as_bytes(), &limits()).unwrap_err();
        assert_eq!((r.kind(), r.to_string().as_str()), (kind, message), "{token}");
    }
}

#[test]
fn no_key_set_skips_verification_but_not_parsing() {
    let f = fixtures();
    let token = token(&f.rsa_other, "RS256", json!({}), json!({"sub": "x"}));
    let jws = Jws::parse(token.as_bytes(), &limits()).unwrap();
    assert_eq!(auth_jwt_core::verify_signature(&jws, None), Ok(()));
    // An empty set is not "no key directive": nothing verifies.
    assert_eq!(
        auth_jwt_core::verify_signature(&jws, Some(&KeySet::empty())).unwrap_err().kind(),
        "no_key"
    );
}

#[test]
fn hmac_key_serves_every_hs_algorithm_whatever_its_length() {
    // As in NGINX Plus, a secret without alg serves HS256, HS384 and HS512, even when it is
    // shorter than the hash (a warning at load time says so, see keyset.rs).
    let f = fixtures();
    for key in [&f.hmac, &f.hmac64, &Key::Hmac(b"fantasticjwt".to_vec())] {
        let Key::Hmac(secret) = key else { unreachable!() };
        let set = KeySet::from_json(json!({"kty": "oct", "k": b64(secret)}).to_string().as_bytes())
            .unwrap();
        for alg in ["HS256", "HS384", "HS512"] {
            let token = token(key, alg, json!({}), json!({}));
            assert_eq!(verify(&token, &set), Ok(()), "{alg} with {} bytes", secret.len());
        }
    }
}

#[test]
fn a_key_with_alg_serves_only_that_alg() {
    let f = fixtures();
    let set = f.rsa.set(json!({"alg": "RS256"}));
    assert_eq!(verify(&token(&f.rsa, "RS256", json!({}), json!({})), &set), Ok(()));
    for alg in ["RS384", "PS256"] {
        assert_eq!(verify(&token(&f.rsa, alg, json!({}), json!({})), &set), Err("no_key".into()));
    }
    let set = f.hmac64.set(json!({"alg": "HS512"}));
    assert_eq!(
        verify(&token(&f.hmac64, "HS256", json!({}), json!({})), &set),
        Err("no_key".into())
    );
    assert_eq!(verify(&token(&f.hmac64, "HS512", json!({}), json!({})), &set), Ok(()));
}

#[test]
fn verification_does_not_leave_openssl_errors_behind() {
    // nginx shares the thread's OpenSSL error queue; a stale entry would confuse its TLS code.
    let f = fixtures();
    let set = f.p256.set(json!({}));
    let good = token(&f.p256, "ES256", json!({}), json!({}));
    let _ = verify(&with_signature(&good, &[0xff; 64]), &set);
    let _ = verify(&with_signature(&good, &[0x01; 3]), &set);
    let rsa = f.rsa.set(json!({}));
    let _ = verify(&with_signature(&token(&f.rsa, "RS256", json!({}), json!({})), &[7; 256]), &rsa);
    assert!(openssl::error::ErrorStack::get().errors().is_empty());
}
