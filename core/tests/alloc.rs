//! The request path allocates only what decoding needs, and a cached token nothing: each
//! allocation costs time on every uncached request, so this pins the count to catch work
//! added per request.
//!
//! A counting global allocator records the Rust heap allocations (`alloc` and `realloc`) made
//! by this thread while a closure runs. The expected numbers are derived from the token's
//! shape, so a change that adds work per request (a copy of the `kid`, a second parse, a
//! `format!`) fails here with the count it added.
//!
//! What decoding needs, per token:
//! - 3 buffers: the base64url-decoded header, payload and signature;
//! - the JSON objects (header, payload): nothing. They are checked by a scan that builds no
//!   values (objects of up to 8 members with unescaped names need no memory for the duplicate
//!   check); values are built only when a variable asks for them;
//! - verification: nothing (aws-lc-rs takes the JWS `r || s` ECDSA form as is).
//!
//! Allocations inside OpenSSL and aws-lc (their own `malloc` calls) do not go through Rust's
//! allocator and are not counted here; the crypto backends' costs are measured by
//! `examples/microbench.rs` and `bench/backends`.

#[allow(dead_code)]
#[path = "jwt/common.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use serde_json::{json, Value};

use auth_jwt_core::{validate, validate_cached, Limits, VerifiedCache};

use common::*;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: the allocator also runs while thread-locals are torn down.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting only touches
// const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> u64 {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    let out = f();
    COUNTING.with(|c| c.set(false));
    drop(out);
    COUNT.with(Cell::get)
}

const NOW: i64 = 1_700_000_000;

/// A typical access token: 3 header members (all strings), 7 claims (5 strings, 2 numbers).
fn header(alg: &str, kid: &str) -> Value {
    json!({"alg": alg, "kid": kid, "typ": "JWT"})
}

fn claims() -> Value {
    json!({
        "iss": "https://idp.example.com", "sub": "user-42", "aud": "api", "jti": "4711",
        "scope": "read write", "iat": NOW - 10, "exp": NOW + 3600,
    })
}

/// Allocations the decoding of `header` and `claims` needs (see the module documentation).
fn decoding_needs(header: &Value, claims: &Value) -> u64 {
    for object in [header, claims] {
        let map = object.as_object().expect("object");
        assert!(map.len() <= 8, "the duplicate check is inline for up to 8 members");
    }
    3
}

struct Case {
    alg: &'static str,
    key: &'static Key,
    kid: &'static str,
}

fn cases() -> Vec<Case> {
    let f = fixtures();
    vec![
        Case { alg: "HS256", key: &f.hmac, kid: "hs256" },
        Case { alg: "HS512", key: &f.hmac64, kid: "hs512" },
        Case { alg: "RS256", key: &f.rsa, kid: "rsa" },
        Case { alg: "PS256", key: &f.rsa, kid: "rsa" },
        Case { alg: "ES256", key: &f.p256, kid: "ec256" },
        Case { alg: "ES384", key: &f.p384, kid: "ec384" },
        Case { alg: "ES512", key: &f.p521, kid: "ec521" },
        Case { alg: "EdDSA", key: &f.ed25519, kid: "ed25519" },
        Case { alg: "EdDSA", key: &f.ed448, kid: "ed448" },
    ]
}

fn signed(case: &Case) -> (Vec<u8>, u64) {
    let header = header(case.alg, case.kid);
    let claims = claims();
    let token = token_raw(case.key, case.alg, &header.to_string(), &claims.to_string());
    (token.into_bytes(), decoding_needs(&header, &claims))
}

#[test]
fn validate_allocates_only_what_decoding_needs() {
    let keys = every_key_type();
    let limits = Limits::default();
    for case in cases() {
        let (token, needs) = signed(&case);
        // Warm-up: OpenSSL and std initialise lazily on first use.
        validate(&token, Some(&keys), NOW, 0, &limits).expect("valid");
        let got = allocations(|| validate(&token, Some(&keys), NOW, 0, &limits).expect("valid"));
        assert_eq!(got, needs, "{} ({}): decoding needs {needs} allocations", case.alg, case.kid);
    }
}

#[test]
fn a_cached_token_allocates_nothing() {
    let keys = every_key_type();
    let limits = Limits::default();
    let mut cache = VerifiedCache::new(16);
    for case in cases() {
        let (token, needs) = signed(&case);
        // The miss: full validation plus one copy of the token for the cache (and, while the
        // cache grows, its table and slot vector).
        let miss = allocations(|| {
            validate_cached(&token, Some(&keys), NOW, 0, &limits, &mut cache).expect("valid")
        });
        assert!(miss > needs, "{}: the miss stores the token", case.alg);
        let hit = allocations(|| {
            validate_cached(&token, Some(&keys), NOW, 0, &limits, &mut cache).expect("valid")
        });
        assert_eq!(hit, 0, "{} ({}): a cache hit allocated", case.alg, case.kid);
        // Expired on a later request: still no allocation.
        let expired = allocations(|| {
            validate_cached(&token, Some(&keys), NOW + 7200, 0, &limits, &mut cache).unwrap_err()
        });
        assert_eq!(expired, 0, "{}: refusing a cached expired token allocated", case.alg);
    }
}

#[test]
fn a_full_cache_replaces_entries_with_one_allocation_each() {
    let keys = every_key_type();
    let limits = Limits::default();
    let f = fixtures();
    let mut cache = VerifiedCache::new(4);
    let tokens: Vec<Vec<u8>> = (0..12)
        .map(|i| token(&f.hmac, "HS256", json!({"kid": "hs256"}), json!({"n": i})).into_bytes())
        .collect();
    for t in &tokens[..4] {
        validate_cached(t, Some(&keys), NOW, 0, &limits, &mut cache).expect("valid");
    }
    let needs = decoding_needs(&json!({"alg": "HS256", "kid": "hs256"}), &json!({"n": 0}));
    for t in &tokens[4..] {
        let got = allocations(|| {
            validate_cached(t, Some(&keys), NOW, 0, &limits, &mut cache).expect("valid")
        });
        assert_eq!(got, needs + 1, "eviction + insert: the token copy only");
    }
}

#[test]
fn garbage_is_refused_with_few_allocations() {
    let keys = every_key_type();
    let limits = Limits::default();
    for (token, expected) in [
        // No dots: refused before any decoding.
        (b"garbage".to_vec(), 0),
        // Not base64url: refused after the one decoding pass, whose output buffer is made
        // first (a valid part, the common case, is then read once instead of twice).
        (b"a*.b.c".to_vec(), 1),
        // Base64 of binary bytes: the header buffer, serde_json's error, and its message
        // (formatted once, into one buffer).
        (format!("{}.{}.{}", b64(&[0xff; 30]), b64(&[0xfe; 90]), b64(&[1; 64])).into_bytes(), 3),
    ] {
        let got = allocations(|| validate(&token, Some(&keys), NOW, 0, &limits).unwrap_err());
        assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(&token));
    }
}
