//! Configuration time: the directive table's entry point, the arguments of the directive being
//! parsed, and the merge of location configurations.
//!
//! Every directive of the module is stored in the location configuration and handled by a
//! safe [`DirectiveFn`]; [`command`] puts a pointer to it into the command's `post` field, where
//! the one entry point [`set_directive`] finds it again.

use core::ffi::{c_char, c_void};
use core::fmt;
use core::ptr::{self, NonNull};
use std::path::PathBuf;

use ngx::core::{NGX_CONF_ERROR, NGX_CONF_OK};
use ngx::ffi::{
    ngx_command_t, ngx_conf_full_name, ngx_conf_t, ngx_parse_time, ngx_str_t, ngx_uint_t,
    NGX_ERROR, NGX_HTTP_LOC_CONF_OFFSET, NGX_LOG_EMERG, NGX_LOG_WARN, NGX_OK,
};
use ngx::http::HttpModuleMainConf;
use ngx::ngx_conf_log_error;

use super::{guarded, NginxFailed};
use crate::conf::{LocConf, MainConf};
use crate::Module;

/// The configuration being parsed (`ngx_conf_t`), for the duration of one nginx callback.
pub struct Conf<'a>(&'a mut ngx_conf_t);

impl Conf<'_> {
    pub(crate) fn as_ptr(&mut self) -> *mut ngx_conf_t {
        self.0
    }

    /// This module's main configuration (inside the `http` block).
    pub fn main_conf(&mut self) -> Option<&mut MainConf> {
        Module::main_conf_mut(&*self.0)
    }

    /// nginx's configuration prefix (`-p`/`--conf-path` directory), against which relative
    /// file names resolve.
    pub fn conf_prefix(&self) -> Option<PathBuf> {
        // SAFETY: the cycle of a configuration being parsed is valid.
        let prefix = unsafe { &(*self.0.cycle).conf_prefix };
        prefix.to_str().ok().map(PathBuf::from)
    }

    /// `name` made absolute against the configuration prefix, as nginx does for its own file
    /// directives (`auth_basic_user_file`).
    pub fn full_name(&mut self, name: &ngx_str_t) -> Result<ngx_str_t, NginxFailed> {
        let mut name = *name;
        // SAFETY: the cycle is valid; ngx_conf_full_name replaces `name` with a pool copy.
        if unsafe { ngx_conf_full_name(self.0.cycle, &mut name, 1) } != NGX_OK as isize {
            return Err(NginxFailed);
        }
        Ok(name)
    }

    /// A warning about the configuration as a whole, without the position of the directive
    /// being parsed (during a merge that position would be the end of a block, not the cause).
    /// Like every configuration-time message it names the directive rather than the module.
    pub fn warn_unpositioned(&mut self, message: fmt::Arguments) {
        let log = self.0.log;
        ngx::ngx_log_error!(NGX_LOG_WARN, log, "{}", message);
    }

    /// A warning at configuration time, in nginx's own form (`[warn] ... in file:line`).
    pub fn warn(&mut self, message: fmt::Arguments) {
        ngx_conf_log_error!(NGX_LOG_WARN, self.0, "{}", message);
    }

    /// An error at configuration time (`[emerg] ... in file:line`); the directive then fails.
    pub fn emerg(&mut self, message: fmt::Arguments) {
        ngx_conf_log_error!(NGX_LOG_EMERG, self.0, "{}", message);
    }
}

/// The directive being parsed: its arguments (the directive name first) and its configuration.
pub struct Directive<'a> {
    pub conf: Conf<'a>,
    args: &'a [ngx_str_t],
}

impl Directive<'_> {
    /// The arguments, the directive name first.
    pub fn args(&self) -> &[ngx_str_t] {
        self.args
    }

    /// The directive's name, for messages.
    pub fn name(&self) -> String {
        self.args.first().map(|name| name.to_string()).unwrap_or_default()
    }

    /// `file:line` of the directive.
    pub fn position(&self) -> String {
        // SAFETY: while a directive is parsed, `conf_file` points to the file being read.
        let file = unsafe { &*self.conf.0.conf_file };
        format!("{}:{}", file.file.name, file.line)
    }
}

