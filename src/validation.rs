//! The glue between a request and the core's validation pipeline: finding the token, the
//! location's key sources and cache, and the clock.

use std::rc::Rc;

use auth_jwt_core::{bearer_token, Clock, Limits, TokenFields, Validator, Verdict, Verified};
use ngx::ffi::ngx_time;
use ngx::http::Request;

use crate::conf::LocConf;
use crate::ffi::complex_value::ComplexValue;
use crate::ffi::request::authorization;
use crate::ffi::NginxFailed;
use crate::key_sources;
use crate::worker;

/// The verdict for a token, keeping its fields for the variables and `auth_jwt_require`.
pub type TokenVerdict = Verdict<Rc<TokenFields>>;

/// Validates `token` for the location `conf`: through the location's verified-signature cache
/// where one applies, else in full (the core decides; both give the same answer).
pub fn validate(request: &Request, token: &[u8], conf: &LocConf) -> TokenVerdict {
    let sources = conf.keys.as_deref().map(|sources| key_sources::resolve(request, sources));
    let sources = sources.as_deref();
    let clock = Clock { now: ngx_time(), leeway_secs: conf.leeway_secs() };
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
    cached.unwrap_or_else(|| {
        let validator = Validator::new(clock, Limits::default());
        validator.with_token_type(conf.token_type()).validate(token, sources, keep)
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
