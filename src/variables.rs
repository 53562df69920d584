//! Embedded variables: `$jwt_header_<name>`, `$jwt_claim_<name>`, `$jwt_payload`,
//! `$jwt_status`, and the variables defined by `auth_jwt_claim_set` / `auth_jwt_header_set`.
//!
//! Where the values come from (the README's "Embedded Variables" has the user's view):
//! 1. Once the access handler has run for the request (it survives internal redirects, see
//!    `ctx.rs`): the token it verified, or nothing at all if it refused the request.
//! 2. Before that, in a location where `auth_jwt` is on (rewrite and preaccess phases, e.g.
//!    `limit_req`; subrequests, which skip the access phase): the token of the location's own
//!    source, validated here exactly as the access handler would (signature, `exp`, `nbf`, but
//!    not `auth_jwt_require`); a token that does not validate gives nothing.
//! 3. Where `auth_jwt` is off or absent: `Authorization: Bearer` decoded **without
//!    verification** (NGINX Plus behaviour, used for claim-based rate limiting).
//!
//! All variables are NOCACHEABLE: a value read before the access phase must not stick.

use core::ffi::{c_char, c_void};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use auth_jwt_core::{Jws, Limits, TokenFields};
use ngx::core::{NGX_CONF_ERROR, NGX_CONF_OK};
use ngx::ffi::{
    ngx_command_t, ngx_conf_t, ngx_http_add_variable, ngx_http_request_t, ngx_http_variable_t,
    ngx_int_t, ngx_str_t, ngx_uint_t, ngx_variable_value_t, u_char, NGX_ERROR,
    NGX_HTTP_VAR_NOCACHEABLE, NGX_HTTP_VAR_PREFIX, NGX_LOG_ERR, NGX_OK,
};
use ngx::http::{HttpModuleLocationConf, Request};

use crate::ctx::RequestCtx;
use crate::directives::{directive_args, invalid};
use crate::guarded;
use crate::handler::{find_token, validate};
use crate::log::request_log;
use crate::Module;

const CLAIM_PREFIX: &[u8] = b"jwt_claim_";
const HEADER_PREFIX: &[u8] = b"jwt_header_";

type GetHandler =
    unsafe extern "C" fn(*mut ngx_http_request_t, *mut ngx_variable_value_t, usize) -> ngx_int_t;

/// Registers the built-in variables; called from `preconfiguration`, so that configuration
/// directives (`map`, `log_format`, `proxy_set_header`...) can refer to them.
pub fn register(cf: *mut ngx_conf_t) -> Result<(), ()> {
    let prefix = (NGX_HTTP_VAR_PREFIX | NGX_HTTP_VAR_NOCACHEABLE) as ngx_uint_t;
    let plain = NGX_HTTP_VAR_NOCACHEABLE as ngx_uint_t;
    let table: [(&[u8], ngx_uint_t, GetHandler); 4] = [
        (HEADER_PREFIX, prefix, var_header_prefix),
        (CLAIM_PREFIX, prefix, var_claim_prefix),
        (b"jwt_payload", plain, var_payload),
        (b"jwt_status", plain, var_status),
    ];
    for (name, flags, handler) in table {
        let mut name = ngx_str_t { len: name.len(), data: name.as_ptr().cast_mut() };
        // SAFETY: `cf` is the configuration being parsed; nginx copies the name into its pool
        // (it never writes through `name.data`).
        let variable = unsafe { ngx_http_add_variable(cf, &mut name, flags) };
        set_handler(variable, handler, 0)?;
    }
    Ok(())
}

fn set_handler(
    variable: *mut ngx_http_variable_t,
    handler: GetHandler,
    data: usize,
) -> Result<(), ()> {
    if variable.is_null() {
        return Err(());
    }
    // SAFETY: a non-null result of ngx_http_add_variable is a variable of the configuration.
    unsafe {
        (*variable).get_handler = Some(handler);
        (*variable).data = data;
    }
    Ok(())
}

/// Which part of the token a variable reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Header,
    Claims,
}

/// The variable of one `auth_jwt_claim_set` or `auth_jwt_header_set` directive.
struct FieldPath {
    part: Part,
    names: Vec<String>,
}

