//! Differential: the verified-token cache (`validate_cached`) must give exactly the answer of
//! an uncached `validate`, whatever the sequence of tokens: hits, misses, evictions (a 4-entry
//! cache), repeated tokens at another time (expiry must still be applied on a hit), and tokens
//! that differ from a cached one in a single byte.
//!
//! Input: tokens separated by newlines; the list is replayed twice so that the second pass
//! hits the cache.

#![no_main]

use auth_jwt_core::{validate, validate_cached, Limits, VerifiedCache};
use libfuzzer_sys::fuzz_target;

mod common;
use common::{check_rejection, keys, NOW};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let mut cache = VerifiedCache::new(4);
    let tokens: Vec<&[u8]> = data.split(|&b| b == b'\n').take(16).collect();
    // Far enough apart that a token valid at one time is expired at the other.
    let clocks = [NOW, NOW + 3_000_000_000, NOW - 200_000_000];
    for round in 0..2 {
        for (i, token) in tokens.iter().enumerate() {
            let now = clocks[(i + round) % clocks.len()];
            let cached = validate_cached(token, Some(keys()), now, 0, &limits, &mut cache);
            let fresh = validate(token, Some(keys()), now, 0, &limits).map(drop);
            assert_eq!(cached, fresh, "cache disagrees (round {round}, token {i})");
            if let Err(rejection) = &cached {
                check_rejection(rejection);
            }
        }
    }
    assert!(cache.len() <= 4);
});
