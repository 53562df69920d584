//! The adversarial set, against the pure crate, where a case runs without nginx and a failure
//! points straight at the parsing or verification code. Every case is a token crafted to slip
//! through a JWT gateway; each must be refused by `validate` against a key set holding a key of
//! every type, with the expected `$jwt_status` kind, and its log message must stay one short
//! printable line that never quotes the token. t/20-hostile-tokens.t sends the same kinds of
//! tokens through a real nginx.
//!
//! Keys and tokens come from `jwt/common.rs`: generated and signed with OpenSSL directly,
//! never with the crate's own code.

#[allow(dead_code)]
#[path = "jwt/common.rs"]
mod common;

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, BigNumContext};
use openssl::hash::MessageDigest;
use openssl::sign::Signer;
use openssl::x509::{X509Builder, X509NameBuilder};
use serde_json::{json, Value};

use std::sync::Arc;

use auth_jwt_core::{
    bearer_token, validate, Clock, KeySet, Limits, SourceKeys, TokenFields, Validator, Verdict,
    Verified, VerifiedCache,
};

use common::*;

/// 2023-11-14T22:13:20Z; valid tokens expire at NOW + 3600.
const NOW: i64 = 1_700_000_000;

struct Case {
    name: String,
    token: Vec<u8>,
    kind: &'static str,
}

fn claims() -> Value {
    json!({"sub": "alice", "exp": NOW + 3600})
}

fn sig_of(token: &str) -> Vec<u8> {
    let s = token.rsplit('.').next().unwrap();
    let pad = (4 - s.len() % 4) % 4;
    let std: String = s
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    openssl::base64::decode_block(&format!("{std}{}", "=".repeat(pad))).unwrap()
}

/// HS256 over `input` with an arbitrary secret, as an attacker would compute it.
fn hs256_with(secret: &[u8], header: Value, claims: &Value) -> String {
    let input = unsigned(&header.to_string(), &claims.to_string());
    let sig = Key::Hmac(secret.to_vec()).sign("HS256", input.as_bytes());
    format!("{input}.{}", b64(&sig))
}

fn self_signed_cert_b64(key: &Key) -> String {
    let Key::Rsa(pkey) = key else { unreachable!() };
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "attacker").unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(pkey).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::days_from_now(1).unwrap()).unwrap();
    b.sign(pkey, MessageDigest::sha256()).unwrap();
    openssl::base64::encode_block(&b.build().to_der().unwrap())
}

