//! The ACCESS phase handler: find the token, validate it with the core crate, apply
//! `auth_jwt_require`, and map the outcome to nginx: `NGX_DECLINED` (not protected here),
//! `NGX_OK`, 401 with a challenge (or a 302 to `auth_jwt_login_url`), 403 from
//! `auth_jwt_require ... error=403`, or 500 when the keys of the location cannot be used.
//! The outcome is recorded in the request state for `$jwt_status` and the claim variables.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;

use auth_jwt_core::keystore::{KeyFile, KeyState};
use auth_jwt_core::{
    bearer_token, check_key_file_name, check_time, escape_name, status, verify_signature,
    verify_signature_any, Jws, KeySet, Limits, Rejection, TokenFields, DEFAULT_CACHE_ENTRIES,
};
use ngx::core::Status;
use ngx::ffi::{ngx_http_request_t, ngx_int_t, ngx_time, NGX_LOG_ERR, NGX_LOG_INFO};
use ngx::http::{HTTPStatus, HttpModuleLocationConf, Request};

use crate::complex_value::ComplexValue;
use crate::conf::{AuthJwt, KeyFileTemplate, LocConf, TokenCache, VerifyCacheSetting};
use crate::ctx::{Outcome, RequestCtx};
use crate::dynamic_keys;
use crate::log::request_log;
use crate::policy::{check_require, login_redirect_status};
use crate::response::{challenge_value, set_www_authenticate, ChallengeError};
use crate::Module;

/// Registered in the ACCESS phase by `postconfiguration`.
pub(crate) extern "C" fn access_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls phase handlers with a valid request.
    let request = unsafe { Request::from_ngx_http_request(r) };
    // A panic must never unwind into nginx (it would abort the worker): answer 500 instead.
    let status = match catch_unwind(AssertUnwindSafe(|| check_access(request))) {
        Ok(status) => status,
        Err(_) => {
            request_log!(NGX_LOG_ERR, request, "internal error while checking the token");
            HTTPStatus::INTERNAL_SERVER_ERROR.into()
        }
    };
    status.0
}

fn check_access(request: &mut Request) -> Status {
    let Some(conf) = Module::location_conf(request) else {
        return Status::NGX_DECLINED;
    };
    let Some(auth) = conf.enabled() else {
        return Status::NGX_DECLINED;
    };
    #[cfg(feature = "fault-injection")]
    inject_fault(request);
    // The outcome must be recorded for `$jwt_status` and the claim variables; without the
    // state, variables could fall back to decoding a token this handler refused.
    let Some(ctx) = RequestCtx::get_or_create(request) else {
        return HTTPStatus::INTERNAL_SERVER_ERROR.into();
    };

    let token = match find_token(request, auth.token.as_ref()) {
        Ok(Some(token)) => token,
        Ok(None) => {
            ctx.set_outcome(Outcome { status: status::MISSING, fields: None });
            request_log!(NGX_LOG_INFO, request, "no token in the request");
            return unauthorized(request, conf, auth, ChallengeError::None);
        }
        Err(()) => return HTTPStatus::INTERNAL_SERVER_ERROR.into(),
    };

    match validate(request, token, conf) {
        Ok(fields) => {
            // Recorded first, so that the require values can read the claims.
            ctx.set_outcome(Outcome { status: status::OK, fields: Some(Rc::clone(&fields)) });
            match check_require(request, &conf.policy) {
                Ok(()) => Status::NGX_OK,
                Err(None) => HTTPStatus::INTERNAL_SERVER_ERROR.into(),
                Err(Some(failure)) => {
                    // The token is authentic: its claims stay visible (e.g. to log who was
                    // refused), only the status changes.
                    ctx.set_outcome(Outcome {
                        status: status::REQUIRE_FAILED,
                        fields: Some(fields),
                    });
                    request_log!(
                        NGX_LOG_INFO,
                        request,
                        "token refused by \"auth_jwt_require\" in {}: value {} is {}",
                        failure.declared_at,
                        failure.position,
                        failure.reason
                    );
                    if failure.status == HTTPStatus::FORBIDDEN {
                        return HTTPStatus::FORBIDDEN.into();
                    }
                    unauthorized(request, conf, auth, ChallengeError::InvalidToken)
                }
            }
        }
        Err(Failure::Rejected(rejection)) => {
            ctx.set_outcome(Outcome { status: rejection.kind(), fields: None });
            request_log!(NGX_LOG_INFO, request, "rejected token: {}", rejection);
            unauthorized(request, conf, auth, ChallengeError::InvalidToken)
        }
        Err(Failure::KeysUnusable { file, reason }) => {
            ctx.set_outcome(Outcome { status: status::KEY_ERROR, fields: None });
            // The name may come from the request: escaped, so it cannot forge log lines.
            let file = escape_name(file.as_bytes());
            request_log!(NGX_LOG_ERR, request, "key file {} is unusable: {}", file, reason);
            HTTPStatus::INTERNAL_SERVER_ERROR.into()
        }
    }
}

