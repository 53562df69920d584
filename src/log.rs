//! Logging helpers for the request path.
//!
//! Every message starts with `auth_jwt: ` so operators can grep for the module. Tokens are
//! never logged: callers pass reasons produced by the core crate, which never include token
//! bytes.

/// Log a formatted message at `$level` on the request's connection log.
macro_rules! request_log {
    ($level:expr, $request:expr, $($arg:tt)+) => {
        ngx::ngx_log_error!($level, $request.log(), "auth_jwt: {}", format_args!($($arg)+))
    };
}

pub(crate) use request_log;