/// `auth_jwt_claim_set $variable name ...;`
pub extern "C" fn cmd_auth_jwt_claim_set(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    _conf: *mut c_void,
) -> *mut c_char {
    guarded(NGX_CONF_ERROR, || add_field_variable(cf, Part::Claims, "auth_jwt_claim_set"))
}

/// `auth_jwt_header_set $variable name ...;`
pub extern "C" fn cmd_auth_jwt_header_set(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    _conf: *mut c_void,
) -> *mut c_char {
    guarded(NGX_CONF_ERROR, || add_field_variable(cf, Part::Header, "auth_jwt_header_set"))
}

fn add_field_variable(cf: *mut ngx_conf_t, part: Part, directive: &str) -> *mut c_char {
    // SAFETY: nginx passes the configuration being parsed to directive handlers.
    let args = unsafe { directive_args(cf) };
    // NGX_CONF_2MORE: the directive name, the variable and at least one member name.
    let [_, variable, names @ ..] = args else { return NGX_CONF_ERROR };
    let Some(var_name) = variable.as_bytes().strip_prefix(b"$").filter(|n| !n.is_empty()) else {
        return invalid(cf, "variable name", variable, directive);
    };
    let mut path = Vec::with_capacity(names.len());
    for name in names {
        match name.to_str() {
            Ok(name) => path.push(name.to_owned()),
            Err(_) => return invalid(cf, "name", name, directive),
        }
    }
    let mut var_name = ngx_str_t { len: var_name.len(), data: var_name.as_ptr().cast_mut() };
    // SAFETY: `cf` is valid; the pool allocation registers a cleanup that drops the path with
    // the configuration, so the pointer stays valid for as long as the variable exists.
    let (variable, data) = unsafe {
        let data =
            ngx::core::Pool::from_ngx_pool((*cf).pool).allocate(FieldPath { part, names: path });
        if data.is_null() {
            return NGX_CONF_ERROR;
        }
        // A second definition of the same variable fails here, with nginx's own message.
        let variable =
            ngx_http_add_variable(cf, &mut var_name, NGX_HTTP_VAR_NOCACHEABLE as ngx_uint_t);
        (variable, data)
    };
    match set_handler(variable, var_field, data as usize) {
        Ok(()) => NGX_CONF_OK,
        Err(()) => NGX_CONF_ERROR,
    }
}

/* get handlers */

unsafe extern "C" fn var_claim_prefix(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    data: usize,
) -> ngx_int_t {
    // SAFETY: nginx calls get handlers with a valid request, value and, for prefix variables,
    // `data` pointing to the full (lower-cased) variable name.
    unsafe { get(r, v, |request| prefix_value(request, data, CLAIM_PREFIX, Part::Claims)) }
}

unsafe extern "C" fn var_header_prefix(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    data: usize,
) -> ngx_int_t {
    // SAFETY: as for var_claim_prefix.
    unsafe { get(r, v, |request| prefix_value(request, data, HEADER_PREFIX, Part::Header)) }
}

unsafe extern "C" fn var_payload(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    _data: usize,
) -> ngx_int_t {
    // SAFETY: nginx calls get handlers with a valid request and value.
    unsafe { get(r, v, |request| Some(token_fields(request)?.payload())) }
}

unsafe extern "C" fn var_status(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    _data: usize,
) -> ngx_int_t {
    // SAFETY: nginx calls get handlers with a valid request and value.
    unsafe { get(r, v, |request| Some(RequestCtx::find(request)?.status()?.to_owned())) }
}

unsafe extern "C" fn var_field(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    data: usize,
) -> ngx_int_t {
    // SAFETY: `data` is the FieldPath registered with this handler by add_field_variable; it
    // lives in the configuration pool.
    let path = unsafe { &*(data as *const FieldPath) };
    // SAFETY: nginx calls get handlers with a valid request and value.
    unsafe {
        get(r, v, |request| {
            let fields = token_fields(request)?;
            match path.part {
                Part::Claims => {
                    crate::false_claim::note(fields.claim_is_false(&path.names));
                    fields.claim(&path.names)
                }
                Part::Header => fields.header(&path.names),
            }
        })
    }
}