pub(crate) enum Failure {
    Rejected(Rejection),
    KeysUnusable { file: String, reason: String },
}

thread_local! {
    /// The cache of the levels without `auth_jwt_verify_cache` (a worker is one thread).
    static DEFAULT_CACHE: RefCell<TokenCache> =
        RefCell::new(TokenCache::new(DEFAULT_CACHE_ENTRIES));
}

/// Validates `token` for the location and returns its fields: through the verified-signature
/// cache where one applies, else in full. Both give the same answer for every token.
pub(crate) fn validate(
    request: &Request,
    token: &[u8],
    conf: &LocConf,
) -> Result<Rc<TokenFields>, Failure> {
    if let Some(result) = validate_cached(request, token, conf) {
        return result;
    }
    validate_in_full(request, token, conf).map(|jws| Rc::new(jws.into_fields()))
}

/// The cached path, where a level's keys are one key set that is usable: its fixed key files,
/// or a single key file named with variables (`auth_jwt_key_file $tenant_keys;`, each name a
/// key set of its own). `None` when it does not apply (no cache, fixed and variable files
/// together, several variable files, an empty name, broken or no key files: those keep the
/// full path and its order of checks).
fn validate_cached(
    request: &Request,
    token: &[u8],
    conf: &LocConf,
) -> Option<Result<Rc<TokenFields>, Failure>> {
    if matches!(conf.verify_cache, Some(VerifyCacheSetting::Off)) {
        return None;
    }
    let sources = conf.keys.as_deref()?;
    // The guards keep the key set we read alive until the check is done, even if the watcher
    // replaces it meanwhile (the new set has a new generation: its tokens miss the cache).
    match (&sources.ring, sources.templates.as_slice()) {
        (Some(ring), []) => {
            let state = ring.state();
            let KeyState::Ready(keys) = &**state else { return None };
            validate_with_cache(token, keys, conf)
        }
        (None, [template]) => {
            let loaded = template_key_file(request, template).ok()?.loaded();
            let Ok(keys) = &loaded.keys else { return None };
            validate_with_cache(token, keys, conf)
        }
        _ => None,
    }
}

/// Validates `token` against `keys` through the location's cache (a miss verifies and fills
/// it). `None` if the cache is in use already (never expected: the handler does not re-enter).
fn validate_with_cache(
    token: &[u8],
    keys: &KeySet,
    conf: &LocConf,
) -> Option<Result<Rc<TokenFields>, Failure>> {
    let run = |cache: &mut TokenCache| {
        let keep = |jws: Jws| {
            let mut fields = jws.into_fields();
            // Kept beyond this request: without the spare capacity of parsing.
            fields.shrink_to_fit();
            Rc::new(fields)
        };
        let limits = Limits::default();
        cache
            .validate(token, Some(keys), ngx_time(), conf.leeway_secs(), &limits, keep)
            .map_err(Failure::Rejected)
    };
    match &conf.verify_cache {
        Some(VerifyCacheSetting::On(cache)) => cache.try_borrow_mut().ok().map(|mut c| run(&mut c)),
        _ => DEFAULT_CACHE.with(|cache| cache.try_borrow_mut().ok().map(|mut c| run(&mut c))),
    }
}

/// Structure first, keys second, signature and time last: a malformed token is a 401 even
/// where the key file is broken, while a well-formed one there is a 500 (NGINX Plus order).
fn validate_in_full<'t>(
    request: &Request,
    token: &'t [u8],
    conf: &LocConf,
) -> Result<Jws<'t>, Failure> {
    let jws = Jws::parse(token, &Limits::default()).map_err(Failure::Rejected)?;
    match conf.keys.as_deref() {
        None => verify_signature(&jws, None),
        Some(sources) if sources.templates.is_empty() => {
            // The common case: fixed key files only. The watcher may replace the state at any
            // time; the guard keeps the version we read alive until the check is done.
            match &sources.ring {
                None => Ok(()),
                Some(ring) => {
                    let state = ring.state();
                    verify_signature(&jws, Some(usable(&state)?))
                }
            }
        }
        Some(sources) => {
            let state = sources.ring.as_ref().map(|ring| ring.state());
            let mut loaded = Vec::with_capacity(sources.templates.len());
            for template in &sources.templates {
                let file = template_key_file(request, template)?;
                loaded.push((file.path().display().to_string(), file.loaded()));
            }
            let mut sets = Vec::with_capacity(loaded.len() + 1);
            if let Some(state) = &state {
                sets.push(usable(state)?);
            }
            for (file, loaded) in &loaded {
                match &loaded.keys {
                    Ok(keys) => sets.push(&**keys),
                    Err(reason) => {
                        return Err(Failure::KeysUnusable {
                            file: file.clone(),
                            reason: reason.clone(),
                        })
                    }
                }
            }
            verify_signature_any(&jws, &sets)
        }
    }
    .map_err(Failure::Rejected)?;
    check_time(jws.claims(), ngx_time(), conf.leeway_secs()).map_err(Failure::Rejected)?;
    Ok(jws)
}