fn cases() -> Vec<Case> {
    let f = fixtures();
    let mut out = Vec::new();
    let mut add = |name: &str, token: Vec<u8>, kind: &'static str| {
        out.push(Case { name: name.to_owned(), token, kind });
    };
    let c = claims();
    let cs = c.to_string();
    let es256 = token(&f.p256, "ES256", json!({"kid": "ec256"}), c.clone());
    let es256_sig = sig_of(&es256);

    // --- alg none, in every spelling ------------------------------------------------------
    for alg in ["none", "None", "NONE", "nOnE"] {
        let input = unsigned(&json!({"alg": alg}).to_string(), &cs);
        // Refused as what it is, an unsigned token: "alg ... is not allowed".
        let empty = format!("{input}.").into_bytes();
        add(&format!("alg {alg}, empty signature"), empty, "unsupported_alg");
        add(&format!("alg {alg}, no third part"), input.clone().into_bytes(), "malformed");
        add(
            &format!("alg {alg}, with a signature"),
            format!("{input}.c2ln").into_bytes(),
            "unsupported_alg",
        );
    }
    for alg in ["", "hs256", "HS256 ", "RSA-OAEP", "dir", "ES256K", "HS1"] {
        let input = unsigned(&json!({"alg": alg}).to_string(), &cs);
        add(&format!("alg {alg:?}"), format!("{input}.c2ln").into_bytes(), "unsupported_alg");
    }
    let input = unsigned(r#"{"typ":"JWT"}"#, &cs);
    add("no alg", format!("{input}.c2ln").into_bytes(), "malformed");
    let input = unsigned(r#"{"alg":["HS256"]}"#, &cs);
    add("alg is an array", format!("{input}.c2ln").into_bytes(), "malformed");

    // --- key confusion: HS256 with a public key as the secret -----------------------------
    for (label, key, kid) in
        [("RSA", &f.rsa, "rsa"), ("EC P-256", &f.p256, "ec256"), ("Ed25519", &f.ed25519, "ed25519")]
    {
        let (der, pem) = key.public_der_pem();
        let jwk_text = key.jwk(json!({"kid": kid})).to_string();
        for (form, secret) in [("PEM", pem), ("DER", der), ("JWK text", jwk_text.into_bytes())] {
            add(
                &format!("HS256 signed with the {label} public key ({form}), its kid"),
                hs256_with(&secret, json!({"alg": "HS256", "kid": kid}), &c).into_bytes(),
                "no_key",
            );
            add(
                &format!("HS256 signed with the {label} public key ({form}), no kid"),
                hs256_with(&secret, json!({"alg": "HS256"}), &c).into_bytes(),
                "bad_signature",
            );
        }
    }
    let Key::Rsa(rsa) = &f.rsa else { unreachable!() };
    let modulus = rsa.rsa().unwrap().n().to_vec();
    add(
        "HS256 signed with the RSA modulus bytes",
        hs256_with(&modulus, json!({"alg": "HS256", "kid": "rsa"}), &c).into_bytes(),
        "no_key",
    );

    // --- ECDSA: CVE-2022-21449 and malformed r||s ------------------------------------------
    for (key, alg, kid, len) in [
        (&f.p256, "ES256", "ec256", 32),
        (&f.p384, "ES384", "ec384", 48),
        (&f.p521, "ES512", "ec521", 66),
    ] {
        let good = token(key, alg, json!({"kid": kid}), c.clone());
        let sig = sig_of(&good);
        let zero = vec![0u8; len];
        add(
            &format!("{alg} all-zero signature"),
            with_signature(&good, &vec![0; 2 * len]).into_bytes(),
            "bad_signature",
        );
        add(
            &format!("{alg} r = 0"),
            with_signature(&good, &[&zero[..], &sig[len..]].concat()).into_bytes(),
            "bad_signature",
        );
        add(
            &format!("{alg} s = 0"),
            with_signature(&good, &[&sig[..len], &zero[..]].concat()).into_bytes(),
            "bad_signature",
        );
        add(
            &format!("{alg} signature of 0xff bytes"),
            with_signature(&good, &vec![0xff; 2 * len]).into_bytes(),
            "bad_signature",
        );
    }
    {
        let Key::Ec(pkey, _) = &f.p256 else { unreachable!() };
        let ec = pkey.ec_key().unwrap();
        let mut order = BigNum::new().unwrap();
        ec.group().order(&mut order, &mut BigNumContext::new().unwrap()).unwrap();
        let n = order.to_vec_padded(32).unwrap();
        add(
            "ES256 r = n",
            with_signature(&es256, &[&n[..], &es256_sig[32..]].concat()).into_bytes(),
            "bad_signature",
        );
        add(
            "ES256 s = n",
            with_signature(&es256, &[&es256_sig[..32], &n[..]].concat()).into_bytes(),
            "bad_signature",
        );
        let input = unsigned(r#"{"alg":"ES256","kid":"ec256"}"#, &cs);
        let der = Signer::new(MessageDigest::sha256(), pkey)
            .unwrap()
            .sign_oneshot_to_vec(input.as_bytes())
            .unwrap();
        add(
            "ES256 with a DER signature (valid, wrong format)",
            format!("{input}.{}", b64(&der)).into_bytes(),
            "bad_signature",
        );
    }

    // --- signatures of the wrong length -----------------------------------------------------
    for (alg, key, kid) in [
        ("HS256", &f.hmac, "hs256"),
        ("RS256", &f.rsa, "rsa"),
        ("PS256", &f.rsa, "rsa"),
        ("ES256", &f.p256, "ec256"),
        ("EdDSA", &f.ed25519, "ed25519"),
    ] {
        let good = token(key, alg, json!({"kid": kid}), c.clone());
        let sig = sig_of(&good);
        add(
            &format!("{alg} signature one byte short"),
            with_signature(&good, &sig[..sig.len() - 1]).into_bytes(),
            "bad_signature",
        );
        add(
            &format!("{alg} signature one byte long"),
            with_signature(&good, &[&sig[..], &[0]].concat()).into_bytes(),
            "bad_signature",
        );
        add(
            &format!("{alg} one-byte signature"),
            with_signature(&good, &[1]).into_bytes(),
            "bad_signature",
        );
        add(
            &format!("{alg} 4 KiB signature"),
            with_signature(&good, &vec![7; 4096]).into_bytes(),
            "bad_signature",
        );
    }
    // A valid signature relabelled to a sibling algorithm.
    let rs = token(&f.rsa, "RS256", json!({"kid": "rsa"}), c.clone());
    let relabelled =
        format!("{}.{}", unsigned(r#"{"alg":"PS256","kid":"rsa"}"#, &cs), b64(&sig_of(&rs)));
    add("RS256 signature under alg PS256", relabelled.into_bytes(), "bad_signature");
    let relabelled =
        format!("{}.{}", unsigned(r#"{"alg":"ES384","kid":"ec256"}"#, &cs), b64(&es256_sig));
    add("ES256 signature under alg ES384 (kid of a P-256 key)", relabelled.into_bytes(), "no_key");

    // --- kid naming a key of another type, or with hostile characters ---------------------
    for (alg, key, kid) in [
        ("RS256", &f.rsa, "ec256"),
        ("RS256", &f.rsa, "hs256"),
        ("ES256", &f.p256, "rsa"),
        ("ES256", &f.p256, "ec384"),
        ("HS256", &f.hmac, "rsa"),
        ("EdDSA", &f.ed25519, "ec256"),
    ] {
        add(
            &format!("{alg} with the kid {kid:?} of another key type"),
            token(key, alg, json!({"kid": kid}), c.clone()).into_bytes(),
            "no_key",
        );
    }
    for kid in [
        "../../../../etc/passwd",
        "/dev/null",
        "..\\..\\windows\\win.ini",
        "rsa/../ec256",
        "' OR '1'='1",
        "rsa' --",
        "1; DROP TABLE keys",
        "\"},{\"kty\":\"oct\",\"k\":\"AAAA\"}",
        "{\"$ne\":null}",
        "rsa\u{0}",
        "\u{0}",
        "*",
        "",
        "ec256\r\nX-Injected: 1",
        "\u{1b}[31mred",
        &"k".repeat(5000),
    ] {
        let shown: String = kid.chars().take(24).collect();
        add(
            &format!("kid {shown:?}"),
            token(&f.rsa, "RS256", json!({"kid": kid}), c.clone()).into_bytes(),
            "no_key",
        );
    }
    for kid in [json!(1), json!(null), json!(["rsa"]), json!({"kid": "rsa"}), json!(true)] {
        add(
            &format!("kid {kid} (not a string)"),
            token(&f.rsa, "RS256", json!({"kid": kid}), c.clone()).into_bytes(),
            "malformed",
        );
    }

    // --- keys named or embedded by the token are never fetched or trusted ------------------
    let attacker = &f.rsa_other;
    let attacker_jwk = attacker.jwk(json!({}));
    for (label, extra, kind) in [
        ("jwk (attacker key embedded), no kid", json!({"jwk": attacker_jwk}), "bad_signature"),
        (
            "jwk (attacker key embedded), kid rsa",
            json!({"jwk": attacker_jwk, "kid": "rsa"}),
            "bad_signature",
        ),
        (
            "jwk (attacker key embedded), its own kid",
            json!({"jwk": attacker.jwk(json!({"kid": "attacker"})), "kid": "attacker"}),
            "no_key",
        ),
        (
            "jku to an attacker JWKS",
            json!({"jku": "https://attacker.example/jwks.json"}),
            "bad_signature",
        ),
        (
            "x5u to an attacker certificate",
            json!({"x5u": "https://attacker.example/c.pem"}),
            "bad_signature",
        ),
        (
            "x5c with an attacker certificate",
            json!({"x5c": [self_signed_cert_b64(attacker)]}),
            "bad_signature",
        ),
        (
            "jku + kid of a real key",
            json!({"jku": "http://127.0.0.1/k", "kid": "rsa"}),
            "bad_signature",
        ),
    ] {
        add(
            &format!("RS256 signed by an attacker, {label}"),
            token(attacker, "RS256", extra, c.clone()).into_bytes(),
            kind,
        );
    }
    let attacker_secret = random(32);
    let header = json!({"alg": "HS256", "jwk": {"kty": "oct", "k": b64(&attacker_secret)}});
    add(
        "HS256 with the attacker secret embedded as an oct jwk",
        hs256_with(&attacker_secret, header, &c).into_bytes(),
        "bad_signature",
    );

    // --- crit ------------------------------------------------------------------------------
    for crit in [
        json!(["exp"]),
        json!(["b64"]),
        json!(["urn:example:unknown"]),
        json!([]),
        json!("x"),
        json!(null),
    ] {
        add(
            &format!("crit {crit}"),
            token(&f.rsa, "RS256", json!({"kid": "rsa", "crit": crit, "b64": false}), c.clone())
                .into_bytes(),
            "malformed",
        );
    }

    // --- non-canonical base64url -----------------------------------------------------------
    {
        // The signature of a validly signed token over a 16-byte header, so the only defect of
        // each variant is the encoding.
        let hs = token_raw(&f.hmac, "HS256", r#"{"alg":"HS256" }"#, r#"{"sub":"alice"} "#);
        let (h, rest) = hs.split_once('.').unwrap();
        let (p, s) = rest.split_once('.').unwrap();
        assert_eq!((h.len() % 4, p.len() % 4), (2, 2));
        let bump = |part: &str| {
            let mut b = part.as_bytes().to_vec();
            let last = b.len() - 1;
            b[last] += 1; // 'g' -> 'h', 'Q' -> 'R', ...: a spare bit set
            String::from_utf8(b).unwrap()
        };
        let std_alphabet = |part: &str| part.replace('-', "+").replace('_', "/");
        let variants: Vec<(&str, String)> = vec![
            ("header padded ==", format!("{h}==.{p}.{s}")),
            ("payload padded ==", format!("{h}.{p}==.{s}")),
            ("signature padded =", format!("{h}.{p}.{s}=")),
            ("header with non-zero trailing bits", format!("{}.{p}.{s}", bump(h))),
            ("payload with non-zero trailing bits", format!("{h}.{}.{s}", bump(p))),
            ("header with a space", format!("{} {}.{p}.{s}", &h[..4], &h[4..])),
            ("payload with a newline", format!("{h}.{}\n{}.{s}", &p[..4], &p[4..])),
            ("header percent-encoded", format!("{}%3D.{p}.{s}", h)),
            ("part of length 1 mod 4", format!("{h}.{p}A.{s}")),
        ];
        for (label, t) in variants {
            add(&format!("base64url: {label}"), t.into_bytes(), "malformed");
        }
        // + and / (standard alphabet) in a signature that has - or _.
        let mut n = 0;
        let mut tok;
        loop {
            tok = token(&f.hmac, "HS256", json!({"kid": "hs256", "n": n}), c.clone());
            let sig = tok.rsplit('.').next().unwrap();
            if sig.contains('-') && sig.contains('_') {
                break;
            }
            n += 1;
        }
        let (input, sig) = tok.rsplit_once('.').unwrap();
        add(
            "base64url: signature in the standard alphabet (+ and /)",
            format!("{input}.{}", std_alphabet(sig)).into_bytes(),
            "malformed",
        );
        let sig_bytes = sig_of(&tok);
        let last = sig.len() - 1;
        if sig.len() % 4 != 0 {
            let mut bumped = sig.as_bytes().to_vec();
            bumped[last] = if bumped[last] == b'_' { b'-' } else { bumped[last] + 1 };
            let bumped = String::from_utf8(bumped).unwrap();
            if b64(&sig_bytes) != bumped {
                add(
                    "base64url: signature with non-zero trailing bits",
                    format!("{input}.{bumped}").into_bytes(),
                    "malformed",
                );
            }
        }
    }

    // --- header or payload not a JSON object -----------------------------------------------
    let sig = b64(b"signature");
    for (label, header, payload) in [
        ("header is an array", r#"["HS256"]"#, cs.as_str()),
        ("header is a string", r#""HS256""#, cs.as_str()),
        ("header is a number", "256", cs.as_str()),
        ("header is null", "null", cs.as_str()),
        ("header is not JSON", "alg=HS256", cs.as_str()),
        ("header has trailing data", r#"{"alg":"HS256"}{"alg":"none"}"#, cs.as_str()),
        ("header has a BOM", "\u{feff}{\"alg\":\"HS256\"}", cs.as_str()),
        ("header with single quotes", "{'alg':'HS256'}", cs.as_str()),
        ("header with a trailing comma", r#"{"alg":"HS256",}"#, cs.as_str()),
        ("payload is an array", r#"{"alg":"HS256"}"#, r#"[{"sub":"alice"}]"#),
        ("payload is a string", r#"{"alg":"HS256"}"#, r#""alice""#),
        ("payload is a number", r#"{"alg":"HS256"}"#, "1"),
        ("payload is true", r#"{"alg":"HS256"}"#, "true"),
        ("payload is not JSON", r#"{"alg":"HS256"}"#, "sub=alice"),
        ("payload is truncated JSON", r#"{"alg":"HS256"}"#, r#"{"sub":"alice""#),
        ("payload has a NaN", r#"{"alg":"HS256"}"#, r#"{"exp":NaN}"#),
        ("payload has a raw control character", r#"{"alg":"HS256"}"#, "{\"sub\":\"a\u{1}\"}"),
    ] {
        add(label, format!("{}.{sig}", unsigned(header, payload)).into_bytes(), "malformed");
    }

    // --- duplicate members -------------------------------------------------------------------
    for (label, header, payload) in [
        ("duplicate alg (HS256, none)", r#"{"alg":"HS256","alg":"none"}"#, cs.as_str()),
        ("duplicate alg (none, HS256)", r#"{"alg":"none","alg":"HS256"}"#, cs.as_str()),
        ("duplicate alg via a \\u escape", r#"{"alg":"HS256","\u0061lg":"none"}"#, cs.as_str()),
        ("duplicate kid", r#"{"alg":"HS256","kid":"hs256","kid":"rsa"}"#, cs.as_str()),
        ("duplicate sub", r#"{"alg":"HS256","kid":"hs256"}"#, r#"{"sub":"alice","sub":"admin"}"#),
        ("duplicate exp", r#"{"alg":"HS256","kid":"hs256"}"#, r#"{"exp":1,"exp":4000000000}"#),
        ("duplicate nested member", r#"{"alg":"HS256","kid":"hs256"}"#, r#"{"a":[{"b":1,"b":2}]}"#),
    ] {
        // Signed with the right key: only the duplicate is wrong.
        add(label, token_raw(&f.hmac, "HS256", header, payload).into_bytes(), "malformed");
    }

    // --- deep nesting and size -----------------------------------------------------------------
    let deep_array = format!("{{\"a\":{}1{}}}", "[".repeat(40), "]".repeat(40));
    add(
        "payload nested 41 levels",
        token_raw(&f.hmac, "HS256", r#"{"alg":"HS256"}"#, &deep_array).into_bytes(),
        "malformed",
    );
    let unclosed = format!("{{\"a\":{}", "[".repeat(10_000));
    add(
        "payload with 10,000 unclosed [",
        format!("{}.{sig}", unsigned(r#"{"alg":"HS256"}"#, &unclosed)).into_bytes(),
        "malformed",
    );
    let deep_header =
        format!("{{\"alg\":\"HS256\",\"x\":{}1{}}}", "{\"a\":".repeat(200), "}".repeat(200));
    add(
        "header nested 201 levels",
        format!("{}.{sig}", unsigned(&deep_header, &cs)).into_bytes(),
        "malformed",
    );
    let big = json!({"sub": "alice", "exp": NOW + 3600, "pad": "x".repeat(1 << 20)}).to_string();
    add(
        "1 MiB token, validly signed",
        token_raw(&f.hmac, "HS256", r#"{"alg":"HS256"}"#, &big).into_bytes(),
        "malformed",
    );
    let just_over = {
        let base = token_raw(&f.hmac, "HS256", r#"{"alg":"HS256"}"#, r#"{"p":""}"#).len();
        let pad = "x".repeat((16385 - base) * 3 / 4 + 3);
        token_raw(&f.hmac, "HS256", r#"{"alg":"HS256"}"#, &json!({ "p": pad }).to_string())
    };
    assert!(just_over.len() > 16384 && just_over.len() < 16400, "{}", just_over.len());
    add("token just over 16 KiB, validly signed", just_over.into_bytes(), "malformed");
    add("1 MiB of dots", vec![b'.'; 1 << 20], "malformed");

    // --- bytes that are not UTF-8 ----------------------------------------------------------------
    let mut raw = es256.clone().into_bytes();
    raw.insert(10, 0xff);
    add("a 0xff byte inside the header part", raw, "malformed");
    let mut raw = es256.clone().into_bytes();
    raw.push(0x80);
    add("a 0x80 byte after the signature", raw, "malformed");
    add("NUL bytes", es256.replacen('.', "\0.", 1).into_bytes(), "malformed");
    for (label, header, payload) in [
        (
            "invalid UTF-8 in a header string",
            &b"{\"alg\":\"HS256\",\"x\":\"\xff\"}"[..],
            cs.as_bytes(),
        ),
        ("overlong UTF-8 in the payload", br#"{"alg":"HS256"}"#, b"{\"sub\":\"\xc0\xaf\"}"),
        ("UTF-16 payload", br#"{"alg":"HS256"}"#, b"\xff\xfe{\x00}\x00"),
        ("lone surrogate escape", br#"{"alg":"HS256"}"#, br#"{"sub":"\ud800"}"#),
    ] {
        add(label, format!("{}.{}.{sig}", b64(header), b64(payload)).into_bytes(), "malformed");
    }

    // --- empty parts and part counts ------------------------------------------------------------
    let (h, rest) = es256.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    for (label, t) in [
        ("empty token", String::new()),
        ("a single dot", ".".to_owned()),
        ("two dots", "..".to_owned()),
        ("empty header", format!(".{p}.{s}")),
        ("empty payload", format!("{h}..{s}")),
        ("empty signature", format!("{h}.{p}.")),
        ("one part", h.to_owned()),
        ("two parts", format!("{h}.{p}")),
        ("four parts", format!("{h}.{p}.{s}.{s}")),
        ("four parts, last empty", format!("{h}.{p}.{s}.")),
        ("six parts", format!("{h}.{p}.{s}.{s}.{s}.{s}")),
        ("leading dot", format!(".{h}.{p}.{s}")),
    ] {
        add(label, t.into_bytes(), "malformed");
    }
    // A token of the JWE shape is another kind of token than a signed location takes.
    add("five parts (JWE shape)", format!("{h}.{p}.{s}.{s}.{s}").into_bytes(), "wrong_type");

    // --- exp and nbf of the wrong type or range (validly signed) ---------------------------------
    for (label, claims) in [
        ("exp as a string", json!({"exp": (NOW + 3600).to_string()})),
        ("nbf as a string", json!({"nbf": "0"})),
        ("exp as a bool", json!({"exp": true})),
        ("exp null", json!({"exp": null})),
        ("exp as an array", json!({"exp": [NOW + 3600]})),
        ("exp as an object", json!({"exp": {"$gt": 0}})),
        ("exp huge (2^53 + 1)", json!({"exp": 9_007_199_254_740_993u64})),
        ("exp u64::MAX", json!({"exp": u64::MAX})),
        ("exp 1e300", json!({"exp": 1e300})),
        ("nbf 1e300", json!({"nbf": 1e300})),
        ("exp negative", json!({"exp": -1})),
        ("nbf negative", json!({"nbf": -1})),
        ("exp negative float", json!({"exp": -0.5})),
        ("exp i64::MIN", json!({"exp": i64::MIN})),
        ("exp a float in the past", json!({"exp": (NOW - 10) as f64 + 0.75})),
        ("nbf a float in the future", json!({"nbf": (NOW + 10) as f64 + 0.25})),
        ("exp just passed", json!({"exp": NOW})),
        ("exp 0", json!({"exp": 0})),
        ("nbf far in the future", json!({"nbf": 9_007_199_254_740_992u64})),
    ] {
        let kind = match label {
            "exp a float in the past" | "exp just passed" | "exp 0" => "expired",
            "nbf a float in the future" | "nbf far in the future" => "not_yet_valid",
            _ => "malformed",
        };
        add(label, token(&f.p256, "ES256", json!({"kid": "ec256"}), claims).into_bytes(), kind);
    }
    for (label, payload) in [
        ("exp 1e400 (overflows a double)", r#"{"exp":1e400}"#),
        ("exp with a leading +", r#"{"exp":+4000000000}"#),
        ("exp in hex", r#"{"exp":0x7fffffff}"#),
    ] {
        add(
            label,
            token_raw(&f.p256, "ES256", r#"{"alg":"ES256","kid":"ec256"}"#, payload).into_bytes(),
            "malformed",
        );
    }

    // --- tampering with a valid token --------------------------------------------------------------
    let admin = es256.replacen(
        p,
        &b64(json!({"sub": "admin", "exp": NOW + 3600}).to_string().as_bytes()),
        1,
    );
    add("payload swapped, signature kept", admin.into_bytes(), "bad_signature");
    add(
        "signed by another key with the same kid",
        token(&f.p256_other, "ES256", json!({"kid": "ec256"}), c.clone()).into_bytes(),
        "bad_signature",
    );
    add(
        "unknown kid",
        token(&f.p256, "ES256", json!({"kid": "ec999"}), c.clone()).into_bytes(),
        "no_key",
    );

    out
}

fn check(case: &Case, keys: &KeySet) -> Result<(), String> {
    let r = match validate(&case.token, Some(keys), NOW, 0, &Limits::default()) {
        Ok(_) => return Err(format!("{}: ACCEPTED", case.name)),
        Err(r) => r,
    };
    let message = r.to_string();
    if r.kind() != case.kind {
        return Err(format!(
            "{}: kind {} ({message}), expected {}",
            case.name,
            r.kind(),
            case.kind
        ));
    }
    if message.len() > 160 || !message.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(format!("{}: message is not one short printable line: {message:?}", case.name));
    }
    // The message never quotes the token (kids are quoted, escaped and cut to 64 bytes).
    for part in case.token.split(|&b| b == b'.').filter(|p| p.len() >= 8) {
        let part = String::from_utf8_lossy(part);
        if message.contains(part.as_ref()) {
            return Err(format!("{}: message quotes the token: {message}", case.name));
        }
    }
    Ok(())
}

#[test]
fn every_hostile_token_is_refused_with_the_expected_kind() {
    let keys = every_key_type();
    let cases = cases();
    let failures: Vec<String> = cases.iter().filter_map(|case| check(case, &keys).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!("adversarial: {} hostile tokens refused", cases.len());
    assert!(cases.len() >= 150, "{}", cases.len());
}

#[test]
fn the_same_set_accepts_honest_tokens() {
    // Controls: the key set is not simply refusing everything.
    let f = fixtures();
    let keys = every_key_type();
    for (alg, key, kid) in [
        ("HS256", &f.hmac, "hs256"),
        ("HS512", &f.hmac64, "hs512"),
        ("RS256", &f.rsa, "rsa"),
        ("PS512", &f.rsa, "rsa"),
        ("ES256", &f.p256, "ec256"),
        ("ES384", &f.p384, "ec384"),
        ("ES512", &f.p521, "ec521"),
        ("EdDSA", &f.ed25519, "ed25519"),
        ("EdDSA", &f.ed448, "ed448"),
    ] {
        for header in [json!({"kid": kid}), json!({})] {
            let t = token(key, alg, header, claims());
            assert!(
                validate(t.as_bytes(), Some(&keys), NOW, 0, &Limits::default()).is_ok(),
                "{alg}"
            );
        }
    }
    // jku/x5u/jwk members are ignored, not refused: with a genuine signature the token passes.
    let t = token(
        &f.rsa,
        "RS256",
        json!({"kid": "rsa", "jku": "https://x.example/", "jwk": f.rsa_other.jwk(json!({}))}),
        claims(),
    );
    assert!(validate(t.as_bytes(), Some(&keys), NOW, 0, &Limits::default()).is_ok());
}

#[test]
fn structural_attacks_are_refused_even_without_a_key_file() {
    // With no auth_jwt_key_file, NGINX Plus does not verify signatures; everything that is not
    // about the signature must still be refused.
    let mut n = 0;
    for case in cases() {
        if matches!(case.kind, "bad_signature" | "no_key") {
            continue;
        }
        n += 1;
        let r = validate(&case.token, None, NOW, 0, &Limits::default());
        assert!(r.is_err(), "{}: accepted without keys", case.name);
        assert_eq!(r.err().map(|r| r.kind()), Some(case.kind), "{}", case.name);
    }
    assert!(n >= 100, "{n}");
}

#[test]
fn bearer_header_edge_cases() {
    // No token at all: 401 without error="invalid_token".
    for value in [
        &b"Bearer"[..],
        b"Bearer ",
        b"Bearer      ",
        b"Bearer \t ",
        b"bearer",
        b"Bearer\ttoken",
        b"Bearertoken",
        b"Basic YWxhZGRpbjpvcGVuc2VzYW1l",
        b"",
        b" Bearer x",
        b"Bearer\x00x",
    ] {
        assert_eq!(bearer_token(value), None, "{:?}", String::from_utf8_lossy(value));
    }
    // Several spaces before a real token are allowed (RFC 6750: 1*SP).
    let t = token(&fixtures().p256, "ES256", json!({"kid": "ec256"}), claims());
    let header = format!("Bearer     {t}");
    assert_eq!(bearer_token(header.as_bytes()), Some(t.as_bytes()));
    assert!(validate(t.as_bytes(), Some(&every_key_type()), NOW, 0, &Limits::default()).is_ok());
    // Anything else after the scheme is a token, and is judged (and refused) as one.
    for value in
        [&b"Bearer a b"[..], b"Bearer a.b.c", b"Bearer \xff\xfe", b"Bearer ,", b"Bearer \"x\""]
    {
        let token = bearer_token(value).unwrap();
        let r = validate(token, Some(&every_key_type()), NOW, 0, &Limits::default()).unwrap_err();
        assert_eq!(r.kind(), "malformed");
    }
}

#[test]
fn tight_limits_hold_for_every_case() {
    // The same cases under much smaller limits: still refused, never a panic.
    let keys = every_key_type();
    let tight = Limits { max_token_bytes: 200, max_json_depth: 2 };
    for case in cases() {
        assert!(validate(&case.token, Some(&keys), NOW, 0, &tight).is_err(), "{}", case.name);
        // Extreme clocks and leeways: no overflow, no panic (an infinite leeway may accept an
        // expired token, which is what it asks for).
        let _ = validate(&case.token, Some(&keys), i64::MAX, u64::MAX, &Limits::default());
        let _ = validate(&case.token, Some(&keys), i64::MIN, u64::MAX, &Limits::default());
    }
}

/// The verdict of a token as a comparable line: status word and log reason, or the fields.
fn verdict_line(verdict: &Verdict<TokenFields>) -> String {
    match verdict {
        Verdict::Valid(fields) => format!("ok {}", fields.payload()),
        Verdict::Rejected(r) => format!("{} {r}", r.kind()),
        Verdict::KeysUnusable(e) => format!("key_error {e}"),
        Verdict::NeedKeys(i) => format!("need keys {i}"),
    }
}

#[test]
fn cached_and_full_validation_agree_on_every_case() {
    // The pipeline takes the cache path for a location with one ready key set: a first
    // request (miss) and a second (hit) must each say exactly what a full verification says,
    // at every moment of the token's life.
    let keys = Arc::new(every_key_type());
    let sources = [SourceKeys::Ready(Arc::clone(&keys))];
    let f = fixtures();
    let mut tokens: Vec<Vec<u8>> = cases().into_iter().map(|case| case.token).collect();
    for (alg, key) in [("RS256", &f.rsa), ("ES256", &f.p256), ("HS256", &f.hmac)] {
        let times = json!({"sub": "a", "exp": NOW + 3600, "nbf": NOW - 10});
        tokens.push(token(key, alg, json!({}), times).into_bytes());
    }
    let mut cache = VerifiedCache::new(64);
    let mut compared = 0;
    for now in [NOW - 100, NOW, NOW + 7200] {
        for leeway_secs in [0, 300] {
            let clock = Clock { now, leeway_secs };
            for token in &tokens {
                let full = Validator::new(clock, Limits::default()).validate(
                    token,
                    Some(&sources),
                    Verified::into_fields,
                );
                for round in ["miss", "hit"] {
                    let cached = Validator::new(clock, Limits::default())
                        .with_cache(&mut cache)
                        .validate(token, Some(&sources), Verified::into_fields);
                    assert_eq!(
                        verdict_line(&cached),
                        verdict_line(&full),
                        "{round} at {now}, leeway {leeway_secs}"
                    );
                    compared += 1;
                }
            }
        }
    }
    assert!(cache.stats().hits > 0, "the cache was never hit");
    assert!(compared >= 1000, "{compared}");
}

/// Decryption keys of every kind, generated with OpenSSL: oct keys of every CEK and KEK length
/// (no kid), an RSA, a P-256 and an X25519 private key.
fn every_decryption_key() -> auth_jwt_core::jwe::DecryptionKeys {
    let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
    let m = |n: &openssl::bn::BigNumRef| json!(b64(&n.to_vec()));
    let rsa = json!({"kty": "RSA", "n": m(rsa.n()), "e": m(rsa.e()), "d": m(rsa.d()),
        "p": m(rsa.p().unwrap()), "q": m(rsa.q().unwrap()), "dp": m(rsa.dmp1().unwrap()),
        "dq": m(rsa.dmq1().unwrap()), "qi": m(rsa.iqmp().unwrap())});
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    let ec = openssl::ec::EcKey::generate(&group).unwrap();
    let (mut x, mut y) = (BigNum::new().unwrap(), BigNum::new().unwrap());
    let mut ctx = BigNumContext::new().unwrap();
    ec.public_key().affine_coordinates(&group, &mut x, &mut y, &mut ctx).unwrap();
    let fixed = |n: &BigNum| json!(b64(&n.to_vec_padded(32).unwrap()));
    let p256 = json!({"kty": "EC", "crv": "P-256", "x": fixed(&x), "y": fixed(&y),
        "d": fixed(&ec.private_key().to_owned().unwrap())});
    let x25519 = openssl::pkey::PKey::generate_x25519().unwrap();
    let okp = json!({"kty": "OKP", "crv": "X25519", "kid": "x",
        "x": b64(&x25519.raw_public_key().unwrap()), "d": b64(&x25519.raw_private_key().unwrap())});
    let mut keys = vec![rsa, p256, okp];
    for len in [16, 24, 32, 48, 64] {
        keys.push(json!({"kty": "oct", "k": b64(&vec![0x5a; len])}));
    }
    let json = serde_json::to_vec(&json!({ "keys": keys })).unwrap();
    auth_jwt_core::jwe::DecryptionKeys::from_json(&json).unwrap()
}

/// Encrypted tokens crafted to slip through: refused by the JWE decrypter with the expected
/// kind and a short printable message that never quotes the token.
#[test]
fn hostile_encrypted_tokens_are_refused_by_the_jwe_decrypter() {
    use auth_jwt_core::jwe::{self, Jwe, JweLimits};

    let keys = every_decryption_key();
    let junk = |n: usize| b64(&(0..n).map(|i| (i * 37 + 11) as u8).collect::<Vec<_>>());
    let token = |header: Value, ek: usize, iv: usize, ct: usize, tag: usize| {
        let ek = if ek == 0 { String::new() } else { junk(ek) };
        format!(
            "{}.{ek}.{}.{}.{}",
            b64(header.to_string().as_bytes()),
            junk(iv),
            junk(ct),
            junk(tag)
        )
    };
    let p256_off_curve =
        json!({"kty": "EC", "crv": "P-256", "x": b64(&[1; 32]), "y": b64(&[1; 32])});
    let x25519_zero = json!({"kty": "OKP", "crv": "X25519", "x": b64(&[0; 32])});
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "alg none",
            token(json!({"alg": "none", "enc": "A128GCM"}), 0, 12, 32, 16),
            "unsupported_alg",
        ),
        (
            "RSA1_5",
            token(json!({"alg": "RSA1_5", "enc": "A128GCM"}), 256, 12, 32, 16),
            "unsupported_alg",
        ),
        (
            "JWS alg",
            token(json!({"alg": "HS256", "enc": "A128GCM"}), 0, 12, 32, 16),
            "unsupported_alg",
        ),
        (
            "zip",
            token(json!({"alg": "dir", "enc": "A128GCM", "zip": "DEF"}), 0, 12, 32, 16),
            "unsupported_alg",
        ),
        (
            "crit",
            token(
                json!({"alg": "dir", "enc": "A128GCM", "crit": ["b64"], "b64": false}),
                0,
                12,
                32,
                16,
            ),
            "malformed",
        ),
        (
            "p2c 2^31",
            token(
                json!({"alg": "PBES2-HS256+A128KW", "enc": "A128GCM", "p2c": 1u64 << 31, "p2s": b64(&[1; 16])}),
                24,
                12,
                32,
                16,
            ),
            "malformed",
        ),
        (
            "p2s short",
            token(
                json!({"alg": "PBES2-HS256+A128KW", "enc": "A128GCM", "p2c": 1000, "p2s": b64(&[1; 4])}),
                24,
                12,
                32,
                16,
            ),
            "malformed",
        ),
        (
            "epk off curve",
            token(
                json!({"alg": "ECDH-ES", "enc": "A128GCM", "epk": p256_off_curve}),
                0,
                12,
                32,
                16,
            ),
            "malformed",
        ),
        (
            "epk X25519 zero",
            token(json!({"alg": "ECDH-ES", "enc": "A128GCM", "epk": x25519_zero}), 0, 12, 32, 16),
            "decrypt_failed",
        ),
        (
            "epk X25519 as EC",
            token(
                json!({"alg": "ECDH-ES", "enc": "A128GCM", "epk": {"kty": "EC", "crv": "X25519", "x": b64(&[9; 32])}}),
                0,
                12,
                32,
                16,
            ),
            "malformed",
        ),
        (
            "dir with encrypted key",
            token(json!({"alg": "dir", "enc": "A128GCM"}), 24, 12, 32, 16),
            "malformed",
        ),
        ("GCM IV 16", token(json!({"alg": "dir", "enc": "A128GCM"}), 0, 16, 32, 16), "malformed"),
        ("GCM tag 8", token(json!({"alg": "dir", "enc": "A128GCM"}), 0, 12, 32, 8), "malformed"),
        (
            "CBC partial block",
            token(json!({"alg": "dir", "enc": "A256CBC-HS512"}), 0, 16, 17, 32),
            "malformed",
        ),
        (
            "A128KW forged",
            token(json!({"alg": "A128KW", "enc": "A128GCM"}), 24, 12, 32, 16),
            "decrypt_failed",
        ),
        (
            "dir forged",
            token(json!({"alg": "dir", "enc": "A128CBC-HS256"}), 0, 16, 32, 16),
            "decrypt_failed",
        ),
        (
            "RSA-OAEP forged",
            token(json!({"alg": "RSA-OAEP-256", "enc": "A128GCM"}), 256, 12, 32, 16),
            "decrypt_failed",
        ),
        (
            "embedded jwk ignored",
            token(
                json!({"alg": "dir", "enc": "A128GCM", "jwk": {"kty": "oct", "k": b64(&[0; 16])}}),
                0,
                12,
                32,
                16,
            ),
            "decrypt_failed",
        ),
        (
            "unknown kid",
            token(
                json!({"alg": "ECDH-ES", "enc": "A128GCM", "kid": "nobody", "epk": {"kty": "OKP", "crv": "X25519", "x": b64(&[9; 32])}}),
                0,
                12,
                32,
                16,
            ),
            "no_key",
        ),
        (
            "huge ciphertext",
            token(json!({"alg": "dir", "enc": "A128GCM"}), 0, 12, 20_000, 16),
            "malformed",
        ),
        (
            "six parts",
            format!("{}.x", token(json!({"alg": "dir", "enc": "A128GCM"}), 0, 12, 32, 16)),
            "malformed",
        ),
        (
            "duplicate alg",
            format!(
                "{}..{}.{}.{}",
                b64(br#"{"alg":"dir","enc":"A128GCM","alg":"A128KW"}"#),
                junk(12),
                junk(32),
                junk(16)
            ),
            "malformed",
        ),
    ];
    for (name, token, kind) in &cases {
        let result = Jwe::parse(token.as_bytes(), &JweLimits::default())
            .and_then(|parsed| jwe::decrypt(&parsed, &keys));
        let err = match result {
            Ok(_) => panic!("{name}: ACCEPTED"),
            Err(err) => err,
        };
        assert_eq!(err.kind(), *kind, "{name}: {err}");
        let message = err.to_string();
        assert!(
            message.len() <= 160 && message.bytes().all(|b| (0x20..0x7f).contains(&b)),
            "{name}: {message:?}"
        );
        for part in token.split('.').filter(|p| p.len() >= 8) {
            assert!(!message.contains(part), "{name}: message quotes the token: {message}");
        }
    }
    eprintln!("adversarial: {} hostile encrypted tokens refused", cases.len());
}
