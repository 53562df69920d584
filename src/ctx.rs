//! Per-request state: what the access handler concluded (for `$jwt_status` and the claim
//! variables), and the token decoded for variables before or without the access handler.
//!
//! nginx zeroes every module context on an internal redirect (`error_page`, `rewrite ...
//! last`, named locations), yet `$jwt_status` must still be there in the `error_page 401
//! @login` location and in its access log line. So, as nginx's own realip module does, the
//! state lives in a request-pool cleanup: the module context is only a shortcut to it, and
//! when the context has been zeroed the cleanup list is searched for it again. The cleanup
//! also drops the state (and the claims it owns) when the request pool is destroyed.
//!
//! Subrequests share the pool of their parent, so every state records the request it belongs
//! to and is only found again by that request.

use core::cell::RefCell;
use core::ffi::c_void;
use core::mem::{align_of, size_of};
use core::ptr;
use std::rc::Rc;

use auth_jwt_core::TokenFields;
use ngx::ffi::{ngx_http_request_t, ngx_pool_cleanup_add};
use ngx::http::{HttpModule, Request};

use crate::conf::LocConf;
use crate::guarded;
use crate::Module;

/// What the access handler decided for the request.
pub struct Outcome {
    /// The `$jwt_status` word.
    pub status: &'static str,
    /// The fields of the verified token: set when the signature and times checked out (also
    /// when `auth_jwt_require` then refused the request: the claims are still authentic, and
    /// worth logging), `None` for a missing or rejected token, so its claims never show.
    pub fields: Option<Rc<TokenFields>>,
}

/// A token decoded on behalf of the variables, remembered for the next variable of the same
/// request. Valid only for the same location configuration and the same token bytes.
struct Decoded {
    conf: *const LocConf,
    token: Vec<u8>,
    fields: Option<Rc<TokenFields>>,
}

pub struct RequestCtx {
    /// The request this state belongs to (subrequests share the pool, never the state).
    owner: *const ngx_http_request_t,
    outcome: RefCell<Option<Outcome>>,
    decoded: RefCell<Option<Decoded>>,
}

impl RequestCtx {
    /// The state of `request`, if it has one, even after nginx zeroed the module context.
    pub fn find(request: &Request) -> Option<&RequestCtx> {
        if let Some(ctx) = request.get_module_ctx::<RequestCtx>(Module::module()) {
            return Some(ctx);
        }
        let owner: *const ngx_http_request_t = request.into();
        // SAFETY: the request pool and its cleanup list are valid while the request lives.
        // A cleanup whose handler is `drop_state` was added by `get_or_create` below, so its
        // `data` points to an initialised `RequestCtx` that lives as long as the pool.
        unsafe {
            let mut cleanup = (*request.as_ref().pool).cleanup;
            while !cleanup.is_null() {
                let ours = (*cleanup)
                    .handler
                    .is_some_and(|h| ptr::eq(h as *const (), drop_state as *const ()));
                if ours && !(*cleanup).data.is_null() {
                    let ctx = &*(*cleanup).data.cast::<RequestCtx>();
                    if ctx.owner == owner {
                        request.set_module_ctx((*cleanup).data, Module::module());
                        return Some(ctx);
                    }
                }
                cleanup = (*cleanup).next;
            }
        }
        None
    }

    /// The state of `request`, created empty on first use. `None` only when out of memory.
    pub fn get_or_create(request: &Request) -> Option<&RequestCtx> {
        if let Some(ctx) = Self::find(request) {
            return Some(ctx);
        }
        let owner: *const ngx_http_request_t = request.into();
        // SAFETY: ngx_pool_cleanup_add returns a cleanup entry whose `data` has room for
        // `size_of::<RequestCtx>()` bytes from the pool, aligned to NGX_ALIGNMENT (checked);
        // we initialise it before registering the handler that drops it.
        unsafe {
            let cleanup = ngx_pool_cleanup_add(request.as_ref().pool, size_of::<RequestCtx>());
            if cleanup.is_null() {
                return None;
            }
            let data = (*cleanup).data.cast::<RequestCtx>();
            if data.is_null() || (data as usize) % align_of::<RequestCtx>() != 0 {
                return None;
            }
            ptr::write(
                data,
                RequestCtx { owner, outcome: RefCell::new(None), decoded: RefCell::new(None) },
            );
            (*cleanup).handler = Some(drop_state);
            request.set_module_ctx(data.cast(), Module::module());
            Some(&*data)
        }
    }

    pub fn set_outcome(&self, outcome: Outcome) {
        if let Ok(mut slot) = self.outcome.try_borrow_mut() {
            *slot = Some(outcome);
        }
    }

    /// `$jwt_status`: `None` until the access handler has run for this request.
    pub fn status(&self) -> Option<&'static str> {
        Some(self.outcome.try_borrow().ok()?.as_ref()?.status)
    }

    /// `Some(fields)` once the access handler has run: the verified token's fields, or `None`
    /// for a missing or rejected token. `None` when the handler has not run for this request.
    pub fn judged_fields(&self) -> Option<Option<Rc<TokenFields>>> {
        Some(self.outcome.try_borrow().ok()?.as_ref()?.fields.clone())
    }

    /// The fields decoded earlier for the same location and token, if any.
    pub fn decoded(&self, conf: &LocConf, token: &[u8]) -> Option<Option<Rc<TokenFields>>> {
        let decoded = self.decoded.try_borrow().ok()?;
        let decoded = decoded.as_ref()?;
        (ptr::eq(decoded.conf, conf) && decoded.token == token).then(|| decoded.fields.clone())
    }

    pub fn remember_decoded(&self, conf: &LocConf, token: &[u8], fields: Option<Rc<TokenFields>>) {
        if let Ok(mut slot) = self.decoded.try_borrow_mut() {
            *slot = Some(Decoded { conf, token: token.to_vec(), fields });
        }
    }
}

/// Pool cleanup: drops the state when the request pool is destroyed.
unsafe extern "C" fn drop_state(data: *mut c_void) {
    guarded((), || {
        // SAFETY: registered by `get_or_create` for a `RequestCtx` written at `data`; nginx runs
        // each cleanup exactly once.
        unsafe { ptr::drop_in_place(data.cast::<RequestCtx>()) };
    })
}
