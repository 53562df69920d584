//! The counters of `auth_jwt_zone` and the key-set status page, free of nginx.
//!
//! The nginx module hands this code the zone's memory as a slice of `AtomicU64` words
//! ([`zone::Zone`]); every worker counts into it with relaxed atomic adds and publishes its key
//! set status into its own slot ([`zone::StatusSlot`], a seqlock). The metrics page is rendered
//! from the words by [`text::render`]; the status page from the slots by [`status`].
//!
//! Everything in the zone is an atomic word, so a worker that reads while another writes sees
//! old or new numbers, never torn memory; the layout is a pure function of the zone's size, so
//! a zone reused across a reload (same size) is read the same way by old and new workers.

pub mod alg;
pub mod status;
pub mod text;
pub mod zone;

pub use alg::{alg_index, alg_name, fields_alg, token_alg, ALG_COUNT, UNKNOWN_ALG};

/// What one verification key is, for a status page: never its material.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    pub kid: Option<String>,
    /// The JWK `kty`: `oct`, `RSA`, `EC` or `OKP`.
    pub kty: &'static str,
    /// The key's own `alg`, if it names one.
    pub alg: Option<&'static str>,
    /// What the module does with it, in the words of the JWK `use`: `sig` (verifies
    /// signatures) or `enc` (decrypts encrypted tokens). A key that does both (an RSA private
    /// key without `use`) is listed once for each.
    pub usage: &'static str,
}

/// A stable 64-bit name hash (FNV-1a), never 0 (0 marks a free slot in the zone).
#[must_use]
pub fn name_hash(name: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in name {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash | 1
}
