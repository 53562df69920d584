//! What happens after the signature check: `auth_jwt_require` rules, and the login redirect
//! of `auth_jwt_login_url` for requests without a valid token.
//!
//! Built at configuration time and read-only afterwards, like the rest of `LocConf`.

use std::rc::Rc;

use auth_jwt_core::{check_login_url, login_redirect, require_refusal, return_path};
use ngx::core::Status;
use ngx::ffi::{NGX_HTTP_GET, NGX_HTTP_HEAD, NGX_HTTP_SATISFY_ALL, NGX_LOG_ERR};
use ngx::http::{HTTPStatus, HttpModuleLocationConf, NgxHttpCoreModule, Request};

use crate::ffi::complex_value::ComplexValue;
use crate::ffi::headers::set_location;
use crate::ffi::log::request_log;
use crate::ffi::NginxFailed;
use crate::state::RequestState;

/// One `auth_jwt_require $value ... [error=401|403];` directive.
pub struct RequireRule {
    pub values: Vec<ComplexValue>,
    /// 401 or 403: the answer when one of this directive's own values fails.
    pub status: HTTPStatus,
    /// `file:line`, to tell the operator which directive refused a request.
    pub declared_at: String,
}

/// `auth_jwt_login_url url [param=name];`
pub struct LoginUrl {
    /// The target; may contain variables, checked again after evaluation.
    pub url: ComplexValue,
    /// Name of the query parameter that carries the original request URI.
    pub param: String,
}

pub enum LoginSetting {
    Off,
    On(Rc<LoginUrl>),
}

#[derive(Default)]
pub struct PolicyConf {
    /// The `auth_jwt_require` directives in force, in order. A level with its own directives
    /// replaces the inherited list (filled at this level while parsing, inherited at merge).
    pub require: Option<Rc<Vec<RequireRule>>>,
    pub login: Option<LoginSetting>,
}

impl PolicyConf {
    pub fn inherit(&mut self, parent: &PolicyConf) {
        if self.require.is_none() {
            self.require.clone_from(&parent.require);
        }
        if self.login.is_none() {
            self.login = match &parent.login {
                None => None,
                Some(LoginSetting::Off) => Some(LoginSetting::Off),
                Some(LoginSetting::On(login)) => Some(LoginSetting::On(Rc::clone(login))),
            };
        }
    }

    /// Adds one rule written at this level. Fails only if called after inheritance, which
    /// nginx never does (merging starts once the whole `http` block is parsed).
    pub fn add_require(&mut self, rule: RequireRule) -> Result<(), AlreadyInherited> {
        let rules = self.require.get_or_insert_with(|| Rc::new(Vec::new()));
        Rc::get_mut(rules).ok_or(AlreadyInherited)?.push(rule);
        Ok(())
    }
}

/// A level's `auth_jwt_require` list was shared with an inner level before it was complete.
#[derive(Debug)]
pub struct AlreadyInherited;

impl PolicyConf {}

/// Why `auth_jwt_require` did not let a request through.
pub enum RequireFailure {
    /// A value could not be evaluated.
    Nginx(NginxFailed),
    /// A value was empty or `0`.
    Refused(Refusal),
}

/// Which value of which `auth_jwt_require` refused a request.
pub struct Refusal {
    pub status: HTTPStatus,
    pub declared_at: String,
    /// 1-based position of the failing value in its directive.
    pub position: usize,
    /// What the value was, for the log line: `empty`, `"0"`, `a claim that is false`.
    pub reason: &'static str,
}

/// Evaluates the rules in order; the first failing value decides, with the `error=` status of
/// its own directive.
pub fn check_require(request: &Request, conf: &PolicyConf) -> Result<(), RequireFailure> {
    let Some(rules) = &conf.require else { return Ok(()) };
    for rule in rules.iter() {
        for (index, value) in rule.values.iter().enumerate() {
            let (value, from_false_claim) = watch_false_claims(request, || value.evaluate(request));
            let value = value.ok_or(RequireFailure::Nginx(NginxFailed))?;
            if let Some(reason) = require_refusal(value, from_false_claim) {
                return Err(RequireFailure::Refused(Refusal {
                    status: rule.status,
                    declared_at: rule.declared_at.clone(),
                    position: index + 1,
                    reason,
                }));
            }
        }
    }
    Ok(())
}

/// Answers with a 302 to the login URL, if one applies: configured here, a GET or HEAD
/// request, and `satisfy all` (under `satisfy any` another access module may still allow the
/// request, so the decision must stay a 401). `None` leaves the request to the caller's 401.
pub fn login_redirect_status(request: &mut Request, conf: &PolicyConf) -> Option<Status> {
    let Some(LoginSetting::On(login)) = &conf.login else { return None };
    if request.as_ref().method & (NGX_HTTP_GET | NGX_HTTP_HEAD) as usize == 0 {
        return None;
    }
    let core = NgxHttpCoreModule::location_conf(request)?;
    if core.satisfy != NGX_HTTP_SATISFY_ALL as usize {
        return None;
    }

    let Some(url) = login.url.evaluate(request) else {
        return Some(HTTPStatus::INTERNAL_SERVER_ERROR.into());
    };
    if let Err(reason) = check_login_url(url) {
        request_log!(
            NGX_LOG_ERR,
            request,
            "\"auth_jwt_login_url\" evaluated to an unusable URL, answering 401: it {}",
            reason
        );
        return None;
    }
    // check_login_url accepts printable ASCII only.
    let url = core::str::from_utf8(url).ok()?;
    // The URI as the client sent it, path and query, made a path that stays on this site.
    let uri = request.unparsed_uri().as_bytes();
    let target = login_redirect(url, &login.param, &return_path(uri));
    if set_location(request, target.as_bytes()).is_err() {
        return Some(HTTPStatus::INTERNAL_SERVER_ERROR.into());
    }
    Some(HTTPStatus::MOVED_TEMPORARILY.into())
}

/// Runs `evaluate` (a require value) and says whether a claim variable rendered a claim whose
/// JSON value is `false` meanwhile: such a claim renders as the text `false`, which the NGINX
/// Plus rule (only empty and `0` fail) would let through.
fn watch_false_claims<T>(request: &Request, evaluate: impl FnOnce() -> T) -> (T, bool) {
    let Some(state) = RequestState::find(request) else { return (evaluate(), false) };
    let outer = state.false_claim_seen.replace(false);
    let result = evaluate();
    (result, state.false_claim_seen.replace(outer))
}
