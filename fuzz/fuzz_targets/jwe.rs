//! Encrypted tokens: `Jwe::parse` and `jwe::decrypt` on arbitrary bytes, against a fixed set
//! of decryption keys of every kind (fuzz/jwe_keys.json; seeds in fuzz/seeds/jwe, both from
//! fuzz/make-jwe-seeds.py). Input starting with `{` is also loaded as a decryption key set.
//!
//! Invariants, besides "no panic, no hang, no overflow": every error is one printable line of
//! bounded length with one of the four documented kinds; a plaintext is never larger than
//! the ciphertext it came from.

#![no_main]

use std::sync::OnceLock;

use auth_jwt_core::jwe::{self, DecryptionKeys, Jwe, JweError, JweLimits};
use libfuzzer_sys::fuzz_target;

fn keys() -> &'static DecryptionKeys {
    static KEYS: OnceLock<DecryptionKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        DecryptionKeys::from_json(include_bytes!("../jwe_keys.json")).expect("jwe_keys.json loads")
    })
}

/// PBES2 is bounded by design, but a full-cost derivation per input would slow the fuzzer
/// down to a crawl; the seeds use a count of 50.
const LIMITS: JweLimits = JweLimits {
    max_header_chars: 4096,
    max_encrypted_key_chars: 1366,
    max_ciphertext_chars: 16384,
    max_json_depth: 32,
    max_pbes2_count: 100,
};

fn check_message(text: &str) {
    assert!(text.len() <= 300, "message too long: {text:?}");
    assert!(text.bytes().all(|b| (0x20..0x7f).contains(&b)), "not printable ASCII: {text:?}");
}

fn check_error(error: &JweError) {
    check_message(&error.to_string());
    assert!(
        ["malformed", "unsupported_alg", "no_key", "decrypt_failed"].contains(&error.kind()),
        "kind {}",
        error.kind()
    );
}

fuzz_target!(|data: &[u8]| {
    if data.first() == Some(&b'{') {
        match DecryptionKeys::from_json(data) {
            Ok(set) => {
                assert!(!set.is_empty());
                check_message(&format!("{set:?}").replace('\\', ""));
            }
            Err(error) => check_message(&error.to_string()),
        }
    }
    match Jwe::parse(data, &LIMITS) {
        Ok(token) => match jwe::decrypt(&token, keys()) {
            Ok(plain) => assert!(plain.bytes().len() <= data.len()),
            Err(error) => check_error(&error),
        },
        Err(error) => check_error(&error),
    }
});