/// The key file a name with variables stands for in this request, loaded and watched on first
/// use; the 500 failure when the name is empty or would leave its configured directory.
fn template_key_file(
    request: &Request,
    template: &KeyFileTemplate,
) -> Result<Arc<KeyFile>, Failure> {
    let name = template.name.evaluate(request).unwrap_or_default();
    check_key_file_name(template.name.source(), name).map_err(|refused| Failure::KeysUnusable {
        file: String::from_utf8_lossy(name).into_owned(),
        reason: refused.to_string(),
    })?;
    Ok(dynamic_keys::key_file(dynamic_keys::resolve(name, &template.conf_prefix)))
}

/// The key set of a level's fixed key files, or the 500 failure naming the broken file.
fn usable(state: &KeyState) -> Result<&KeySet, Failure> {
    match state {
        KeyState::Ready(keys) => Ok(keys),
        KeyState::Broken { file, reason } => {
            Err(Failure::KeysUnusable { file: file.clone(), reason: reason.clone() })
        }
    }
}

/// The token of the request: from the `token=$variable` of `auth_jwt` when there is one, else
/// from `Authorization: Bearer`. `Ok(None)` when there is none; `Err` when nginx failed.
pub(crate) fn find_token<'r>(
    request: &'r Request,
    source: Option<&ComplexValue>,
) -> Result<Option<&'r [u8]>, ()> {
    let value = match source {
        Some(variable) => variable.evaluate(request).ok_or(())?,
        None => {
            let header = request.as_ref().headers_in.authorization;
            if header.is_null() {
                return Ok(None);
            }
            // SAFETY: a non-null `authorization` points to a header element of this request.
            let value = unsafe { (*header).value.as_bytes() };
            return Ok(bearer_token(value));
        }
    };
    // `token=$http_authorization` hands us the scheme too; a JWT never contains a space, so
    // stripping a `Bearer ` prefix can never change a bare token. A scheme with nothing after
    // it (nginx trims trailing spaces of header values) is no token, as in the header case.
    if value.is_empty() || value.eq_ignore_ascii_case(b"bearer") {
        return Ok(None);
    }
    Ok(Some(bearer_token(value).unwrap_or(value)))
}

/// A 401: a redirect to `auth_jwt_login_url` where one applies, else the challenge.
fn unauthorized(
    request: &mut Request,
    conf: &LocConf,
    auth: &AuthJwt,
    error: ChallengeError,
) -> Status {
    if let Some(status) = login_redirect_status(request, &conf.policy) {
        return status;
    }
    challenge(request, auth, error)
}

/// 401 with `WWW-Authenticate: Bearer realm="..."[, error="invalid_token"]`. The body is left
/// to nginx so that `error_page 401` keeps working.
fn challenge(request: &mut Request, auth: &AuthJwt, error: ChallengeError) -> Status {
    let Some(realm) = auth.realm.evaluate(request) else {
        return HTTPStatus::INTERNAL_SERVER_ERROR.into();
    };
    let value = challenge_value(realm, error);
    if set_www_authenticate(request, &value).is_none() {
        return HTTPStatus::INTERNAL_SERVER_ERROR.into();
    }
    HTTPStatus::UNAUTHORIZED.into()
}

/// Test builds only (cargo feature `fault-injection`, off by default): a request carrying
/// `X-Auth-Jwt-Panic: 1` panics here, inside the `catch_unwind` of `access_handler`, so that
/// t/22-panic-guard.t can prove a panic gives a 500 and an error line, not a dead worker.
#[cfg(feature = "fault-injection")]
fn inject_fault(request: &Request) {
    let wanted = request.headers_in_iterator().any(|(name, value)| {
        name.as_bytes().eq_ignore_ascii_case(b"x-auth-jwt-panic") && value.as_bytes() == b"1"
    });
    if wanted {
        panic!("fault injection: X-Auth-Jwt-Panic");
    }
}
