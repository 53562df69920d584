//! A per-worker cache of verified signatures, so that a token presented again (a client sends
//! the same token with every request until it expires) costs a hash lookup instead of a parse
//! and a public-key operation.
//!
//! What is cached, and why that is safe:
//! - Only the fact "these exact token bytes are authentic with this key set": an entry is made
//!   after the signature verified (or, for an encrypted token, after it was decrypted and any
//!   enclosed signature verified), never for a failure.
//! - The key is the whole token, the [`KeySet::generation`], the parse [`Limits`] and the
//!   [`TokenType`] it was validated as. A key
//!   rotation makes a new key set with a new generation, so it can never meet an old result.
//!   A lookup compares the full token bytes (in constant time): the hash only finds the slot,
//!   so a hash collision can cost a miss, never validate another token. The hash is a fast
//!   seeded word hash, not a cryptographic one, of the token's length and its last
//!   [`HASHED_TAIL_BYTES`] bytes: the end of a token is its signature (for an encrypted token,
//!   its authentication tag), which differs between any two authentic tokens, so the tail
//!   places entries as well as the whole token would, at a fraction of the cost. Entries are
//!   only ever made for authentic tokens, which no client can shape to collide, and a
//!   colliding lookup is only a miss.
//! - `exp` and `nbf` are stored with the entry and checked against the clock on every hit, with
//!   the leeway of the request's location: a token that expires while cached is refused.
//! - The caller may keep a value with the entry (`V`; the nginx module keeps the decoded claims
//!   that its variables and `auth_jwt_require` read), handed back on every hit, so a hit never
//!   parses the token again. Policies on claims are the caller's to apply on every request.
//!
//! The cache is bounded: at most `capacity` entries, and tokens longer than
//! [`MAX_CACHED_TOKEN_BYTES`] are verified every time rather than cached, so a worker holds at
//! most `capacity × (MAX_CACHED_TOKEN_BYTES + ~100)` bytes (4.1 MiB for the default 1024) plus
//! the kept values. Eviction is CLOCK (second chance): a hit only sets a flag, an insert into a
//! full cache evicts the first entry not used since the hand last passed it. It is owned by one
//! worker (an nginx worker is single-threaded), so there is no locking; nothing in it refers to
//! nginx memory, and it is `Send` whenever `V` is.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

use crate::authenticate::TokenType;
use crate::claims::TimeBounds;
use crate::error::Rejection;
use crate::jwk::KeySet;
use crate::token::Jws;
use crate::verify::verify_signature;
use crate::Limits;

/// Default number of entries (the `auth_jwt_verify_cache` default).
pub const DEFAULT_CACHE_ENTRIES: usize = 1024;

/// How much of the end of a token its hash covers (see the module documentation): 16
/// base64url characters are 96 bits of the signature or tag, more than enough to spread
/// entries, and two words to hash.
const HASHED_TAIL_BYTES: usize = 16;

/// Longest token that is cached. Real JWTs are well below (an RS256 token with a dozen claims
/// is ~800 bytes); larger ones are still accepted, only verified every time.
pub const MAX_CACHED_TOKEN_BYTES: usize = 4096;

/// Hash of (generation, token) → index into the slots. The hash is already random, so the
/// map uses it as is.
type Index = HashMap<u64, u32, BuildHasherDefault<IdentityHasher>>;

/// Verified-signature cache; see the module documentation. `V` is the value kept with each
/// entry (see [`VerifiedCache::validate`]).
pub struct VerifiedCache<V = ()> {
    capacity: usize,
    /// Random per cache, so the slot of a token cannot be predicted from outside.
    seed: u64,
    index: Index,
    slots: Vec<Slot<V>>,
    /// The CLOCK hand: next slot considered for eviction.
    hand: usize,
    stats: CacheStats,
}

struct Slot<V> {
    hash: u64,
    generation: u64,
    limits: Limits,
    token_type: TokenType,
    token: Box<[u8]>,
    bounds: TimeBounds,
    value: V,
    /// Used since the hand last passed.
    referenced: bool,
}

/// Counters, for tests and the benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub inserts: u64,
    pub evictions: u64,
}

