//! nginx complex values: directive arguments that may contain variables (`"$host"`,
//! `$cookie_token`), compiled once at configuration time and evaluated per request.

use core::ptr::NonNull;

use ngx::ffi::{
    ngx_http_compile_complex_value, ngx_http_compile_complex_value_t, ngx_http_complex_value_t,
    ngx_str_t, NGX_OK,
};
use ngx::http::Request;

use super::conf::Conf;
use super::NginxFailed;

/// A compiled complex value. It lives in the configuration pool, so it is valid for as long
/// as the configuration (and thus every `LocConf` holding it) exists.
pub struct ComplexValue(NonNull<ngx_http_complex_value_t>);

impl ComplexValue {
    /// Compiles `value`; an error when nginx rejects it (nginx has already logged why).
    pub fn compile(conf: &mut Conf, value: &ngx_str_t) -> Result<Self, NginxFailed> {
        let cf = conf.as_ptr();
        // SAFETY: `cf` is the configuration being parsed; the allocation comes from its pool
        // and is zeroed, as ngx_http_compile_complex_value expects; nginx copies what it keeps
        // of `value` into the pool.
        unsafe {
            let complex_value = ngx::core::Pool::from_ngx_pool((*cf).pool)
                .calloc_type::<ngx_http_complex_value_t>();
            let complex_value = NonNull::new(complex_value).ok_or(NginxFailed)?;
            let mut value = *value;
            let mut ccv = ngx_http_compile_complex_value_t {
                cf,
                value: &mut value,
                complex_value: complex_value.as_ptr(),
                ..core::mem::zeroed()
            };
            if ngx_http_compile_complex_value(&mut ccv) != NGX_OK as isize {
                return Err(NginxFailed);
            }
            Ok(Self(complex_value))
        }
    }

    /// The directive argument as written (`keys/$tenant.json`): nginx keeps it in the compiled
    /// value.
    pub fn source(&self) -> &[u8] {
        // SAFETY: the pointer was produced by `compile`; its `value` points into the
        // configuration pool, which outlives `self`.
        unsafe { self.0.as_ref().value.as_bytes() }
    }

    /// Evaluates the value for `request`; `None` only when nginx fails (out of memory).
    pub fn evaluate<'r>(&self, request: &'r Request) -> Option<&'r [u8]> {
        // SAFETY: the pointer was produced by `compile` and the configuration outlives requests.
        let complex_value = unsafe { self.0.as_ref() };
        request.get_complex_value(complex_value).map(|value| value.as_bytes())
    }
}
