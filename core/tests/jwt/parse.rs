//! Structure checks of `Jws::parse`: parts, base64url, JSON, header members, size limits.

use serde_json::json;

use auth_jwt_core::{Algorithm, Jws, Limits, Rejection};

use crate::common::*;

fn reject(token: &[u8]) -> Rejection {
    Jws::parse(token, &limits()).unwrap_err()
}

/// The rejection kind and message; also checks that the message does not quote the token.
fn check(token: &[u8]) -> (&'static str, String) {
    let r = reject(token);
    let message = r.to_string();
    for part in token.split(|&b| b == b'.').filter(|p| p.len() >= 4) {
        let part = String::from_utf8_lossy(part);
        assert!(!message.contains(part.as_ref()), "{message} quotes {part}");
    }
    assert!(!message.contains('\n'));
    (r.kind(), message)
}

const HEADER: &str = r#"{"alg":"HS256"}"#;

fn sig() -> String {
    b64(&[1, 2, 3, 4, 5, 6])
}

/// A token from raw header and claims bytes with a dummy signature.
fn raw(header: &[u8], claims: &[u8]) -> String {
    format!("{}.{}.{}", b64(header), b64(claims), sig())
}

#[test]
fn a_well_formed_token_parses() {
    let token = token_raw(
        &fixtures().hmac,
        "HS256",
        r#"{"alg":"HS256","kid":"k1","typ":"JWT","x5u":"https://evil.example/k"}"#,
        r#"{"sub":"alice","nested":{"a":[1,2]}}"#,
    );
    let jws = Jws::parse(token.as_bytes(), &limits()).unwrap();
    assert_eq!(jws.algorithm(), Algorithm::HS256);
    assert_eq!(jws.kid(), Some("k1"));
    assert_eq!(jws.header()["typ"], "JWT");
    assert_eq!(jws.claims()["sub"], "alice");
    assert_eq!(jws.claims()["nested"]["a"][1], 2);
    let debug = format!("{jws:?}");
    assert!(debug.contains("HS256") && !debug.contains("alice"), "{debug}");
}

#[test]
fn wrong_part_counts_are_malformed() {
    let (h, p, s) = (b64(HEADER.as_bytes()), b64(b"{}"), sig());
    for token in [
        String::new(),
        h.clone(),
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}.{p}.{s}.{s}.{s}.{s}"),
        ".".to_owned(),
        "...".to_owned(),
    ] {
        let (kind, message) = check(token.as_bytes());
        assert_eq!(kind, "malformed", "{token}");
        assert_eq!(message, "token does not consist of three dot-separated parts");
    }
}

