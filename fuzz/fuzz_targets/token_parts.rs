//! Structure-aware token fuzzing: the input is `header JSON 0xFF payload JSON 0xFF signature`
//! (0xFF never occurs in UTF-8, so it cannot clash with JSON text), each part is base64url
//! encoded here, and the token is validated against the fixed key set. This lets the fuzzer
//! work on the JSON, the `alg`/`kid`/`crit` rules, the time claims and the signature bytes
//! directly instead of learning base64 first.

#![no_main]

use auth_jwt_core::{validate, Limits, Rejection};
use libfuzzer_sys::fuzz_target;

mod common;
use common::{b64, check_accepted, check_fields, check_rejection, keys, NOW};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0xff);
    let header = parts.next().unwrap_or_default();
    let payload = parts.next().unwrap_or(b"{}");
    let signature = parts.next().unwrap_or_default();
    let token = format!("{}.{}.{}", b64(header), b64(payload), b64(signature));

    for keys in [Some(keys()), None] {
        match validate(token.as_bytes(), keys, NOW, 0, &Limits::default()) {
            Ok(jws) => {
                check_accepted(token.as_bytes(), jws.header(), jws.claims());
                check_fields(jws.header(), jws.claims());
            }
            Err(rejection) => {
                check_rejection(&rejection);
                // Every part was encoded canonically here: a base64 complaint would be a bug.
                // (Matched on the variant: the message may echo an attacker-chosen `alg`.)
                assert!(
                    !matches!(rejection, Rejection::Base64 { .. }),
                    "canonical base64url refused: {rejection}"
                );
            }
        }
    }
});
