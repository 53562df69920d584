//! Per-request access that needs raw pointers: the request's own state, which must survive
//! internal redirects, and request headers the `ngx` crate does not expose.
//!
//! nginx zeroes every module context on an internal redirect (`error_page`, `rewrite ...
//! last`, named locations), yet `$jwt_status` must still be there in the `error_page 401
//! @login` location and in its access log line. So, as nginx's own realip module does, the
//! state lives in a request-pool cleanup: the module context is only a shortcut to it, and
//! when the context has been zeroed the cleanup list is searched for it again. The cleanup
//! also drops the state when the request pool is destroyed.
//!
//! Subrequests share the pool of their parent, so every state records the request it belongs
//! to and is only found again by that request.

use core::ffi::c_void;
use core::mem::{align_of, size_of};
use core::ptr;

use ngx::ffi::{ngx_http_request_t, ngx_pool_cleanup_add};
use ngx::http::{HttpModule, Request};

use super::guarded;
use crate::Module;

/// A request's state and the request it belongs to.
struct Owned<T> {
    owner: *const ngx_http_request_t,
    value: T,
}

/// The state of type `T` that `request` stored with [`state_or_insert`], even after nginx
/// zeroed the module context. The module keeps one type of state per request.
pub fn state<T: 'static>(request: &Request) -> Option<&T> {
    if let Some(owned) = request.get_module_ctx::<Owned<T>>(Module::module()) {
        return Some(&owned.value);
    }
    let owner: *const ngx_http_request_t = request.into();
    // SAFETY: the request pool and its cleanup list are valid while the request lives. A
    // cleanup whose handler is `drop_state::<T>` was added by `state_or_insert::<T>` below, so
    // its `data` points to an initialised `Owned<T>` that lives as long as the pool.
    unsafe {
        let mut cleanup = (*request.as_ref().pool).cleanup;
        while !cleanup.is_null() {
            let ours = (*cleanup)
                .handler
                .is_some_and(|h| ptr::eq(h as *const (), drop_state::<T> as *const ()));
            if ours && !(*cleanup).data.is_null() {
                let owned = &*(*cleanup).data.cast::<Owned<T>>();
                if owned.owner == owner {
                    request.set_module_ctx((*cleanup).data, Module::module());
                    return Some(&owned.value);
                }
            }
            cleanup = (*cleanup).next;
        }
    }
    None
}

/// The state of `request`, made with `init` on first use. `None` only when out of memory.
pub fn state_or_insert<T: 'static>(request: &Request, init: impl FnOnce() -> T) -> Option<&T> {
    if let Some(value) = state::<T>(request) {
        return Some(value);
    }
    let owner: *const ngx_http_request_t = request.into();
    // SAFETY: ngx_pool_cleanup_add returns a cleanup entry whose `data` has room for
    // `size_of::<Owned<T>>()` bytes from the pool, aligned to NGX_ALIGNMENT (checked); we
    // initialise it before registering the handler that drops it.
    unsafe {
        let cleanup = ngx_pool_cleanup_add(request.as_ref().pool, size_of::<Owned<T>>());
        if cleanup.is_null() {
            return None;
        }
        let data = (*cleanup).data.cast::<Owned<T>>();
        if data.is_null() || (data as usize) % align_of::<Owned<T>>() != 0 {
            return None;
        }
        ptr::write(data, Owned { owner, value: init() });
        (*cleanup).handler = Some(drop_state::<T>);
        request.set_module_ctx(data.cast(), Module::module());
        Some(&(*data).value)
    }
}

/// Pool cleanup: drops the state when the request pool is destroyed.
unsafe extern "C" fn drop_state<T>(data: *mut c_void) {
    guarded((), || {
        // SAFETY: registered by `state_or_insert` for an `Owned<T>` written at `data`; nginx
        // runs each cleanup exactly once.
        unsafe { ptr::drop_in_place(data.cast::<Owned<T>>()) };
    })
}

/// The value of the request's `Authorization` header, if it has one.
pub fn authorization(request: &Request) -> Option<&[u8]> {
    let header = request.as_ref().headers_in.authorization;
    // SAFETY: a non-null `authorization` points to a header element of this request, which
    // lives as long as the request.
    unsafe { header.as_ref() }.map(|header| header.value.as_bytes())
}
