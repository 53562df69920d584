//! Inputs found by the fuzz targets in fuzz/ (scripts/fuzz), kept as tests. Each one records
//! what the fuzzer flagged, what was wrong (the crate or the fuzz target's own invariant), and
//! the property that now holds.
//!
//! Inputs of the `token_parts` target are `header 0xFF payload 0xFF signature`, each part
//! base64url-encoded into a token, exactly as the target does.

#[allow(dead_code)]
#[path = "jwt/common.rs"]
mod common;

use auth_jwt_core::{validate, Limits, Rejection};

use common::{b64, fixtures, keyset};

/// The token the `token_parts` fuzz target builds from `input`.
fn token_parts(input: &[u8]) -> String {
    let mut parts = input.splitn(3, |&b| b == 0xff);
    let header = parts.next().unwrap_or_default();
    let payload = parts.next().unwrap_or(b"{}");
    let signature = parts.next().unwrap_or_default();
    format!("{}.{}.{}", b64(header), b64(payload), b64(signature))
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn reject(token: &str) -> Rejection {
    let f = fixtures();
    let keys = keyset(&[
        f.hmac.jwk(serde_json::json!({"kid": "hs256"})),
        f.rsa.jwk(serde_json::json!({})),
    ]);
    validate(token.as_bytes(), Some(&keys), 1_700_000_000, 0, &Limits::default()).unwrap_err()
}

/// token_parts crash-829c64b2 (fuzz target bug, not a crate bug): the target asserted that no
/// rejection *message* mentioned "base64url" for canonically encoded parts, and the fuzzer put
/// that word into `alg`, which the message quotes. The target now matches the variant. What
/// must hold: an attacker-chosen `alg` is reported as unsupported, quoted and escaped.
#[test]
fn alg_text_echoed_in_the_message_is_just_an_unsupported_alg() {
    let input = hex("7b22616c67223a226e62617365363475726c6f6e65222c22747970223a224a5754227dff7b22657870223a343030303030303030302c226e6266223a313630303030311100000000000000223a2266757a7a227dff000000");
    let r = reject(&token_parts(&input));
    assert_eq!(r.kind(), "unsupported_alg");
    assert!(!matches!(r, Rejection::Base64 { .. }));
    assert_eq!(r.to_string(), "unsupported algorithm \"nbase64urlone\"");
}

/// token_parts crash-87d0bb32: a 134-byte `alg` of DEL bytes gave a 250-byte message; the
/// target's bound (200) was a guess. The escaping keeps at most 64 bytes of the value, and each
/// may become `\xNN`, so a quoted value is at most 4 * 64 + 5 bytes. What must hold: the
/// message is printable ASCII, one line, within that bound plus the fixed text.
#[test]
fn a_long_non_printable_alg_gives_a_bounded_printable_message() {
    let input = hex("7b22616c67223a224c75313631355c753136313548533338347f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f222c226b6964223a226873313831222c22747079223a224a5754227dff31283430307862931d044853333834222c226b6964223a22931dff36a6");
    let r = reject(&token_parts(&input));
    let message = r.to_string();
    assert_eq!(r.kind(), "unsupported_alg");
    assert!(message.bytes().all(|b| (0x20..0x7f).contains(&b)), "{message:?}");
    assert!(message.starts_with("unsupported algorithm \"Lu1615\\xe1\\x98\\x95"), "{message}");
    assert!(message.ends_with("\\x7f\"..."), "{message}");
    assert!(message.len() <= "unsupported algorithm ".len() + 4 * 64 + 5, "{}", message.len());
}

/// The worst case of the bound above, for both places where token text is quoted.
#[test]
fn worst_case_escaped_values_stay_bounded() {
    let f = fixtures();
    let nasty = "\u{7f}".repeat(10_000);
    let header = serde_json::json!({"alg": nasty}).to_string();
    let token = format!("{}.{}.{}", b64(header.as_bytes()), b64(b"{}"), b64(b"sig"));
    let m = reject(&token).to_string();
    assert_eq!(m.len(), "unsupported algorithm ".len() + 4 * 64 + 5);

    let token =
        common::token(&f.hmac, "HS256", serde_json::json!({"kid": nasty}), serde_json::json!({}));
    let m = reject(&token).to_string();
    assert_eq!(m, format!("no key with kid \"{}\"... for HS256", "\\x7f".repeat(64)));
}
