//! Shared by the fuzz targets: the fixed key set, an independent base64url codec, and the
//! invariants every outcome must satisfy.
//!
//! Invariants checked on every input, besides "no panic, no hang, no overflow":
//! - a rejection message is one printable-ASCII line of bounded length (it goes into the
//!   nginx error log, and must never carry token bytes that could forge log lines);
//! - `Rejection::kind` is one of the documented `$jwt_status` values of a refused token;
//! - an accepted token is canonical: three non-empty parts in the base64url alphabet that
//!   re-encode to themselves, a header with a supported `alg` and no `crit`, and an `exp`
//!   that has not passed;
//! - every header member and claim of an accepted token, rendered as an nginx variable
//!   (`$jwt_header_*`, `$jwt_claim_*`, `$jwt_payload`), is free of control characters
//!   U+0000 to U+001F, so it can never split an HTTP header or a log line.

#![allow(dead_code)]

use std::sync::OnceLock;

use auth_jwt_core::{render, KeySet, Rejection, TokenFields};
use serde_json::Value;

/// The time every target validates at (2023-11-14T22:13:20Z).
pub const NOW: i64 = 1_700_000_000;

/// A key of every type (RSA, EC P-256/384/521, Ed25519, Ed448, oct 32/48/64 bytes) with kids,
/// then RSA, EC P-256 and oct keys without kids: the fixtures of t/data/jwks.
pub fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut set = KeySet::from_json(include_bytes!("../../t/data/jwks/all.json"))
            .expect("t/data/jwks/all.json loads");
        set.extend(
            KeySet::from_json(include_bytes!("../../t/data/jwks/nokid.json"))
                .expect("t/data/jwks/nokid.json loads"),
        );
        set.extend(
            KeySet::from_json(include_bytes!("../../t/data/jwks/alg.json"))
                .expect("t/data/jwks/alg.json loads"),
        );
        set
    })
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url, written independently of the crate's decoder.
pub fn b64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 4 / 3 + 3);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Lenient decoding (ignores spare bits); `None` for a byte outside the alphabet.
fn b64_lenient(s: &[u8]) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::new();
    for &c in s {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    Some(out)
}

/// Whether `part` is canonical unpadded base64url (re-encodes to itself).
pub fn canonical(part: &[u8]) -> bool {
    !part.is_empty()
        && part.len() % 4 != 1
        && b64_lenient(part).is_some_and(|bytes| b64(&bytes).as_bytes() == part)
}

pub fn check_rejection(r: &Rejection) {
    let message = r.to_string();
    assert!(!message.is_empty());
    // At most one attacker-chosen value (`alg` or `kid`) is quoted: at most 64 of its bytes,
    // each at most `\xNN`, plus quotes and "..." (see core/tests/fuzz_regressions.rs).
    assert!(
        message.len() <= 64 + 4 * 64 + 5,
        "rejection message too long: {} bytes",
        message.len()
    );
    assert!(
        message.bytes().all(|b| (0x20..0x7f).contains(&b)),
        "rejection message is not one printable line: {message:?}"
    );
    assert!(
        matches!(
            r.kind(),
            "malformed"
                | "unsupported_alg"
                | "no_key"
                | "bad_signature"
                | "expired"
                | "not_yet_valid"
                | "decrypt_failed"
                | "wrong_type"
        ),
        "unknown kind {}",
        r.kind()
    );
}

/// What must hold for a token `validate` accepted at [`NOW`] with leeway 0.
pub fn check_accepted(
    token: &[u8],
    header: &serde_json::Map<String, Value>,
    claims: &serde_json::Map<String, Value>,
) {
    let parts: Vec<&[u8]> = token.split(|&b| b == b'.').collect();
    assert_eq!(parts.len(), 3, "accepted a token without three parts");
    for part in &parts {
        assert!(canonical(part), "accepted a non-canonical base64url part");
    }
    let alg = header.get("alg").and_then(Value::as_str).expect("accepted without a string alg");
    assert!(
        matches!(
            alg,
            "HS256"
                | "HS384"
                | "HS512"
                | "RS256"
                | "RS384"
                | "RS512"
                | "PS256"
                | "PS384"
                | "PS512"
                | "ES256"
                | "ES384"
                | "ES512"
                | "EdDSA"
        ),
        "accepted alg {alg:?}"
    );
    assert!(!header.contains_key("crit"), "accepted a crit header");
    // What the module shows is the token's own JSON as serde_json reads it: the scan that
    // checks a token and the parse that builds its fields on demand agree.
    for (part, shown) in [(parts[0], header), (parts[1], claims)] {
        let bytes = b64_lenient(part).expect("accepted a part that is not base64url");
        let independent: serde_json::Map<String, Value> =
            serde_json::from_slice(&bytes).expect("accepted a part that serde_json refuses");
        assert_eq!(&independent, shown, "the fields are not the token's JSON");
    }
    if let Some(exp) = claims.get("exp") {
        let exp = exp.as_f64().expect("accepted a non-numeric exp");
        assert!(exp > NOW as f64, "accepted an expired token");
    }
    if let Some(nbf) = claims.get("nbf") {
        let nbf = nbf.as_f64().expect("accepted a non-numeric nbf");
        assert!(nbf <= NOW as f64, "accepted a token before its nbf");
    }
}

/// Whether `text` could split a header or a log line.
fn has_controls(text: &str) -> bool {
    text.bytes().any(|b| b < 0x20)
}

/// Every top-level and second-level member of the header and claims, rendered the way the
/// variables render them, plus the whole payload: no control characters.
pub fn check_fields(
    header: &serde_json::Map<String, Value>,
    claims: &serde_json::Map<String, Value>,
) {
    for map in [header, claims] {
        for (name, value) in map {
            if let Some(text) = render(value) {
                assert!(!has_controls(&text), "control character in the rendering of {name:?}");
            }
            if let Value::Object(inner) = value {
                for inner_value in inner.values() {
                    if let Some(text) = render(inner_value) {
                        assert!(!has_controls(&text), "control character in {name:?}.*");
                    }
                }
            }
        }
    }
    let fields = TokenFields::new(header.clone(), claims.clone());
    assert!(!has_controls(&fields.payload()), "control character in $jwt_payload");
}
