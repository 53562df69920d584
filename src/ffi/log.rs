//! The module's one logging path: every run-time line starts with `auth_jwt: `, so operators can
//! grep for the module, and goes to the log of the request or of the worker's cycle.
//!
//! Tokens are never logged: callers pass reasons produced by the core crate, which never
//! include token bytes.

use core::fmt;
use core::ptr::NonNull;

use ngx::ffi::ngx_log_t;
use ngx::http::Request;

/// A log that lines can be written to: a request's connection log or the cycle log.
#[derive(Clone, Copy)]
pub struct Log(NonNull<ngx_log_t>);

impl Log {
    /// The log of `request` (its connection's log, which names client, server and request).
    pub fn of_request(request: &Request) -> Option<Log> {
        NonNull::new(request.log()).map(Log)
    }

    /// # Safety
    /// `log` must be a valid nginx log for as long as the returned value is used, on the
    /// worker's own thread.
    pub(crate) unsafe fn from_raw(log: *mut ngx_log_t) -> Option<Log> {
        NonNull::new(log).map(Log)
    }

    /// Writes `auth_jwt: <message>` at `level` (an `NGX_LOG_*` value), if the log's level lets
    /// it through.
    pub fn write(self, level: u32, message: fmt::Arguments) {
        let log = self.0.as_ptr();
        ngx::ngx_log_error!(level, log, "auth_jwt: {}", message);
    }
}

/// Logs a formatted message at `$level` on the request's log, prefixed `auth_jwt: `.
macro_rules! request_log {
    ($level:expr, $request:expr, $($arg:tt)+) => {
        if let Some(log) = $crate::ffi::log::Log::of_request($request) {
            log.write($level, format_args!($($arg)+));
        }
    };
}

pub(crate) use request_log;
