//! Response headers the module sets: the 401 challenge and the login redirect. All raw
//! `headers_out` manipulation lives here.

use ngx::ffi::{ngx_list_push, ngx_str_t, ngx_table_elt_t, u_char};
use ngx::http::Request;

use super::NginxFailed;

/// Adds `WWW-Authenticate: <value>` and registers it as `headers_out.www_authenticate`.
///
/// Registering the pointer (not only appending a header) matters: under `satisfy any`, nginx
/// core hides the challenge by clearing that element's hash when another access module
/// allows the request, exactly as it does for auth_basic.
pub fn set_www_authenticate(request: &mut Request, value: &[u8]) -> Result<(), NginxFailed> {
    let header = push_header(request, b"WWW-Authenticate", b"www-authenticate", value)?;
    request.as_mut().headers_out.www_authenticate = header;
    Ok(())
}

/// Sets `Location: <value>` for a redirect, replacing any `Location` set before (what
/// nginx's `ngx_http_clear_location` does), and registers it as `headers_out.location`, which
/// nginx's header filter reads (it makes a relative location absolute unless
/// `absolute_redirect off`).
pub fn set_location(request: &mut Request, value: &[u8]) -> Result<(), NginxFailed> {
    let r = request.as_mut();
    if !r.headers_out.location.is_null() {
        // SAFETY: a non-null `location` points to an element of `headers_out.headers`; a zero
        // hash makes nginx skip it when sending the headers.
        unsafe { (*r.headers_out.location).hash = 0 };
        r.headers_out.location = core::ptr::null_mut();
    }
    let header = push_header(request, b"Location", b"location", value)?;
    request.as_mut().headers_out.location = header;
    Ok(())
}

/// Appends a response header with a pool copy of `value`. `lowcase_key` must be `key` in
/// lower case.
fn push_header(
    request: &mut Request,
    key: &'static [u8],
    lowcase_key: &'static [u8],
    value: &[u8],
) -> Result<*mut ngx_table_elt_t, NginxFailed> {
    let pool = request.pool();
    let data = pool.alloc_unaligned(value.len()).cast::<u_char>();
    if data.is_null() {
        return Err(NginxFailed);
    }
    let r = request.as_mut();
    // SAFETY: `headers_out.headers` is an initialised nginx list of `ngx_table_elt_t`; the
    // element returned by `ngx_list_push` is valid, uninitialised memory of that type, which
    // we fill completely below. `data` has room for `value.len()` bytes. nginx only reads the
    // static key strings.
    unsafe {
        core::ptr::copy_nonoverlapping(value.as_ptr(), data, value.len());
        let header = ngx_list_push(&mut r.headers_out.headers).cast::<ngx_table_elt_t>();
        if header.is_null() {
            return Err(NginxFailed);
        }
        (*header).hash = 1;
        (*header).key = static_str(key);
        (*header).lowcase_key = lowcase_key.as_ptr().cast_mut();
        (*header).value = ngx_str_t { len: value.len(), data };
        #[cfg(ngx_table_elt_next)]
        {
            (*header).next = core::ptr::null_mut();
        }
        Ok(header)
    }
}

/// An `ngx_str_t` over static bytes. nginx only reads header keys, never writes them.
fn static_str(bytes: &'static [u8]) -> ngx_str_t {
    ngx_str_t { len: bytes.len(), data: bytes.as_ptr().cast_mut() }
}