/// A lookup that missed, carrying the hash for the insert that may follow.
struct Miss {
    hash: u64,
}

/// What an entry is valid for, besides the token bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scope {
    /// [`KeySet::generation`] of the keys the token was checked with.
    pub(crate) generation: u64,
    pub(crate) limits: Limits,
    pub(crate) token_type: TokenType,
}

/// A token found authentic by a full check: its claims give the times every hit checks.
pub(crate) trait Authentic {
    fn time_bounds(&self) -> Result<TimeBounds, Rejection>;
}

impl Authentic for Jws<'_> {
    fn time_bounds(&self) -> Result<TimeBounds, Rejection> {
        Jws::time_bounds(self)
    }
}

impl<V: Clone> VerifiedCache<V> {
    /// A cache of at most `capacity` entries; `0` disables it (every lookup misses and nothing
    /// is stored or hashed). Memory is allocated as entries arrive, not up front.
    #[must_use]
    pub fn new(capacity: usize) -> VerifiedCache<V> {
        // Slot indices are u32; no one needs four billion entries per worker.
        let capacity = capacity.min(u32::MAX as usize);
        VerifiedCache {
            capacity,
            seed: RandomState::new().hash_one(0x6a77_7463_6163_6865_u64),
            index: HashMap::default(),
            slots: Vec::new(),
            hand: 0,
            stats: CacheStats::default(),
        }
    }

    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of entries held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    #[must_use]
    pub fn stats(&self) -> CacheStats {
        self.stats
    }

    /// Drops every entry (memory included).
    pub fn clear(&mut self) {
        self.index = HashMap::default();
        self.slots = Vec::new();
        self.hand = 0;
    }

    fn hash(&self, generation: u64, token: &[u8]) -> u64 {
        tail_hash(self.seed ^ generation, token)
    }

    /// The entry of `token` checked in `scope`; `Err(Miss)` otherwise.
    fn lookup(&mut self, token: &[u8], scope: Scope) -> Result<(TimeBounds, &V), Miss> {
        let hash = self.hash(scope.generation, token);
        self.lookup_hashed(hash, token, scope)
    }

    fn lookup_hashed(
        &mut self,
        hash: u64,
        token: &[u8],
        scope: Scope,
    ) -> Result<(TimeBounds, &V), Miss> {
        match entry(&self.index, &mut self.slots, hash, token, scope) {
            Some(slot) => {
                self.stats.hits += 1;
                Ok((slot.bounds, &slot.value))
            }
            None => {
                self.stats.misses += 1;
                Err(Miss { hash })
            }
        }
    }

    /// The answer of a hit for `token` in `scope`: its kept value if its times hold at `now`,
    /// else why not. `None` on a miss, which is not counted: the caller goes on to
    /// [`VerifiedCache::validate_in`], whose lookup counts it.
    pub(crate) fn hit(
        &mut self,
        token: &[u8],
        scope: Scope,
        (now, leeway_secs): (i64, u64),
    ) -> Option<Result<V, Rejection>> {
        if self.capacity == 0 {
            return None;
        }
        let hash = self.hash(scope.generation, token);
        let slot = entry(&self.index, &mut self.slots, hash, token, scope)?;
        let answer = slot.bounds.check(now, leeway_secs).map(|()| slot.value.clone());
        self.stats.hits += 1;
        Some(answer)
    }

    /// Records that `token` is authentic in `scope`.
    fn insert(&mut self, miss: Miss, token: &[u8], scope: Scope, bounds: TimeBounds, value: V) {
        if token.len() > MAX_CACHED_TOKEN_BYTES {
            return;
        }
        let slot = Slot {
            hash: miss.hash,
            generation: scope.generation,
            limits: scope.limits,
            token_type: scope.token_type,
            token: token.into(),
            bounds,
            value,
            // A new entry gets no second chance until it is used again: a burst of one-off
            // tokens then replaces itself instead of the entries in steady use.
            referenced: false,
        };
        // A colliding hash (another token, or this token under other limits) gives up its
        // slot: the newest verification wins.
        if let Some(&i) = self.index.get(&miss.hash) {
            self.slots[i as usize] = slot;
            self.stats.inserts += 1;
            return;
        }
        let i = if self.slots.len() < self.capacity {
            self.slots.push(slot);
            self.slots.len() - 1
        } else {
            let victim = self.evict();
            self.slots[victim] = slot;
            victim
        };
        self.index.insert(miss.hash, i as u32);
        self.stats.inserts += 1;
    }

