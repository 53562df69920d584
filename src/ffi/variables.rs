//! Registering variables and answering nginx's get-handler calls for them.
//!
//! A variable's value is computed by a safe getter that returns `Some(text)` or `None` (not
//! found). The getter of an ordinary variable is kept, with any data it needs, in the
//! configuration pool; prefix variables (`$jwt_claim_*`) are a type implementing
//! [`PrefixVariable`], because nginx hands their get handler the variable's name as `data`.

use core::ptr::NonNull;
use std::panic::{catch_unwind, AssertUnwindSafe};

use ngx::ffi::{
    ngx_http_add_variable, ngx_http_request_t, ngx_int_t, ngx_str_t, ngx_uint_t,
    ngx_variable_value_t, u_char, NGX_ERROR, NGX_HTTP_VAR_NOCACHEABLE, NGX_HTTP_VAR_PREFIX,
    NGX_LOG_ERR, NGX_OK,
};
use ngx::http::Request;

use super::conf::{keep_in_pool, Conf};
use super::log::request_log;
use super::NginxFailed;

/// A family of variables sharing a name prefix; `value` gets the rest of the name, lower-cased
/// by nginx.
pub trait PrefixVariable {
    const PREFIX: &'static [u8];
    fn value(request: &Request, name: &str) -> Option<String>;
}

/// A getter and the data it reads, kept in the configuration pool.
struct Binding<T> {
    getter: fn(&Request, &T) -> Option<String>,
    data: T,
}

/// Adds `$name`, computed by `getter(request, &data)`. Every variable of the module is
/// NOCACHEABLE: a value read before the access phase must not stick. A second definition of
/// the same name fails with nginx's own message.
pub fn add<T: 'static>(
    conf: &mut Conf,
    name: &[u8],
    data: T,
    getter: fn(&Request, &T) -> Option<String>,
) -> Result<(), NginxFailed> {
    let binding = keep_in_pool(conf, Binding { getter, data })?;
    add_raw(conf, name, NGX_HTTP_VAR_NOCACHEABLE, get_bound::<T>, binding.as_ptr() as usize)
}

/// Adds the prefix variables `$<P::PREFIX><name>`.
pub fn add_prefix<P: PrefixVariable>(conf: &mut Conf) -> Result<(), NginxFailed> {
    add_raw(conf, P::PREFIX, NGX_HTTP_VAR_PREFIX | NGX_HTTP_VAR_NOCACHEABLE, get_prefix::<P>, 0)
}

type GetHandler =
    unsafe extern "C" fn(*mut ngx_http_request_t, *mut ngx_variable_value_t, usize) -> ngx_int_t;

fn add_raw(
    conf: &mut Conf,
    name: &[u8],
    flags: u32,
    handler: GetHandler,
    data: usize,
) -> Result<(), NginxFailed> {
    let mut name = ngx_str_t { len: name.len(), data: name.as_ptr().cast_mut() };
    // SAFETY: the configuration is being parsed; nginx copies the name into its pool (it never
    // writes through `name.data`).
    let variable = unsafe { ngx_http_add_variable(conf.as_ptr(), &mut name, flags as ngx_uint_t) };
    let variable = NonNull::new(variable).ok_or(NginxFailed)?;
    // SAFETY: a non-null result of ngx_http_add_variable is a variable of this configuration.
    unsafe {
        (*variable.as_ptr()).get_handler = Some(handler);
        (*variable.as_ptr()).data = data;
    }
    Ok(())
}

unsafe extern "C" fn get_bound<T>(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    data: usize,
) -> ngx_int_t {
    // SAFETY: `data` is the Binding<T> that `add` registered with this handler; it lives in the
    // configuration pool, which outlives every request.
    let binding = unsafe { &*(data as *const Binding<T>) };
    // SAFETY: nginx calls get handlers with a valid request and value.
    unsafe { answer(r, v, |request| (binding.getter)(request, &binding.data)) }
}

unsafe extern "C" fn get_prefix<P: PrefixVariable>(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    data: usize,
) -> ngx_int_t {
    // SAFETY: for prefix variables nginx passes the variable's full (lower-cased) name.
    let full = unsafe { (data as *const ngx_str_t).as_ref() };
    let name = full
        .and_then(|full| full.as_bytes().strip_prefix(P::PREFIX))
        .and_then(|name| core::str::from_utf8(name).ok())
        .filter(|name| !name.is_empty());
    // SAFETY: nginx calls get handlers with a valid request and value.
    unsafe { answer(r, v, |request| P::value(request, name?)) }
}

/// Runs `compute` and stores its result in `v`: the value, or "not found" for `None`. A panic
/// is caught (it must never unwind into nginx) and logged, and the variable is not found.
///
/// # Safety
/// `r` and `v` must be the arguments nginx passed to a variable get handler.
unsafe fn answer(
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
