//! The one decision "is this token good for this location": the order of checks, the choice
//! between the verified-signature cache and a full verification, and the time checks.
//!
//! The caller (the nginx module) finds the token, says what it knows of each key source of
//! the location ([`SourceKeys`]: ready, unusable, or not fetched yet) and maps the
//! [`Verdict`] to a response. A verdict of [`Verdict::NeedKeys`] asks the caller to obtain
//! the keys of one source (read a file, or wait for a subrequest) and to validate again.
//! Validation keeps no state between the two calls: parsing again costs about a microsecond,
//! while keeping a parsed token across an asynchronous wait would tie it to request memory.
//!
//! The order of outcomes is that of NGINX Plus: structure first, keys second, times and
//! signature last. A malformed token is refused (401) even where the keys are broken, while a
//! well-formed one there gets 500. The times are checked before the signature, so that an
//! expired or not yet valid token costs no public-key operation; a forged expired token is
//! therefore `expired`, not `bad_signature` (refused either way).
//!
//! The cache path gives the same verdict as the full path for every token (see
//! `tests/pipeline.rs`); it applies only where the location's keys are exactly one ready key
//! set, whose generation the cache keys on.

use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::authenticate::{authenticate, parse, TokenType, Verified};
use crate::cache::{Scope, VerifiedCache};
use crate::claims::TimeBounds;
use crate::error::{escape_name, Rejection};
use crate::jwk::KeySet;
use crate::status::JwtStatus;
use crate::Limits;

/// Where a key set comes from, as the log names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// An `auth_jwt_key_file`, with a fixed name or one built from variables.
    File(PathBuf),
    /// An `auth_jwt_key_file` whose name, built from variables, is empty in this request.
    EmptyFileName,
    /// An `auth_jwt_key_request` URI (as evaluated for the request).
    Request(String),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Names built from variables come from the request: escaped, so that they cannot
            // forge log lines.
            KeySource::File(path) => {
                write!(f, "key file {}", escape_name(path.as_os_str().as_bytes()))
            }
            KeySource::EmptyFileName => f.write_str("key file \"\""),
            KeySource::Request(uri) => write!(f, "key request {}", escape_name(uri.as_bytes())),
        }
    }
}

/// Why a key source gives no keys: the request gets 500, as in NGINX Plus.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{origin} is unusable: {reason}")]
pub struct KeySourceError {
    pub origin: KeySource,
    /// One lower-case line without the source (it is named by `origin`).
    pub reason: String,
}

impl KeySourceError {
    #[must_use]
    pub fn empty_file_name() -> KeySourceError {
        KeySourceError {
            origin: KeySource::EmptyFileName,
            reason: "the key file name is empty".into(),
        }
    }

    /// `key_error` for key files, `key_fetch_error` for key requests.
    #[must_use]
    pub fn status(&self) -> JwtStatus {
        match self.origin {
            KeySource::Request(_) => JwtStatus::KeyFetchError,
            KeySource::File(_) | KeySource::EmptyFileName => JwtStatus::KeyError,
        }
    }
}

/// What the caller knows of one key source when it asks for a verdict.
#[derive(Clone)]
pub enum SourceKeys {
    Ready(Arc<KeySet>),
    Unusable(KeySourceError),
    /// Not available yet: the caller must obtain them, then validate again.
    Pending,
}

/// The time a verdict is for: unix seconds, and the clock skew allowed either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    pub now: i64,
    pub leeway_secs: u64,
}

/// The answer for one token.
#[derive(Debug)]
pub enum Verdict<V> {
    /// Signature (where keys are configured) and times check out; the caller's value for the
    /// token (see [`Validator::validate`]).
    Valid(V),
    /// The token is refused: 401.
    Rejected(Rejection),
    /// A key source the token needs has no usable keys: 500.
    KeysUnusable(KeySourceError),
    /// The keys of the source at this index are needed: obtain them, then validate again.
    NeedKeys(usize),
}

impl<V> Verdict<V> {
    /// The `$jwt_status` of the verdict; `None` while keys are still needed.
    #[must_use]
    pub fn status(&self) -> Option<JwtStatus> {
        match self {
            Verdict::Valid(_) => Some(JwtStatus::Ok),
            Verdict::Rejected(rejection) => Some(rejection.status()),
            Verdict::KeysUnusable(error) => Some(error.status()),
            Verdict::NeedKeys(_) => None,
        }
    }
}

/// Validates tokens for one location and one moment; see the module documentation.
pub struct Validator<'c, V> {
    clock: Clock,
    limits: Limits,
    token_type: TokenType,
    cache: Option<&'c mut VerifiedCache<V>>,
}

