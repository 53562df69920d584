//! A content handler of the module (`auth_jwt_metrics;`): its registration for a location,
//! its entry point, and sending a complete in-memory response.

use ngx::core::{Buffer, Status};
use ngx::ffi::{
    ngx_alloc_chain_link, ngx_http_request_t, ngx_int_t, NGX_HTTP_INTERNAL_SERVER_ERROR,
};
use ngx::http::{HTTPStatus, HttpModuleLocationConf, NgxHttpCoreModule, Request};

use super::conf::Conf;
use super::NginxFailed;

/// Makes the metrics page the content of the location being parsed.
pub fn serve_metrics_here(conf: &mut Conf) -> Result<(), NginxFailed> {
    let cf = conf.as_ptr();
    // SAFETY: `cf` is the configuration of the location whose directive is being parsed.
    let clcf = NgxHttpCoreModule::location_conf_mut(unsafe { &*cf }).ok_or(NginxFailed)?;
    clcf.handler = Some(metrics_handler);
    Ok(())
}

unsafe extern "C" fn metrics_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    super::guarded(NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t, || {
        // SAFETY: nginx calls content handlers with a valid request.
        let request = unsafe { Request::from_ngx_http_request(r) };
        crate::metrics::page::serve(request).0
    })
}

/// The query string of the request (after `?`), empty without one.
pub fn query(request: &Request) -> &[u8] {
    request.as_ref().args.as_bytes()
}

/// Sends `body` as a 200 response of `content_type` (a static string), the request body
/// discarded; the status to return from the content handler.
pub fn send(request: &mut Request, content_type: &'static str, body: &str) -> Status {
    let discarded = request.discard_request_body();
    if discarded != Status::NGX_OK {
        return discarded;
    }
    request.set_status(HTTPStatus::OK);
    request.set_content_length_n(body.len());
    {
        let r = request.as_mut();
        r.headers_out.content_type.len = content_type.len();
        r.headers_out.content_type.data = content_type.as_ptr().cast_mut();
        r.headers_out.content_type_len = content_type.len();
    }
    let sent = request.send_header();
    if sent == Status::NGX_ERROR || sent.0 > Status::NGX_OK.0 || request.header_only() {
        return sent;
    }
    let pool = request.pool();
    let Some(mut buffer) = pool.create_buffer_from_str(body) else {
        return Status::NGX_ERROR;
    };
    buffer.set_last_buf(request.is_main());
    buffer.set_last_in_chain(true);
    // SAFETY: the chain link comes from the request pool and lives as long as the request;
    // its buffer was just made in the same pool.
    let chain = unsafe {
        let chain = ngx_alloc_chain_link(pool.as_ptr());
        if chain.is_null() {
            return Status::NGX_ERROR;
        }
        (*chain).buf = buffer.as_ngx_buf_mut();
        (*chain).next = core::ptr::null_mut();
        &mut *chain
    };
    request.output_filter(chain)
}