    /// Frees the slot under the CLOCK hand that has not been used since the last pass, and
    /// returns its index. The cache is full and `capacity > 0`.
    fn evict(&mut self) -> usize {
        loop {
            let i = self.hand;
            self.hand = (self.hand + 1) % self.slots.len();
            let slot = &mut self.slots[i];
            if slot.referenced {
                slot.referenced = false;
            } else {
                self.index.remove(&slot.hash);
                self.stats.evictions += 1;
                return i;
            }
        }
    }
}

impl<V: Clone> VerifiedCache<V> {
    /// [`crate::validate`] through the cache: a token whose signature was verified before with
    /// the same key set skips parsing and verification, and only its `exp`/`nbf` are checked
    /// against `now`; the value kept with it is returned. A miss does the full validation,
    /// turns the parsed token into the value with `keep`, and caches both (only a token whose
    /// times and signature checked out; every hit checks the times again).
    ///
    /// Gives the same answer as [`crate::validate`] for every token, cached or not. `keys: None`
    /// (no key file: signatures are not verified) and a disabled cache bypass the cache.
    pub fn validate<'t>(
        &mut self,
        token: &'t [u8],
        keys: Option<&KeySet>,
        now: i64,
        leeway_secs: u64,
        limits: &Limits,
        keep: impl FnOnce(Jws<'t>) -> V,
    ) -> Result<V, Rejection> {
        let Some(keys) = keys else {
            return crate::validate(token, None, now, leeway_secs, limits).map(keep);
        };
        let scope =
            Scope { generation: keys.generation(), limits: *limits, token_type: TokenType::Signed };
        // Times before the signature, as in the full path: a token refused by its times is
        // neither verified nor cached.
        let authenticate = || {
            let jws = Jws::parse(token, limits)?;
            jws.check_time(now, leeway_secs)?;
            verify_signature(&jws, Some(keys))?;
            Ok(jws)
        };
        self.validate_in(token, scope, (now, leeway_secs), authenticate, keep)
    }

    /// The general form of [`VerifiedCache::validate`], for any kind of token: a hit checks
    /// only the times; a miss runs `authenticate` (the caller's full check of the token, its
    /// times included), keeps its value and caches both when it succeeded.
    pub(crate) fn validate_in<A: Authentic>(
        &mut self,
        token: &[u8],
        scope: Scope,
        (now, leeway_secs): (i64, u64),
        authenticate: impl FnOnce() -> Result<A, Rejection>,
        keep: impl FnOnce(A) -> V,
    ) -> Result<V, Rejection> {
        if self.capacity == 0 {
            return authenticate().map(keep);
        }
        let miss = match self.lookup(token, scope) {
            Ok((bounds, value)) => {
                let value = value.clone();
                return bounds.check(now, leeway_secs).map(|()| value);
            }
            Err(miss) => miss,
        };
        let authentic = authenticate()?;
        let bounds = authentic.time_bounds()?;
        let value = keep(authentic);
        self.insert(miss, token, scope, bounds, value.clone());
        Ok(value)
    }
}

/// [`VerifiedCache::validate`] keeping nothing but the verdict.
pub fn validate_cached(
    token: &[u8],
    keys: Option<&KeySet>,
    now: i64,
    leeway_secs: u64,
    limits: &Limits,
    cache: &mut VerifiedCache,
) -> Result<(), Rejection> {
    cache.validate(token, keys, now, leeway_secs, limits, drop)
}

/// The entry of `token` in `scope` (found by its `hash`), marked used; no counter changes.
/// A function of the two fields, not a method, so that callers can still count in `stats`.
fn entry<'s, V>(
    index: &Index,
    slots: &'s mut [Slot<V>],
    hash: u64,
    token: &[u8],
    scope: Scope,
) -> Option<&'s mut Slot<V>> {
    let slot = slots.get_mut(*index.get(&hash)? as usize)?;
    let found = slot.generation == scope.generation
        && slot.limits == scope.limits
        && slot.token_type == scope.token_type
        && constant_time_eq(&slot.token, token);
    if !found {
        return None;
    }
    slot.referenced = true;
    Some(slot)
}

