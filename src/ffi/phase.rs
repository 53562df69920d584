//! The ACCESS phase: registering the module's handler, and its entry point.

use ngx::core::Status;
use ngx::ffi::{
    ngx_array_push, ngx_http_handler_pt, ngx_http_phases_NGX_HTTP_ACCESS_PHASE, ngx_http_request_t,
    ngx_int_t, NGX_LOG_ERR,
};
use ngx::http::{HTTPStatus, HttpModuleMainConf, NgxHttpCoreModule, Request};

use super::conf::Conf;
use super::log::request_log;
use super::NginxFailed;

/// Appends the module's access handler to the ACCESS phase (from postconfiguration).
pub fn register_access_handler(conf: &mut Conf) -> Result<(), NginxFailed> {
    let cf = conf.as_ptr();
    // SAFETY: nginx passes a valid configuration to postconfiguration.
    let cmcf = NgxHttpCoreModule::main_conf_mut(unsafe { &*cf }).ok_or(NginxFailed)?;
    let handlers = &mut cmcf.phases[ngx_http_phases_NGX_HTTP_ACCESS_PHASE as usize].handlers;
    // SAFETY: `handlers` is an nginx array of handler pointers.
    let slot = unsafe { ngx_array_push(handlers) }.cast::<ngx_http_handler_pt>();
    if slot.is_null() {
        return Err(NginxFailed);
    }
    // SAFETY: `slot` is a fresh element of that array.
    unsafe { *slot = Some(access_handler) };
    Ok(())
}

unsafe extern "C" fn access_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls phase handlers with a valid request.
    let request = unsafe { Request::from_ngx_http_request(r) };
    // A panic must never unwind into nginx (it would abort the worker): answer 500 instead.
    let status = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::metrics::observe_access(request, crate::handler::check_access)
    })) {
        Ok(status) => status,
        Err(_) => {
            request_log!(NGX_LOG_ERR, request, "internal error while checking the token");
            Status::from(HTTPStatus::INTERNAL_SERVER_ERROR)
        }
    };
    status.0
}