impl<'c, V: Clone> Validator<'c, V> {
    /// A validator without a cache: every token is verified in full.
    #[must_use]
    pub fn new(clock: Clock, limits: Limits) -> Validator<'c, V> {
        Validator { clock, limits, token_type: TokenType::Signed, cache: None }
    }

    /// Accepts tokens of `token_type` (`auth_jwt_type`; the default is signed) and refuses
    /// the other kinds.
    #[must_use]
    pub fn with_token_type(mut self, token_type: TokenType) -> Validator<'c, V> {
        self.token_type = token_type;
        self
    }

    /// Uses `cache` where the location's keys allow it (one ready key set).
    #[must_use]
    pub fn with_cache(mut self, cache: &'c mut VerifiedCache<V>) -> Validator<'c, V> {
        self.cache = Some(cache);
        self
    }

    /// The verdict for `token` when the cache holds it for the one ready key set of the
    /// location, named by its [`KeySet::generation`]: the verdict [`Validator::validate`]
    /// would give, found without the key set itself (a caller can read a generation for less
    /// than the set). `None` when the cache does not hold the token, or there is no cache:
    /// [`Validator::validate`] then decides.
    pub fn cached(&mut self, token: &[u8], generation: u64) -> Option<Verdict<V>> {
        let cache = self.cache.as_mut()?;
        let scope = Scope { generation, limits: self.limits, token_type: self.token_type };
        let answer = cache.hit(token, scope, (self.clock.now, self.clock.leeway_secs))?;
        Some(match answer {
            Ok(value) => Verdict::Valid(value),
            Err(rejection) => Verdict::Rejected(rejection),
        })
    }

    /// The verdict for `token` against the location's key sources. `sources` is `None` when no
    /// key directive applies: like NGINX Plus, signatures are then not verified (the token is
    /// still parsed, which refuses `alg: none`, and its times are checked); an encrypted token
    /// then has no key to be decrypted with (`no_key`).
    ///
    /// An encrypted or nested token is decrypted with the union of the sources' decryption
    /// keys; the signature of a nested token's JWS is verified with their signing keys.
    ///
    /// `keep` turns a token that validated in full into the caller's value (the nginx module
    /// keeps the decoded fields for its variables); the cache keeps that value with the entry
    /// and hands a clone back on every hit.
    pub fn validate<'t>(
        &mut self,
        token: &'t [u8],
        sources: Option<&[SourceKeys]>,
        keep: impl FnOnce(Verified<'t>) -> V,
    ) -> Verdict<V> {
        let Clock { now, leeway_secs } = self.clock;
        let (limits, token_type) = (self.limits, self.token_type);
        if let (Some([SourceKeys::Ready(keys)]), Some(cache)) = (sources, self.cache.as_mut()) {
            let scope = Scope { generation: keys.generation(), limits, token_type };
            let sets = [&**keys];
            let times = |bounds: TimeBounds| bounds.check(now, leeway_secs);
            let full =
                || authenticate(parse(token, &limits, token_type)?, Some(&sets), &limits, &times);
            return match cache.validate_in(token, scope, (now, leeway_secs), full, keep) {
                Ok(value) => Verdict::Valid(value),
                Err(rejection) => Verdict::Rejected(rejection),
            };
        }
        let parsed = match parse(token, &limits, token_type) {
            Ok(parsed) => parsed,
            Err(rejection) => return Verdict::Rejected(rejection),
        };
        // Keys second: a source that is broken or not fetched yet decides before the token's
        // claims do (a 500 or a fetch, as in NGINX Plus). One ready set, the common case, needs
        // no allocation.
        let (one, mut many);
        let sets: Option<&[&KeySet]> = match sources {
            None => None,
            Some([SourceKeys::Ready(keys)]) => {
                one = [&**keys];
                Some(&one)
            }
            Some(sources) => {
                many = Vec::with_capacity(sources.len());
                for (index, source) in sources.iter().enumerate() {
                    match source {
                        SourceKeys::Ready(keys) => many.push(&**keys),
                        SourceKeys::Unusable(error) => return Verdict::KeysUnusable(error.clone()),
                        SourceKeys::Pending => return Verdict::NeedKeys(index),
                    }
                }
                Some(&many)
            }
        };
        // Times third, before any signature is verified (see `authenticate`).
        let times = |bounds: TimeBounds| bounds.check(now, leeway_secs);
        match authenticate(parsed, sets, &limits, &times) {
            Ok(verified) => Verdict::Valid(keep(verified)),
            Err(rejection) => Verdict::Rejected(rejection),
        }
    }
}