/// A seeded multiply-rotate hash of a token's length and its last [`HASHED_TAIL_BYTES`]
/// bytes (the FxHash step, plus a final mix): a few instructions. See the module
/// documentation for why a non-cryptographic hash of the tail is enough here.
fn tail_hash(seed: u64, token: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let step = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let mut h = step(seed, token.len() as u64);
    match token.last_chunk::<HASHED_TAIL_BYTES>() {
        Some(tail) => {
            let (first, second) = tail.split_at(8);
            for half in [first, second] {
                let mut w = [0u8; 8];
                w.copy_from_slice(half);
                h = step(h, u64::from_le_bytes(w));
            }
        }
        // Shorter than any authentic token; hashed all the same, a byte at a time.
        None => h = token.iter().fold(h, |h, &byte| step(h, u64::from(byte))),
    }
    // Final avalanche (from SplitMix64), so that the low bits the table uses depend on all.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Whether `a == b`, in a time that depends only on the lengths: no early exit at the first
/// difference, so the timing of a lookup says nothing about how much of a token matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = if a.len() < BLOCK {
        a.iter().zip(b).fold(0u64, |diff, (x, y)| diff | u64::from(x ^ y))
    } else {
        // Whole blocks of fixed size, which the compiler turns into vector XORs and ORs with
        // no bounds checks; the bytes after the last whole block are covered by one more
        // block that ends at the end (overlapping the one before), not by a byte loop.
        let mut lanes = [0u64; BLOCK / 8];
        for (x, y) in a.chunks_exact(BLOCK).zip(b.chunks_exact(BLOCK)) {
            xor_block(&mut lanes, x, y);
        }
        let last = a.len() - BLOCK;
        xor_block(&mut lanes, &a[last..], &b[last..]);
        lanes.iter().fold(0, |acc, lane| acc | lane)
    };
    // Keeps the compiler from turning the accumulation into a loop that exits early.
    std::hint::black_box(diff) == 0
}

/// Bytes compared per step of [`constant_time_eq`].
const BLOCK: usize = 64;

/// ORs the XOR of the first [`BLOCK`] bytes of `x` and `y` into `lanes` (callers pass at
/// least that many).
fn xor_block(lanes: &mut [u64; BLOCK / 8], x: &[u8], y: &[u8]) {
    let (Some(x), Some(y)) = (x.first_chunk::<BLOCK>(), y.first_chunk::<BLOCK>()) else {
        // Unreachable for the callers above; a short block counts as a difference.
        lanes[0] |= 1;
        return;
    };
    for (k, lane) in lanes.iter_mut().enumerate() {
        let word = |bytes: &[u8; BLOCK]| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[8 * k..8 * k + 8]);
            u64::from_le_bytes(w)
        };
        *lane |= word(x) ^ word(y);
    }
}

