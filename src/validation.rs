//! The glue between a request and the core's validation pipeline: finding the token, the
//! location's key sources and cache, and the clock.

use std::rc::Rc;

use auth_jwt_core::{
    bearer_token, Clock, Limits, SourceKeys, TokenFields, TokenType, Validator, Verdict, Verified,
};
use ngx::ffi::ngx_time;
use ngx::http::Request;

use crate::conf::{KeyRequest, LocConf};
use crate::ffi::complex_value::ComplexValue;
use crate::ffi::request::authorization;
use crate::ffi::NginxFailed;
use crate::key_sources;
use crate::remote_keys::{self, RemoteUse};
use crate::state::{RequestState, ReuseKey, MAX_REUSE_SOURCES};
use crate::worker;

/// The verdict for a token, keeping its fields for the variables and `auth_jwt_require`.
pub type TokenVerdict = Verdict<Rc<TokenFields>>;

/// Validates `token` for the location `conf`: through the location's verified-signature cache
/// where one applies, else in full (the core decides; both give the same answer).
pub fn validate(request: &Request, token: &[u8], conf: &LocConf) -> TokenVerdict {
    cached_verdict(request, token, conf)
        .unwrap_or_else(|| validate_with_remote(request, token, conf).0)
}

/// [`validate`] without the cache-only verdict (the caller tried it), and what the request
/// found for each of the location's key requests (what the access handler may have to fetch).
pub fn validate_with_remote(
    request: &Request,
    token: &[u8],
    conf: &LocConf,
) -> (TokenVerdict, Vec<RemoteUse>) {
    let (sources, remote) = match conf.keys.as_deref() {
        Some(sources) => {
            let (resolved, remote) = key_sources::resolve(request, conf, sources);
            (Some(resolved), remote)
        }
        None => (None, Vec::new()),
    };
    let sources = sources.as_deref();
    let clock = Clock { now: ngx_time(), leeway_secs: conf.leeway_secs() };
    // The ACCESS phase runs again after an internal redirect (an index file, `try_files`,
    // `error_page`): the same token with the same keys, leeway and token type keeps its
    // verdict.
    let state = RequestState::find(request);
    let reuse = state.and_then(|_| reuse_key(token, sources, clock.leeway_secs, conf.token_type()));
    if let (Some(state), Some(key)) = (state, &reuse) {
        if let Some(fields) = state.reusable(key) {
            let verdict = match fields.check_time(clock.now, clock.leeway_secs) {
                Ok(()) => Verdict::Valid(fields),
                Err(rejection) => Verdict::Rejected(rejection),
            };
            return (verdict, remote);
        }
    }
    let cached = worker::with(|worker| {
        let mut validator =
            Validator::new(clock, Limits::default()).with_token_type(conf.token_type());
        let Some(cache) = worker.cache(conf.verify_cache) else {
            return validator.validate(token, sources, keep);
        };
        // Fields kept by the cache outlive the request: without the spare capacity of parsing.
        validator.with_cache(cache).validate(token, sources, |jws| {
            let mut fields = jws.into_fields();
            fields.shrink_to_fit();
            Rc::new(fields)
        })
    });
    let verdict = cached.unwrap_or_else(|| {
        let validator = Validator::new(clock, Limits::default());
        validator.with_token_type(conf.token_type()).validate(token, sources, keep)
    });
    if let (Some(state), Some(key), Verdict::Valid(fields)) = (state, reuse, &verdict) {
        state.remember_validated(key, Rc::clone(fields));
    }
    (verdict, remote)
}

/// The verdict of the verified-signature cache alone, where the location's keys are one
/// level's key files with fixed names, or one key request without variables whose keys are
/// in hand with nothing to do (the common cases): the cache needs only the generation of the
/// key set, so no key set is loaded, no source resolved and nothing allocated. `None` when
/// that does not apply or the cache does not hold the token: the full path decides, as it
/// would have without this one.
pub fn cached_verdict(request: &Request, token: &[u8], conf: &LocConf) -> Option<TokenVerdict> {
    let sources = conf.keys.as_deref()?;
    let generation = match (&sources.ring, sources.templates.is_empty(), &*sources.requests) {
        (Some(ring), true, []) => ring.ready_generation(),
        (None, true, [KeyRequest { fixed: Some(fixed), .. }]) => {
            remote_keys::settled_generation(request, conf, fixed)?
        }
        _ => return None,
    };
    if generation == 0 {
        return None;
    }
    let clock = Clock { now: ngx_time(), leeway_secs: conf.leeway_secs() };
    worker::with(|worker| {
        let cache = worker.cache(conf.verify_cache)?;
        Validator::new(clock, Limits::default())
            .with_token_type(conf.token_type())
            .with_cache(cache)
            .cached(token, generation)
    })?
}

/// What a verdict for `token` depends on besides the clock; `None` where it cannot be told
/// (a key source that is not ready, or too many sources).
fn reuse_key(
    token: &[u8],
    sources: Option<&[SourceKeys]>,
    leeway_secs: u64,
    token_type: TokenType,
) -> Option<ReuseKey> {
    let mut generations = [0; MAX_REUSE_SOURCES];
    let sources = sources.unwrap_or_default();
    if sources.len() > MAX_REUSE_SOURCES {
        return None;
    }
    for (slot, source) in generations.iter_mut().zip(sources) {
        let SourceKeys::Ready(keys) = source else { return None };
        *slot = keys.generation();
    }
    Some(ReuseKey {
        token_at: token.as_ptr() as usize,
        token_len: token.len(),
        generations,
        leeway_secs,
        token_type,
    })
}

fn keep(jws: Verified) -> Rc<TokenFields> {
    Rc::new(jws.into_fields())
}

/// The token of the request: from the `token=$variable` of `auth_jwt` when there is one, else
/// from `Authorization: Bearer`. `Ok(None)` when there is none.
pub fn find_token<'r>(
    request: &'r Request,
    source: Option<&ComplexValue>,
) -> Result<Option<&'r [u8]>, NginxFailed> {
    let Some(variable) = source else {
        return Ok(authorization(request).and_then(bearer_token));
    };
    let value = variable.evaluate(request).ok_or(NginxFailed)?;
    // `token=$http_authorization` hands us the scheme too; a JWT never contains a space, so
    // stripping a `Bearer ` prefix can never change a bare token. A scheme with nothing after
    // it (nginx trims trailing spaces of header values) is no token, as in the header case.
    if value.is_empty() || value.eq_ignore_ascii_case(b"bearer") {
        return Ok(None);
    }
    Ok(Some(bearer_token(value).unwrap_or(value)))
}