#[test]
fn jwe_is_the_wrong_type_with_its_own_reason() {
    let (h, p, s) = (b64(br#"{"alg":"dir","enc":"A256GCM"}"#), b64(b"{}"), sig());
    for token in [format!("{h}.{p}.{s}.{s}.{s}"), format!("{h}..{s}.{s}.{s}"), "....".to_owned()] {
        let (kind, message) = check(token.as_bytes());
        assert_eq!(kind, "wrong_type");
        assert_eq!(message, "encrypted token where auth_jwt_type is signed");
    }
}

#[test]
fn empty_parts_are_malformed() {
    let (h, p, s) = (b64(HEADER.as_bytes()), b64(b"{}"), sig());
    for (token, message) in [
        (format!(".{p}.{s}"), "header is empty"),
        (format!("{h}..{s}"), "payload is empty"),
        (format!("{h}.{p}."), "signature is empty"),
        ("..".to_owned(), "header is empty"),
    ] {
        assert_eq!(check(token.as_bytes()), ("malformed", message.to_owned()), "{token}");
    }
}

#[test]
fn non_canonical_base64url_is_malformed() {
    let h = b64(HEADER.as_bytes());
    let p = b64(br#"{"sub":"a"}"#);
    // Header `{"alg":"HS256"}` is 15 bytes: 20 characters, so padding would be "" - use a
    // 16-byte header to get a padded form.
    let h16 = b64(br#"{"alg":"HS256" }"#);
    assert_eq!(h16.len() % 4, 2);
    let cases = [
        (
            format!("{h16}==.{p}.{}", sig()),
            "header is not valid base64url: padding \"=\" is not allowed",
        ),
        (
            format!("{h}.{p}=.{}", sig()),
            "payload is not valid base64url: padding \"=\" is not allowed",
        ),
        (
            format!("{h}.{p}.{}==", b64(b"ab")),
            "signature is not valid base64url: padding \"=\" is not allowed",
        ),
        (
            format!("{}.{p}.{}", h.replace('J', "+"), sig()),
            "header is not valid base64url: \"+\" and \"/\" are not in the base64url alphabet",
        ),
        (
            format!("{h}.{p}.{}/", b64(b"abc")),
            "signature is not valid base64url: \"+\" and \"/\" are not in the base64url alphabet",
        ),
        (format!("{h} .{p}.{}", sig()), "header is not valid base64url: whitespace is not allowed"),
        (
            format!("{h}.{p}\n.{}", sig()),
            "payload is not valid base64url: whitespace is not allowed",
        ),
        (format!("{h}.{p}.A{}", sig()), "signature is not valid base64url: invalid length"),
        (format!("{h}.{p}.{}", "AB"), "signature is not valid base64url: non-zero trailing bits"),
        (format!("{h}.{p}xx.{}", sig()), "payload is not valid base64url: invalid length"),
        (
            format!("{h}.{p}.{}*", b64(b"abc")),
            "signature is not valid base64url: invalid character",
        ),
    ];
    for (token, message) in cases {
        let (kind, got) = check(token.as_bytes());
        assert_eq!(kind, "malformed", "{token}");
        assert_eq!(got, message, "{token}");
    }
}

#[test]
fn non_canonical_trailing_bits_in_header_are_malformed() {
    // `{"alg":"HS256" }` ends in 2 leftover characters; bump the last one to set a spare bit.
    let mut h16 = b64(br#"{"alg":"HS256" }"#).into_bytes();
    let last = h16.len() - 1;
    h16[last] += 1;
    let token = format!("{}.{}.{}", String::from_utf8(h16).unwrap(), b64(b"{}"), sig());
    let (kind, message) = check(token.as_bytes());
    assert_eq!(kind, "malformed");
    assert_eq!(message, "header is not valid base64url: non-zero trailing bits");
}

#[test]
fn non_utf8_tokens_are_malformed() {
    let mut token = raw(HEADER.as_bytes(), b"{}").into_bytes();
    token.insert(3, 0xff);
    assert_eq!(reject(&token).kind(), "malformed");
    let token = [0xc3, 0xa9, b'.', b'a', b'.', b'b'];
    assert_eq!(reject(&token).kind(), "malformed");
}

#[test]
fn non_utf8_json_is_malformed() {
    let (kind, message) = check(raw(b"{\"alg\":\"HS256\",\"x\":\"\xff\"}", b"{}").as_bytes());
    assert_eq!(kind, "malformed");
    assert!(message.starts_with("header is not valid JSON"), "{message}");
    let (kind, message) = check(raw(HEADER.as_bytes(), b"{\"sub\":\"\xc0\xaf\"}").as_bytes());
    assert_eq!(kind, "malformed");
    assert!(message.starts_with("payload is not valid JSON"), "{message}");
}

#[test]
fn invalid_json_is_malformed() {
    for header in [
        &br#"{"alg":"HS256" "kid":"a"}"#[..],
        br#"{"alg":"HS256",}"#,
        br#"{"alg":"HS256"} x"#,
        br#"{"alg":'HS256'}"#,
        b"\xef\xbb\xbf{\"alg\":\"HS256\"}",
        b"",
    ] {
        if header.is_empty() {
            continue; // an empty header part is reported as empty, tested elsewhere
        }
        let (kind, message) = check(raw(header, b"{}").as_bytes());
        assert_eq!(kind, "malformed");
        assert!(message.starts_with("header is not valid JSON: "), "{message}");
    }
    let (kind, message) = check(raw(HEADER.as_bytes(), br#"{"a":1"#).as_bytes());
    assert_eq!(kind, "malformed");
    assert!(message.starts_with("payload is not valid JSON: EOF"), "{message}");
}

#[test]
fn header_and_payload_must_be_objects() {
    for value in [&b"[]"[..], b"\"HS256\"", b"1", b"null", b"true"] {
        assert_eq!(check(raw(value, b"{}").as_bytes()).1, "header is not a JSON object");
        assert_eq!(
            check(raw(HEADER.as_bytes(), value).as_bytes()).1,
            "payload is not a JSON object"
        );
    }
}

#[test]
fn duplicate_members_are_malformed() {
    let cases = [
        (&br#"{"alg":"HS256","alg":"none"}"#[..], &b"{}"[..], "header has duplicate member names"),
        (br#"{"alg":"none","alg":"HS256"}"#, b"{}", "header has duplicate member names"),
        (
            br#"{"alg":"HS256","kid":"a","\u006bid":"b"}"#,
            b"{}",
            "header has duplicate member names",
        ),
        (
            HEADER.as_bytes(),
            br#"{"sub":"alice","sub":"admin"}"#,
            "payload has duplicate member names",
        ),
        (
            HEADER.as_bytes(),
            br#"{"a":{"b":[{"c":1,"c":2}]}}"#,
            "payload has duplicate member names",
        ),
    ];
    for (header, claims, message) in cases {
        assert_eq!(check(raw(header, claims).as_bytes()), ("malformed", message.to_owned()));
    }
}

#[test]
fn deep_nesting_is_malformed() {
    let deep = format!("{{\"a\":{}", "[".repeat(10_000));
    let token = raw(HEADER.as_bytes(), deep.as_bytes());
    assert!(token.len() < 16384);
    assert_eq!(
        check(token.as_bytes()),
        ("malformed", "payload is nested deeper than 32 levels".to_owned())
    );

    let deep = format!("{{\"alg\":\"HS256\",\"x\":{}", "{\"a\":".repeat(2000));
    let token = raw(deep.as_bytes(), b"{}");
    assert_eq!(
        check(token.as_bytes()),
        ("malformed", "header is nested deeper than 32 levels".to_owned())
    );

    // Exactly at the limit is fine; one more level is not.
    let nest =
        |levels: usize| format!("{{\"a\":{}1{}}}", "[".repeat(levels - 1), "]".repeat(levels - 1));
    let small = Limits { max_json_depth: 4, ..Limits::default() };
    assert!(Jws::parse(raw(HEADER.as_bytes(), nest(4).as_bytes()).as_bytes(), &small).is_ok());
    let r = Jws::parse(raw(HEADER.as_bytes(), nest(5).as_bytes()).as_bytes(), &small).unwrap_err();
    assert_eq!(r.to_string(), "payload is nested deeper than 4 levels");
}

#[test]
fn oversized_tokens_are_malformed_before_any_decoding() {
    let claims = json!({"pad": "x".repeat(1 << 20)}).to_string();
    let token = raw(HEADER.as_bytes(), claims.as_bytes());
    assert!(token.len() > 1 << 20);
    assert_eq!(
        check(token.as_bytes()),
        ("malformed", "token is longer than 16384 bytes".to_owned())
    );
    // A megabyte of garbage too.
    assert_eq!(reject(&vec![b'.'; 1 << 20]).to_string(), "token is longer than 16384 bytes");

    // The limit is inclusive.
    let token = raw(HEADER.as_bytes(), b"{}");
    let exact = Limits { max_token_bytes: token.len(), ..Limits::default() };
    assert!(Jws::parse(token.as_bytes(), &exact).is_ok());
    let below = Limits { max_token_bytes: token.len() - 1, ..Limits::default() };
    assert_eq!(Jws::parse(token.as_bytes(), &below).unwrap_err().kind(), "malformed");
}

#[test]
fn alg_must_be_a_supported_string() {
    let cases = [
        (r#"{"typ":"JWT"}"#, "malformed", "header has no \"alg\""),
        (r#"{"alg":256}"#, "malformed", "header \"alg\" is not a string"),
        (r#"{"alg":null}"#, "malformed", "header \"alg\" is not a string"),
        (r#"{"alg":["HS256"]}"#, "malformed", "header \"alg\" is not a string"),
        (r#"{"alg":"HS1"}"#, "unsupported_alg", "unsupported algorithm \"HS1\""),
        (r#"{"alg":"ES256K"}"#, "unsupported_alg", "unsupported algorithm \"ES256K\""),
        (r#"{"alg":"Ed25519"}"#, "unsupported_alg", "unsupported algorithm \"Ed25519\""),
    ];
    for (header, kind, message) in cases {
        assert_eq!(check(raw(header.as_bytes(), b"{}").as_bytes()), (kind, message.to_owned()));
    }
}

#[test]
fn crit_is_malformed_whatever_it_lists() {
    for header in [
        r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
        r#"{"alg":"HS256","crit":[]}"#,
        r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#,
        r#"{"alg":"HS256","crit":"x"}"#,
    ] {
        let (kind, message) = check(raw(header.as_bytes(), b"{}").as_bytes());
        assert_eq!(
            (kind, message.as_str()),
            ("malformed", "unsupported critical header parameters")
        );
    }
}

#[test]
fn kid_must_be_a_string() {
    for header in [
        r#"{"alg":"HS256","kid":1}"#,
        r#"{"alg":"HS256","kid":null}"#,
        r#"{"alg":"HS256","kid":["a"]}"#,
    ] {
        assert_eq!(
            check(raw(header.as_bytes(), b"{}").as_bytes()),
            ("malformed", "header \"kid\" is not a string".to_owned())
        );
    }
    // An empty kid is a kid.
    let token = raw(br#"{"alg":"HS256","kid":""}"#, b"{}");
    let jws = Jws::parse(token.as_bytes(), &limits()).unwrap();
    assert_eq!(jws.kid(), Some(""));
}

#[test]
fn embedded_and_remote_keys_in_the_header_are_never_used() {
    // The attacker signs with their own key and embeds it (jwk), points to it (jku, x5u), or
    // ships a certificate (x5c). None of that may help.
    let f = fixtures();
    let attacker = &f.rsa_other;
    let header = json!({
        "alg": "RS256",
        "jwk": attacker.jwk(json!({})),
        "jku": "https://attacker.example/jwks.json",
        "x5u": "https://attacker.example/cert.pem",
        "x5c": ["MIIB"],
    });
    let token = token_raw(attacker, "RS256", &header.to_string(), r#"{"sub":"admin"}"#);
    assert!(Jws::parse(token.as_bytes(), &limits()).is_ok());
    assert_eq!(verify(&token, &f.rsa.set(json!({}))), Err("bad_signature".into()));
    assert_eq!(verify(&token, &f.p256.set(json!({}))), Err("no_key".into()));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A small deterministic fuzz: mutate a valid token byte by byte and by truncation.
    let f = fixtures();
    let set =
        keyset(&[f.hmac.jwk(json!({})), f.p256.jwk(json!({"kid": "k"})), f.rsa.jwk(json!({}))]);
    let good = token(&f.p256, "ES256", json!({"kid": "k"}), json!({"exp": 10, "nbf": 1}));
    let bytes = good.as_bytes();
    for i in 0..bytes.len() {
        for replacement in [b'.', b'A', b'=', 0xff, b' '] {
            let mut mutated = bytes.to_vec();
            mutated[i] = replacement;
            let _ = auth_jwt_core::validate(&mutated, Some(&set), 5, 0, &limits());
        }
        let _ = auth_jwt_core::validate(&bytes[..i], Some(&set), 5, 0, &limits());
    }
    assert!(auth_jwt_core::validate(bytes, Some(&set), 5, 0, &limits()).is_ok());
}

#[test]
fn the_kid_is_read_with_or_without_escapes() {
    // Plain, escaped, with non-ASCII text, and after a member the byte-level scan leaves to
    // serde_json (an escaped name): the kid is the same string every way.
    for (header, kid) in [
        (r#"{"alg":"HS256","kid":"k1"}"#, "k1"),
        (r#"{"alg":"HS256","kid":"\u006b1"}"#, "k1"),
        (r#"{"kid":"clé ✓","alg":"HS256"}"#, "clé ✓"),
        (r#"{"alg":"HS256","\u0074yp":"JWT","kid":"k1"}"#, "k1"),
        (r#"{"alg":"HS256","kid":"a\"b"}"#, "a\"b"),
    ] {
        let token = raw(header.as_bytes(), br#"{"exp":1e3,"sub":"x"}"#);
        let jws = Jws::parse(token.as_bytes(), &limits()).unwrap();
        assert_eq!(jws.kid(), Some(kid), "{header}");
        assert_eq!(jws.header()["kid"], kid, "{header}");
    }
}
