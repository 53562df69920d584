//! The content of `auth_jwt_metrics`: the Prometheus text page, or with `?format=json` the key
//! set status of every worker.

use auth_jwt_core::metrics::status::{live_workers, page as status_page};
use auth_jwt_core::metrics::text::render;
use ngx::core::Status;
use ngx::ffi::{ngx_time, NGX_HTTP_GET, NGX_HTTP_HEAD};
use ngx::http::{HTTPStatus, HttpModuleMainConf, Request};

use crate::ffi::content::{query, send};
use crate::Module;

const PROMETHEUS_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
const JSON_TYPE: &str = "application/json";

/// Answers a request of a location with `auth_jwt_metrics`.
pub fn serve(request: &mut Request) -> Status {
    let method = request.as_ref().method as u32;
    if method & (NGX_HTTP_GET | NGX_HTTP_HEAD) == 0 {
        return HTTPStatus::NOT_ALLOWED.into();
    }
    let Some(main) = Module::main_conf(request) else {
        return HTTPStatus::INTERNAL_SERVER_ERROR.into();
    };
    let Some(zone) = main.metrics.zone() else {
        return HTTPStatus::INTERNAL_SERVER_ERROR.into();
    };
    if wants_json(query(request)) {
        let body = status_page(&zone, ngx_time());
        return send(request, JSON_TYPE, &body);
    }
    let body = render(&zone, &main.metrics.label_slots(), &live_workers(&zone));
    send(request, PROMETHEUS_TYPE, &body)
}

/// Whether the query string has `format=json`.
fn wants_json(query: &[u8]) -> bool {
    query.split(|&b| b == b'&').any(|param| param == b"format=json")
}
