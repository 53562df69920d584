//! The nginx-free core of ngx-auth-jwt: JWT (compact JWS) parsing, JWK Set loading, signature
//! verification and `exp`/`nbf` checks, with the behaviour of NGINX Plus `auth_jwt`.
//!
//! Everything here treats its input as hostile: no panics, bounded work, strict parsing, and
//! error messages that never contain token bytes. The nginx module asks a [`Validator`] for the
//! [`Verdict`] on each request's token and builds a [`KeySet`] whenever key files are
//! (re)loaded.
//!
//! Module map: `base64url` (strict decoding), `json` (duplicate and depth limits), `token`
//! (compact JWS, Bearer header), `algorithm`, `jwk` (key sets), `verify`, `claims` (time),
//! `fields` (claims and header members as variable values), `login` (login redirect URL),
//! `status` (`$jwt_status` values), `cache` (verified-signature cache), `authenticate` (the
//! token type of a location; signature or decryption), `jwk_set` (a key file's outer shape, read once
//! for its signing and its JWE keys), `pipeline` (the order of
//! checks and the cache-or-full choice: the module's one entry point), `error`, `keystore`
//! (key files and per-level key sets that change at run time) and `watch` (the background
//! thread that reloads changed key files).

#![forbid(unsafe_code)]

mod algorithm;
mod authenticate;
mod backend;
mod base64url;
mod cache;
mod claims;
mod dir_watch;
mod ed25519;
mod error;
mod fields;
mod json;
pub mod jwe;
mod jwk;
mod jwk_set;
mod key_name;
mod key_response;
pub mod keystore;
mod kid_index;
mod login;
pub mod metrics;
mod pipeline;
pub mod remote;
mod status;
mod token;
mod verify;
pub mod watch;

pub use algorithm::Algorithm;
pub use authenticate::{TokenType, Verified};
pub use cache::{
    validate_cached, CacheStats, VerifiedCache, DEFAULT_CACHE_ENTRIES, MAX_CACHED_TOKEN_BYTES,
};
pub use claims::check_time;
pub use error::{escape_name, KeyProblem, KeySetError, Part, Rejection};
pub use fields::{lookup, render, require_refusal, require_value_passes, TokenFields};
pub use jwk::KeySet;
pub use key_name::{check_key_file_name, token_variable_in_key_file_name, KeyNameError};
pub use key_response::key_set_of_response;
pub use login::{
    check_login_url, login_redirect, return_path, valid_param_name, LoginUrlError,
    DEFAULT_PARAM as DEFAULT_LOGIN_PARAM,
};
pub use pipeline::{Clock, KeySource, KeySourceError, SourceKeys, Validator, Verdict};
pub use status::JwtStatus;
pub use token::{bearer_token, Jws};
pub use verify::verify_signature;

/// Largest key set accepted by [`KeySet::from_json`], in bytes. Real JWKS documents are a few
/// kilobytes; the cap bounds memory and parse time for a file or subrequest gone wrong.
pub const MAX_KEY_FILE_BYTES: usize = 1 << 20;

/// Resource limits for parsing one token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest token accepted, in bytes (default 16384). Tokens in headers rarely exceed a few
    /// kilobytes; the cap bounds decoding and JSON work per request.
    pub max_token_bytes: usize,
    /// Deepest JSON nesting accepted in the header and the payload (default 32; values above
    /// 127 act as 127, serde_json's own ceiling).
    pub max_json_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_token_bytes: 16384, max_json_depth: 32 }
    }
}

/// Parses `token`, verifies its signature against `keys` (see [`verify_signature`] for what
/// `None` means) and checks `exp`/`nbf` against `now` (unix seconds) with `leeway_secs`.
///
/// The times are checked before the signature, so that an expired or not yet valid token costs
/// no public-key operation (the pipeline's order, see `pipeline.rs`).
pub fn validate<'a>(
    token: &'a [u8],
    keys: Option<&KeySet>,
    now: i64,
    leeway_secs: u64,
    limits: &Limits,
) -> Result<Jws<'a>, Rejection> {
    let jws = Jws::parse(token, limits)?;
    jws.check_time(now, leeway_secs)?;
    verify_signature(&jws, keys)?;
    Ok(jws)
}