/// Passes a `u64` that is already a keyed hash through unchanged.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed; stay total anyway.
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    const NOW: i64 = 1_700_000_000;

    fn b64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut acc = 0u32;
            for (i, &b) in chunk.iter().enumerate() {
                acc |= u32::from(b) << (16 - 8 * i);
            }
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[(acc >> (18 - 6 * i)) as usize & 63]));
            }
        }
        out
    }

    fn secret(fill: u8) -> Vec<u8> {
        vec![fill; 32]
    }

    fn keys(fill: u8) -> KeySet {
        let jwk = format!(r#"{{"kty":"oct","kid":"k","k":"{}"}}"#, b64(&secret(fill)));
        KeySet::from_json(jwk.as_bytes()).unwrap()
    }

    /// An HS256 token signed with `secret(fill)` carrying `claims`.
    fn token(fill: u8, claims: &str) -> Vec<u8> {
        let input = format!("{}.{}", b64(br#"{"alg":"HS256","kid":"k"}"#), b64(claims.as_bytes()));
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&secret(fill)).unwrap();
        mac.update(input.as_bytes());
        format!("{input}.{}", b64(&mac.finalize().into_bytes())).into_bytes()
    }

    fn check(
        token: &[u8],
        keys: &KeySet,
        now: i64,
        cache: &mut VerifiedCache,
    ) -> Result<(), Rejection> {
        validate_cached(token, Some(keys), now, 0, &Limits::default(), cache)
    }

    #[test]
    fn second_validation_is_a_hit_and_agrees() {
        let keys = keys(1);
        let mut cache = VerifiedCache::new(8);
        let t = token(1, r#"{"sub":"a","exp":1700000100}"#);
        assert_eq!(check(&t, &keys, NOW, &mut cache), Ok(()));
        assert_eq!(check(&t, &keys, NOW, &mut cache), Ok(()));
        assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 1, inserts: 1, evictions: 0 });
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn failures_are_never_cached() {
        let keys = keys(1);
        let mut cache = VerifiedCache::new(8);
        let forged = token(2, r#"{"sub":"a"}"#);
        for _ in 0..3 {
            assert_eq!(check(&forged, &keys, NOW, &mut cache), Err(Rejection::BadSignature));
        }
        assert!(check(b"garbage", &keys, NOW, &mut cache).is_err());
        assert_eq!(cache.len(), 0);
        assert_eq!(cache.stats().inserts, 0);
    }

    #[test]
    fn a_token_that_expires_while_cached_is_refused() {
        let keys = keys(1);
        let mut cache = VerifiedCache::new(8);
        let t = token(1, r#"{"exp":1700000010,"nbf":1699999990}"#);
        // Not yet valid: refused by nbf before any signature check, so not cached.
        assert_eq!(
            check(&t, &keys, NOW - 20, &mut cache),
            Err(Rejection::NotYetValid { wait: 10 })
        );
        assert_eq!(cache.len(), 0);
        assert_eq!(check(&t, &keys, NOW, &mut cache), Ok(()));
        assert_eq!(cache.len(), 1);
        assert_eq!(check(&t, &keys, NOW + 10, &mut cache), Err(Rejection::Expired { ago: 0 }));
        assert_eq!(check(&t, &keys, NOW + 50, &mut cache), Err(Rejection::Expired { ago: 40 }));
        // The leeway of the request applies to cached tokens too.
        let limits = Limits::default();
        assert_eq!(validate_cached(&t, Some(&keys), NOW + 50, 60, &limits, &mut cache), Ok(()));
        assert_eq!(cache.stats().misses, 2, "every check after the first valid one was a hit");
    }

    #[test]
    fn a_key_rotation_invalidates_cached_results() {
        let old = keys(1);
        let mut cache = VerifiedCache::new(8);
        let t = token(1, r#"{"sub":"a"}"#);
        assert_eq!(check(&t, &old, NOW, &mut cache), Ok(()));
        // New key set (another secret under the same kid): the cached result must not apply.
        let rotated = keys(2);
        assert_ne!(rotated.generation(), old.generation());
        assert_eq!(check(&t, &rotated, NOW, &mut cache), Err(Rejection::BadSignature));
        // Even the same keys loaded again are a new set: verified again, then cached.
        let reloaded = keys(1);
        assert_eq!(check(&t, &reloaded, NOW, &mut cache), Ok(()));
        assert_eq!(cache.stats().hits, 0);
        assert_eq!(check(&t, &reloaded, NOW, &mut cache), Ok(()));
        assert_eq!(cache.stats().hits, 1);
    }

    #[test]
    fn extending_a_set_changes_its_generation_and_clones_keep_it() {
        let mut set = keys(1);
        let before = set.generation();
        assert_eq!(set.clone().generation(), before);
        set.extend(keys(2));
        assert_ne!(set.generation(), before);
        assert_ne!(KeySet::empty().generation(), KeySet::empty().generation());
    }

    #[test]
    fn eviction_keeps_the_bound_and_recently_used_entries() {
        let keys = keys(1);
        let mut cache = VerifiedCache::new(3);
        let tokens: Vec<Vec<u8>> =
            (0..6).map(|i| token(1, &format!(r#"{{"sub":"{i}"}}"#))).collect();
        for t in &tokens[..3] {
            assert_eq!(check(t, &keys, NOW, &mut cache), Ok(()));
        }
        // Use token 0, so that it gets a second chance.
        assert_eq!(check(&tokens[0], &keys, NOW, &mut cache), Ok(()));
        for t in &tokens[3..5] {
            assert_eq!(check(t, &keys, NOW, &mut cache), Ok(()));
        }
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.stats().evictions, 2);
        let hits = cache.stats().hits;
        assert_eq!(check(&tokens[0], &keys, NOW, &mut cache), Ok(()));
        assert_eq!(cache.stats().hits, hits + 1, "token 0 survived");
        // Evicted tokens still validate, through the full path.
        let misses = cache.stats().misses;
        assert_eq!(check(&tokens[1], &keys, NOW, &mut cache), Ok(()));
        assert_eq!(cache.stats().misses, misses + 1);
        // Many more tokens never grow it.
        for i in 0..100 {
            let t = token(1, &format!(r#"{{"n":{i}}}"#));
            assert_eq!(check(&t, &keys, NOW, &mut cache), Ok(()));
        }
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.index.len(), 3);
    }

    #[test]
    fn a_hash_collision_never_validates_another_token() {
        let keys = keys(1);
        let limits = Limits::default();
        let mut cache: VerifiedCache = VerifiedCache::new(8);
        let good = token(1, r#"{"sub":"a"}"#);
        let scope = Scope { generation: keys.generation(), limits, token_type: TokenType::Signed };
        let miss = cache.lookup(&good, scope).unwrap_err();
        cache.insert(miss, &good, scope, TimeBounds::default(), ());
        // Another token (same length, one byte changed) presented under the good token's hash.
        let mut other = good.clone();
        let last = other.len() - 5;
        other[last] ^= 1;
        let hash = cache.hash(keys.generation(), &good);
        assert!(cache.lookup_hashed(hash, &other, scope).is_err());
        assert!(cache.lookup_hashed(hash, &good[..10], scope).is_err());
        let newer = Scope { generation: keys.generation() + 1, ..scope };
        assert!(cache.lookup_hashed(hash, &good, newer).is_err());
        let stricter = Scope { limits: Limits { max_json_depth: 2, ..limits }, ..scope };
        assert!(cache.lookup_hashed(hash, &good, stricter).is_err());
        let nested = Scope { token_type: TokenType::Nested, ..scope };
        assert!(cache.lookup_hashed(hash, &good, nested).is_err());
        assert!(cache.lookup_hashed(hash, &good, scope).is_ok());
    }

    #[test]
    fn disabled_cache_and_no_keys_store_nothing() {
        let keys = keys(1);
        let t = token(1, r#"{"sub":"a"}"#);
        let mut off = VerifiedCache::new(0);
        assert_eq!(check(&t, &keys, NOW, &mut off), Ok(()));
        assert_eq!(check(&t, &keys, NOW, &mut off), Ok(()));
        assert_eq!(off.len(), 0);
        assert_eq!(off.stats(), CacheStats::default());
        let mut cache = VerifiedCache::new(8);
        let limits = Limits::default();
        assert_eq!(validate_cached(&t, None, NOW, 0, &limits, &mut cache), Ok(()));
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn oversized_tokens_are_verified_but_not_cached() {
        let keys = keys(1);
        let mut cache = VerifiedCache::new(8);
        let big = token(1, &format!(r#"{{"pad":"{}"}}"#, "x".repeat(MAX_CACHED_TOKEN_BYTES)));
        assert_eq!(check(&big, &keys, NOW, &mut cache), Ok(()));
        assert_eq!(check(&big, &keys, NOW, &mut cache), Ok(()));
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn malformed_time_claims_are_refused_and_not_cached() {
        let keys = keys(1);
        let mut cache = VerifiedCache::new(8);
        let t = token(1, r#"{"exp":"tomorrow"}"#);
        assert_eq!(check(&t, &keys, NOW, &mut cache), Err(Rejection::ClaimNotNumber("exp")));
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn the_kept_value_comes_back_on_hits_without_a_parse() {
        let keys = keys(1);
        let limits = Limits::default();
        let mut cache: VerifiedCache<std::rc::Rc<String>> = VerifiedCache::new(8);
        let t = token(1, r#"{"sub":"alice","exp":1700000100}"#);
        let mut parsed = 0;
        let mut run = |now, parsed: &mut u32| {
            cache.validate(&t, Some(&keys), now, 0, &limits, |jws| {
                *parsed += 1;
                std::rc::Rc::new(jws.claims()["sub"].as_str().unwrap().to_owned())
            })
        };
        let first = run(NOW, &mut parsed).unwrap();
        let second = run(NOW, &mut parsed).unwrap();
        assert_eq!(*second, "alice");
        assert!(std::rc::Rc::ptr_eq(&first, &second), "the same value, not a new parse");
        assert_eq!(parsed, 1);
        assert_eq!(run(NOW + 100, &mut parsed), Err(Rejection::Expired { ago: 0 }));
        assert_eq!(parsed, 1);
        // Without keys, or disabled, every call parses (and gives the same answers).
        let mut off: VerifiedCache<u8> = VerifiedCache::new(0);
        assert_eq!(off.validate(&t, Some(&keys), NOW, 0, &limits, |_| 7), Ok(7));
        assert_eq!(
            cache.validate(&t, None, NOW, 0, &limits, |_| std::rc::Rc::default()).map(|v| v.len()),
            Ok(0)
        );
    }

    #[test]
    fn constant_time_eq_is_equality() {
        let a: Vec<u8> = (0..=255u8).cycle().take(700).collect();
        for len in [0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 95, 96, 97, 563, 700] {
            assert!(constant_time_eq(&a[..len], &a[..len]));
            for i in 0..len {
                let mut b = a[..len].to_vec();
                b[i] ^= 0x80;
                assert!(!constant_time_eq(&a[..len], &b), "len {len}, byte {i}");
            }
        }
        assert!(!constant_time_eq(&a[..10], &a[..11]));
    }

    #[test]
    fn tail_hash_depends_on_every_tail_byte_the_seed_and_the_length() {
        let a: Vec<u8> = (0..100u8).collect();
        let h = tail_hash(1, &a);
        for i in a.len() - HASHED_TAIL_BYTES..a.len() {
            let mut b = a.clone();
            b[i] ^= 1;
            assert_ne!(tail_hash(1, &b), h, "byte {i}");
        }
        assert_ne!(tail_hash(2, &a), h);
        assert_ne!(tail_hash(1, &a[1..]), h);
        // Bytes before the tail do not count.
        let mut b = a.clone();
        b[0] ^= 1;
        assert_eq!(tail_hash(1, &b), h);
        // Short inputs: every byte and the length.
        assert_ne!(tail_hash(1, &[1, 0]), tail_hash(1, &[1]));
        assert_ne!(tail_hash(1, &[1, 2]), tail_hash(1, &[2, 1]));
    }

    #[test]
    fn tokens_alike_at_the_end_share_a_slot_but_never_an_answer() {
        let mut cache: VerifiedCache<u32> = VerifiedCache::new(4);
        let scope =
            Scope { generation: 1, limits: Limits::default(), token_type: TokenType::Signed };
        let tail = [b'x'; HASHED_TAIL_BYTES];
        let (a, b) = ([b"a.".as_slice(), &tail].concat(), [b"b.".as_slice(), &tail].concat());
        let no_times = TimeBounds::default();
        let Err(miss) = cache.lookup(&a, scope) else { panic!("empty cache hit") };
        cache.insert(miss, &a, scope, no_times, 1);
        assert!(cache.lookup(&b, scope).is_err(), "another token found the entry");
        let Err(miss) = cache.lookup(&b, scope) else { unreachable!() };
        cache.insert(miss, &b, scope, no_times, 2);
        assert_eq!(cache.lookup(&b, scope).ok().map(|(_, v)| *v), Some(2));
        assert!(cache.lookup(&a, scope).is_err(), "the replaced entry still answers");
    }

    #[test]
    fn cache_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<VerifiedCache>();
    }
}
