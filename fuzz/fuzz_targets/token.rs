//! Raw bytes as a token (as if from `Authorization: Bearer` or a `token=$variable`): parsing,
//! signature verification against a fixed key set of every type, and the time checks, with and
//! without keys, with default and with tight limits. See `common.rs` for the invariants.

#![no_main]

use auth_jwt_core::{bearer_token, validate, Limits};
use libfuzzer_sys::fuzz_target;

mod common;
use common::{check_accepted, check_fields, check_rejection, keys, NOW};

fn run(token: &[u8], limits: &Limits) {
    for keys in [Some(keys()), None] {
        match validate(token, keys, NOW, 0, limits) {
            Ok(jws) => {
                check_accepted(token, jws.header(), jws.claims());
                check_fields(jws.header(), jws.claims());
            }
            Err(rejection) => check_rejection(&rejection),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    run(data, &Limits::default());
    run(data, &Limits { max_token_bytes: 512, max_json_depth: 2 });

    // The Bearer header path: a token, if any, is a trimmed, non-empty part of the input.
    if let Some(token) = bearer_token(data) {
        assert!(!token.is_empty());
        assert_ne!(token[0], b' ');
        assert!(token.len() + 7 <= data.len());
        run(token, &Limits::default());
    }

    // Extreme clocks and leeways must not overflow.
    for (now, leeway) in [(i64::MIN, u64::MAX), (i64::MAX, u64::MAX), (i64::MAX, 0), (0, 0)] {
        if let Err(rejection) = validate(data, None, now, leeway, &Limits::default()) {
            check_rejection(&rejection);
        }
    }
});
