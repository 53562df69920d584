//! The ACCESS phase: find the token, ask the core for a verdict, apply `auth_jwt_require`, and
//! answer: `NGX_DECLINED` (not protected here), `NGX_OK`, 401 with a challenge (or a 302 to
//! `auth_jwt_login_url`), 403 from `auth_jwt_require ... error=403`, or 500 when the keys of
//! the location cannot be used. The outcome is recorded in the request state for
//! `$jwt_status` and the claim variables.

use std::rc::Rc;

use auth_jwt_core::{JwtStatus, KeySource, Verdict};
use ngx::core::Status;
use ngx::ffi::{NGX_LOG_ERR, NGX_LOG_INFO};
use ngx::http::{HTTPStatus, HttpModuleLocationConf, Request};

use crate::conf::{AuthJwt, LocConf};
use crate::ffi::headers::set_www_authenticate;
use crate::ffi::log::request_log;
use crate::policy::{check_require, login_redirect_status, Refusal, RequireFailure};
use crate::remote_keys;
use crate::response::{challenge_value, ChallengeError};
use crate::state::{Outcome, RequestState};
use crate::validation::{cached_verdict, find_token, validate_with_remote, TokenVerdict};
use crate::Module;

/// The access handler's decision for `request` (called by the nginx layer, `ffi/phase.rs`).
pub fn check_access(request: &mut Request) -> Status {
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
    let Some(state) = RequestState::get_or_create(request) else {
        return HTTPStatus::INTERNAL_SERVER_ERROR.into();
    };
    // Running again after waiting for keys: the fetches need not wake this request any more.
    state.stop_listening();

    let token = match find_token(request, auth.token.as_ref()) {
        Ok(Some(token)) => token,
        Ok(None) => {
            state.set_outcome(Outcome { status: JwtStatus::Missing, fields: None });
            request_log!(NGX_LOG_INFO, request, "no token in the request");
            return unauthorized(request, conf, auth, ChallengeError::None);
        }
        Err(_) => return HTTPStatus::INTERNAL_SERVER_ERROR.into(),
    };

    // The common case first: a token the verified-signature cache holds, for keys that need
    // no work to find (no file name to evaluate, no fetch to start or wait for).
    if let Some(verdict) = cached_verdict(request, token, conf) {
        return answer(request, conf, auth, verdict);
    }
    let (verdict, remote) = validate_with_remote(request, token, conf);
    // Keys of a key request are not in hand, or lack the token's `kid`: fetch and wait.
    if let Verdict::NeedKeys(_) = verdict {
        return remote_keys::wait_for_keys(request, conf, &remote);
    }
    if matches!(&verdict, Verdict::Rejected(rejection) if rejection.is_no_key())
        && remote_keys::refetch_for_unknown_kid(request, conf)
    {
        return Status::NGX_AGAIN;
    }
    remote_keys::refresh_ahead(request, conf, &remote);
    answer(request, conf, auth, verdict)
}

/// Records the verdict for `$jwt_status` and the claim variables, applies `auth_jwt_require`
/// to a valid token, and answers.
fn answer(request: &mut Request, conf: &LocConf, auth: &AuthJwt, verdict: TokenVerdict) -> Status {
    let Some(state) = RequestState::find(request) else {
        return HTTPStatus::INTERNAL_SERVER_ERROR.into();
    };
    match verdict {
        Verdict::Valid(fields) => {
            // Recorded first, so that the require values can read the claims.
            state.set_outcome(Outcome { status: JwtStatus::Ok, fields: Some(Rc::clone(&fields)) });
            match check_require(request, &conf.policy) {
                Ok(()) => Status::NGX_OK,
                Err(RequireFailure::Nginx(_)) => HTTPStatus::INTERNAL_SERVER_ERROR.into(),
                Err(RequireFailure::Refused(refusal)) => {
                    // The token is authentic: its claims stay visible (e.g. to log who was
                    // refused), only the status changes.
                    state.set_outcome(Outcome {
                        status: JwtStatus::RequireFailed,
                        fields: Some(fields),
                    });
                    refused(request, conf, auth, &refusal)
                }
            }
        }
        Verdict::Rejected(rejection) => {
            state.set_outcome(Outcome { status: rejection.status(), fields: None });
            request_log!(NGX_LOG_INFO, request, "rejected token: {}", rejection);
            unauthorized(request, conf, auth, ChallengeError::InvalidToken)
        }
        Verdict::KeysUnusable(error) => {
            state.set_outcome(Outcome { status: error.status(), fields: None });
            match error.origin {
                KeySource::Request(_) => remote_keys::log_unavailable(request, &error),
                _ => request_log!(NGX_LOG_ERR, request, "{}", error),
            }
            HTTPStatus::INTERNAL_SERVER_ERROR.into()
        }
        // Answered by the caller (it waits for the keys).
        Verdict::NeedKeys(_) => Status::NGX_AGAIN,
    }
}

/// The answer for a valid token that `auth_jwt_require` refused: 403 or 401.
fn refused(request: &mut Request, conf: &LocConf, auth: &AuthJwt, refusal: &Refusal) -> Status {
    request_log!(
        NGX_LOG_INFO,
        request,
        "token refused by \"auth_jwt_require\" in {}: value {} is {}",
        refusal.declared_at,
        refusal.position,
        refusal.reason
    );
    if refusal.status == HTTPStatus::FORBIDDEN {
        return HTTPStatus::FORBIDDEN.into();
    }
    unauthorized(request, conf, auth, ChallengeError::InvalidToken)
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
    if set_www_authenticate(request, &value).is_err() {
        return HTTPStatus::INTERNAL_SERVER_ERROR.into();
    }
    HTTPStatus::UNAUTHORIZED.into()
}

/// Test builds only (cargo feature `fault-injection`, off by default): a request carrying
/// `X-Auth-Jwt-Panic: 1` panics here, inside the `catch_unwind` of the access handler, so that
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