/// The value of a `$jwt_claim_<name>` / `$jwt_header_<name>` variable. nginx hands prefix
/// variables their full name, lower-cased.
///
/// # Safety
/// `data` must point to the `ngx_str_t` name nginx gives prefix variables.
unsafe fn prefix_value(
    request: &Request,
    data: usize,
    prefix: &[u8],
    part: Part,
) -> Option<String> {
    // SAFETY: guaranteed by the caller.
    let full = unsafe { (data as *const ngx_str_t).as_ref()? };
    let name = core::str::from_utf8(full.as_bytes().strip_prefix(prefix)?).ok()?;
    if name.is_empty() {
        return None;
    }
    let fields = token_fields(request)?;
    match part {
        Part::Claims => {
            crate::false_claim::note(fields.claim_is_false(&[name]));
            fields.claim(&[name])
        }
        Part::Header => fields.header(&[name]),
    }
}

/// Runs `compute` and stores its result in `v`: the value, or "not found" for `None`. A panic
/// is caught (it must never unwind into nginx) and logged, and the variable is not found.
///
/// # Safety
/// `r` and `v` must be the arguments nginx passed to a variable get handler.
unsafe fn get(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    compute: impl FnOnce(&Request) -> Option<String>,
) -> ngx_int_t {
    // SAFETY: guaranteed by the caller.
    let (request, v) = unsafe { (&*Request::from_ngx_http_request(r), &mut *v) };
    let value = match catch_unwind(AssertUnwindSafe(|| compute(request))) {
        Ok(value) => value,
        Err(_) => {
            request_log!(NGX_LOG_ERR, request, "internal error while evaluating a variable");
            None
        }
    };
    // The length is a 28-bit field; no token field comes close (tokens are at most 16 KiB).
    let Some(value) = value.filter(|value| value.len() < 1 << 28) else {
        v.set_valid(0);
        v.set_not_found(1);
        return NGX_OK as ngx_int_t;
    };
    let data = request.pool().alloc_unaligned(value.len().max(1)).cast::<u_char>();
    if data.is_null() {
        return NGX_ERROR as ngx_int_t;
    }
    // SAFETY: `data` has room for `value.len()` bytes.
    unsafe { core::ptr::copy_nonoverlapping(value.as_ptr(), data, value.len()) };
    v.data = data;
    v.set_len(value.len() as u32);
    v.set_valid(1);
    v.set_no_cacheable(0);
    v.set_not_found(0);
    NGX_OK as ngx_int_t
}

thread_local! {
    /// Set while the token source of a location is evaluated for the variables: a source
    /// that refers to a claim variable (`token=$jwt_claim_x`) then finds nothing, instead of
    /// recursing until the stack overflows.
    static DECODING: Cell<bool> = const { Cell::new(false) };
}

/// Clears DECODING when dropped, even if the evaluation panicked.
struct DecodingGuard;

impl DecodingGuard {
    fn enter() -> Option<Self> {
        if DECODING.with(|busy| busy.replace(true)) {
            return None;
        }
        Some(DecodingGuard)
    }
}

impl Drop for DecodingGuard {
    fn drop(&mut self) {
        DECODING.with(|busy| busy.set(false));
    }
}

/// The token fields that variables show for this request (see the module documentation for
/// the three cases). `None`: no token, or none that may be shown.
fn token_fields(request: &Request) -> Option<Rc<TokenFields>> {
    if let Some(judged) = RequestCtx::find(request).and_then(RequestCtx::judged_fields) {
        return judged;
    }
    let conf = Module::location_conf(request)?;
    let auth = conf.enabled();
    let token = {
        let _guard = DecodingGuard::enter()?;
        find_token(request, auth.and_then(|auth| auth.token.as_ref())).ok()??
    };
    let ctx = RequestCtx::get_or_create(request)?;
    if let Some(decoded) = ctx.decoded(conf, token) {
        return decoded;
    }
    let fields = if auth.is_some() {
        validate(request, token, conf).ok()
    } else {
        Jws::parse(token, &Limits::default()).ok().map(|jws| Rc::new(jws.into_fields()))
    };
    ctx.remember_decoded(conf, token, fields.clone());
    fields
}