/// Why a directive is refused. nginx reports each as `[emerg]` naming the directive.
#[derive(Debug)]
pub enum ConfError {
    /// The directive appears twice at one level: nginx's own "is duplicate".
    Duplicate,
    /// `invalid <what> "<value>" in "<directive>" directive`.
    Invalid { what: &'static str, value: String },
    /// Already reported (by nginx, or through [`Conf::emerg`]).
    Reported,
}

impl From<NginxFailed> for ConfError {
    fn from(_: NginxFailed) -> ConfError {
        ConfError::Reported
    }
}

/// A directive handler: checks the arguments and records the directive in `LocConf`.
pub type DirectiveFn = fn(&mut Directive, &mut LocConf) -> Result<(), ConfError>;

/// A command-table entry for a directive handled by `handler` (a static, so that its address
/// can be kept in the table).
pub const fn command(name: ngx_str_t, type_: u32, handler: &'static DirectiveFn) -> ngx_command_t {
    ngx_command_t {
        name,
        type_: type_ as ngx_uint_t,
        set: Some(set_directive),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 0,
        post: ptr::from_ref(handler).cast_mut().cast(),
    }
}

const DUPLICATE: *mut c_char = c"is duplicate".as_ptr().cast_mut();

/// The `set` handler of every directive of the module.
unsafe extern "C" fn set_directive(
    cf: *mut ngx_conf_t,
    cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    guarded(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes the configuration being parsed, the command entry made by
        // `command` (whose `post` points to a static DirectiveFn), and this module's LocConf
        // (every command is stored at NGX_HTTP_LOC_CONF_OFFSET).
        let (cf, handler, loc) = unsafe {
            let Some(cf) = cf.as_mut() else { return NGX_CONF_ERROR };
            let Some(handler) = (*cmd).post.cast::<DirectiveFn>().as_ref() else {
                return NGX_CONF_ERROR;
            };
            let Some(loc) = conf.cast::<LocConf>().as_mut() else { return NGX_CONF_ERROR };
            (cf, handler, loc)
        };
        // SAFETY: during a directive handler `cf->args` is an array of ngx_str_t.
        let args = unsafe { (*cf.args).as_slice::<ngx_str_t>() };
        let mut directive = Directive { conf: Conf(cf), args };
        match handler(&mut directive, loc) {
            Ok(()) => NGX_CONF_OK,
            Err(ConfError::Duplicate) => DUPLICATE,
            Err(ConfError::Invalid { what, value }) => {
                let name = directive.name();
                directive
                    .conf
                    .emerg(format_args!("invalid {what} \"{value}\" in \"{name}\" directive"));
                NGX_CONF_ERROR
            }
            Err(ConfError::Reported) => NGX_CONF_ERROR,
        }
    })
}

/// `auth_jwt_leeway`'s value: a time in seconds (`30s`, `1m`), nginx syntax.
pub fn parse_time(value: &ngx_str_t) -> Option<u64> {
    let mut value = *value;
    // SAFETY: ngx_parse_time only reads the string.
    let seconds = unsafe { ngx_parse_time(&mut value, 1) };
    if seconds == NGX_ERROR as isize {
        return None;
    }
    u64::try_from(seconds).ok()
}

/// A size in nginx syntax (`64k`, `1m`), in bytes.
pub fn parse_size(value: &ngx_str_t) -> Option<usize> {
    let mut value = *value;
    // SAFETY: ngx_parse_size only reads the string.
    let bytes = unsafe { ngx::ffi::ngx_parse_size(&mut value) };
    usize::try_from(bytes).ok()
}

/// `merge_loc_conf` of the module context.
pub unsafe extern "C" fn merge_loc_conf(
    cf: *mut ngx_conf_t,
    prev: *mut c_void,
    conf: *mut c_void,
) -> *mut c_char {
    guarded(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes the configuration being merged and two distinct LocConf objects
        // created by create_loc_conf.
        let (cf, prev, conf) = unsafe {
            let (Some(cf), Some(prev), Some(conf)) =
                (cf.as_mut(), prev.cast::<LocConf>().as_mut(), conf.cast::<LocConf>().as_mut())
            else {
                return NGX_CONF_ERROR;
            };
            (cf, prev, conf)
        };
        match crate::conf::merge(&mut Conf(cf), prev, conf) {
            Ok(()) => NGX_CONF_OK,
            Err(_) => NGX_CONF_ERROR,
        }
    })
}

/// Runs a module-context hook that only needs the configuration (pre- and postconfiguration).
///
/// # Safety
/// `cf` must be the configuration nginx passed to the hook.
pub(crate) unsafe fn with_conf(
    cf: *mut ngx_conf_t,
    hook: impl FnOnce(&mut Conf) -> Result<(), NginxFailed>,
) -> ngx::ffi::ngx_int_t {
    let failed = ngx::core::Status::NGX_ERROR.into();
    guarded(failed, || {
        // SAFETY: guaranteed by the caller.
        let Some(cf) = (unsafe { cf.as_mut() }) else { return failed };
        match hook(&mut Conf(cf)) {
            Ok(()) => ngx::core::Status::NGX_OK.into(),
            Err(NginxFailed) => failed,
        }
    })
}

/// Keeps `value` in the configuration pool, dropped with the configuration.
pub fn keep_in_pool<T>(conf: &mut Conf, value: T) -> Result<NonNull<T>, NginxFailed> {
    // SAFETY: the pool of a configuration being parsed is valid; `allocate` registers a cleanup
    // that drops the value when the pool (the configuration) is destroyed.
    let data = unsafe { ngx::core::Pool::from_ngx_pool(conf.0.pool).allocate(value) };
    NonNull::new(data).ok_or(NginxFailed)
}
