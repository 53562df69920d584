//! The directive table and one handler per directive. Handlers validate their arguments and
//! report problems as `[emerg] ... in "<directive>" directive`, so `nginx -t` names them.

use core::ffi::{c_char, c_void};
use core::ptr;
use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use auth_jwt_core::{
    check_login_url, token_variable_in_key_file_name, valid_param_name, DEFAULT_LOGIN_PARAM,
};
use ngx::core::{NGX_CONF_ERROR, NGX_CONF_OK};
use ngx::ffi::{
    ngx_command_t, ngx_conf_full_name, ngx_conf_t, ngx_parse_time, ngx_str_t, ngx_uint_t,
    NGX_CONF_1MORE, NGX_CONF_2MORE, NGX_CONF_TAKE1, NGX_CONF_TAKE12, NGX_ERROR, NGX_HTTP_LMT_CONF,
    NGX_HTTP_LOC_CONF, NGX_HTTP_LOC_CONF_OFFSET, NGX_HTTP_MAIN_CONF, NGX_HTTP_SRV_CONF,
    NGX_LOG_EMERG, NGX_LOG_WARN, NGX_OK,
};
use ngx::http::{HTTPStatus, HttpModuleMainConf};
use ngx::{ngx_conf_log_error, ngx_string};

use crate::complex_value::ComplexValue;
use crate::conf::{AuthJwt, AuthSetting, KeyFileTemplate, LocConf, TokenCache, VerifyCacheSetting};
use crate::guarded;
use crate::policy::{LoginSetting, LoginUrl, RequireRule};
use crate::variables;
use crate::Module;

const ANY_LEVEL: u32 = NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF;

pub static mut NGX_HTTP_AUTH_JWT_COMMANDS: [ngx_command_t; 9] = [
    command(ngx_string!("auth_jwt"), ANY_LEVEL | NGX_HTTP_LMT_CONF | NGX_CONF_TAKE12, cmd_auth_jwt),
    command(
        ngx_string!("auth_jwt_key_file"),
        ANY_LEVEL | NGX_HTTP_LMT_CONF | NGX_CONF_TAKE1,
        cmd_auth_jwt_key_file,
    ),
    command(ngx_string!("auth_jwt_leeway"), ANY_LEVEL | NGX_CONF_TAKE1, cmd_auth_jwt_leeway),
    command(
        ngx_string!("auth_jwt_claim_set"),
        NGX_HTTP_MAIN_CONF | NGX_CONF_2MORE,
        variables::cmd_auth_jwt_claim_set,
    ),
    command(
        ngx_string!("auth_jwt_header_set"),
        NGX_HTTP_MAIN_CONF | NGX_CONF_2MORE,
        variables::cmd_auth_jwt_header_set,
    ),
    command(
        ngx_string!("auth_jwt_require"),
        ANY_LEVEL | NGX_HTTP_LMT_CONF | NGX_CONF_1MORE,
        cmd_auth_jwt_require,
    ),
    command(ngx_string!("auth_jwt_login_url"), ANY_LEVEL | NGX_CONF_TAKE12, cmd_auth_jwt_login_url),
    command(
        ngx_string!("auth_jwt_verify_cache"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        cmd_auth_jwt_verify_cache,
    ),
    ngx_command_t::empty(),
];

/// One directive of this module: every one is stored in the location configuration.
const fn command(name: ngx_str_t, type_: u32, set: SetHandler) -> ngx_command_t {
    ngx_command_t {
        name,
        type_: type_ as ngx_uint_t,
        set: Some(set),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    }
}

type SetHandler =
    unsafe extern "C" fn(*mut ngx_conf_t, *mut ngx_command_t, *mut c_void) -> *mut c_char;

const DUPLICATE: *mut c_char = c"is duplicate".as_ptr().cast_mut();

/// `auth_jwt "realm" [token=$variable] | off;`
extern "C" fn cmd_auth_jwt(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    guarded(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes the configuration being parsed and this module's LocConf.
        let (args, conf) = unsafe { (directive_args(cf), &mut *conf.cast::<LocConf>()) };
        if conf.auth.is_some() {
            return DUPLICATE;
        }
        // NGX_CONF_TAKE12: args holds the directive name and one or two values.
        let (realm, token) = match args {
            [_, value] if value.as_bytes() == b"off" => {
                conf.auth = Some(AuthSetting::Off);
                return NGX_CONF_OK;
            }
            // `off` with a token source is a contradiction, most likely a typo: refuse it rather
            // than protect the location with the realm "off".
            [_, value, param] if value.as_bytes() == b"off" => {
                return invalid(cf, "parameter", param, "auth_jwt");
            }
            [_, realm] => (realm, None),
            [_, realm, token] => (realm, Some(token)),
            _ => return NGX_CONF_ERROR,
        };

        let token = match token {
            None => None,
            Some(param) => match param.as_bytes().strip_prefix(b"token=") {
                Some(variable) if variable.len() > 1 && variable[0] == b'$' => {
                    let value = ngx_str_t { len: variable.len(), data: param.data.wrapping_add(6) };
                    // SAFETY: `cf` is the configuration being parsed.
                    match unsafe { ComplexValue::compile(cf, &value) } {
                        Some(value) => Some(value),
                        None => return NGX_CONF_ERROR,
                    }
                }
                _ => return invalid(cf, "parameter", param, "auth_jwt"),
            },
        };
        // SAFETY: `cf` is the configuration being parsed.
        let Some(realm) = (unsafe { ComplexValue::compile(cf, realm) }) else {
            return NGX_CONF_ERROR;
        };
        conf.auth = Some(AuthSetting::On(Rc::new(AuthJwt {
            realm,
            token,
            // SAFETY: `cf` is the configuration being parsed.
            declared_at: unsafe { current_position(cf) },
            warned_unverified: Cell::new(false),
        })));
        NGX_CONF_OK
    })
}

/// `auth_jwt_key_file file;` — several per level are merged into one key set.
extern "C" fn cmd_auth_jwt_key_file(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    guarded(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes the configuration being parsed and this module's LocConf.
        let (args, conf) = unsafe { (directive_args(cf), &mut *conf.cast::<LocConf>()) };
        // NGX_CONF_TAKE1: args holds the directive name and one value.
        let mut name = args[1];
        if let Some(variable) = token_variable_in_key_file_name(name.as_bytes()) {
            return key_file_from_token(cf, &variable);
        }
        if name.as_bytes().contains(&b'$') {
            // SAFETY: `cf` is the configuration being parsed.
            let (compiled, conf_prefix, main) = unsafe {
                (
                    ComplexValue::compile(cf, &name),
                    (*(*cf).cycle).conf_prefix.to_str().map(PathBuf::from),
                    Module::main_conf_mut(&*cf),
                )
            };
            let (Some(compiled), Ok(conf_prefix), Some(main)) = (compiled, conf_prefix, main)
            else {
                return NGX_CONF_ERROR;
            };
            main.key_templates = true;
            conf.own_key_templates.push(KeyFileTemplate { name: compiled, conf_prefix });
            return NGX_CONF_OK;
        }
        // Relative paths resolve against the configuration prefix, like auth_basic_user_file.
        // SAFETY: `cf` is valid; ngx_conf_full_name replaces `name` with a pool copy.
        if unsafe { ngx_conf_full_name((*cf).cycle, &mut name, 1) } != NGX_OK as isize {
            return NGX_CONF_ERROR;
        }
        let Ok(path) = name.to_str() else {
            return invalid(cf, "file name", &args[1], "auth_jwt_key_file");
        };
        // SAFETY: `cf` is the configuration being parsed; the http main conf exists in http blocks.
        let Some(main) = Module::main_conf_mut(unsafe { &*cf }) else {
            return NGX_CONF_ERROR;
        };
        let (file, first_use) = main.key_file(Path::new(path));
        if first_use {
            match &file.loaded().keys {
                // As in NGINX Plus the configuration still loads; protected requests get 500.
                Err(reason) => {
                    ngx_conf_log_error!(
                        NGX_LOG_WARN,
                        cf,
                        "auth_jwt_key_file \"{}\" is unusable: {}; requests that need it will get 500",
                        path,
                        reason
                    );
                }
                Ok(keys) => {
                    for weak in keys.warnings() {
                        ngx_conf_log_error!(
                            NGX_LOG_WARN,
                            cf,
                            "auth_jwt_key_file \"{}\": {}",
                            path,
                            weak
                        );
                    }
                    for note in keys.skipped() {
                        ngx_conf_log_error!(
                            NGX_LOG_WARN,
                            cf,
                            "auth_jwt_key_file \"{}\": ignored {}",
                            path,
                            note
                        );
                    }
                }
            }
        }
        conf.own_key_files.push(file);
        NGX_CONF_OK
    })
}

/// The `[emerg]` for a key file name built from the token's own fields.
fn key_file_from_token(cf: *mut ngx_conf_t, variable: &str) -> *mut c_char {
    ngx_conf_log_error!(
        NGX_LOG_EMERG,
        cf,
        "\"auth_jwt_key_file\" cannot use \"${}\": the keys that verify a token cannot be \
         chosen by that token's own claims or header",
        variable
    );
    NGX_CONF_ERROR
}

/// `auth_jwt_leeway time;`
extern "C" fn cmd_auth_jwt_leeway(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    guarded(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes the configuration being parsed and this module's LocConf.
        let (args, conf) = unsafe { (directive_args(cf), &mut *conf.cast::<LocConf>()) };
        if conf.leeway.is_some() {
            return DUPLICATE;
        }
        // NGX_CONF_TAKE1: args holds the directive name and one value.
        let mut value = args[1];
        // SAFETY: ngx_parse_time only reads the string.
        let seconds = unsafe { ngx_parse_time(&mut value, 1) };
        if seconds == NGX_ERROR as isize || seconds < 0 {
            return invalid(cf, "value", &args[1], "auth_jwt_leeway");
        }
        conf.leeway = Some(seconds as u64);
        NGX_CONF_OK
    })
}

/// Largest `auth_jwt_verify_cache` size: a bound against typos, far above any need.
const MAX_VERIFY_CACHE_ENTRIES: usize = 1_000_000;

/// `auth_jwt_verify_cache size | off;` — the directive makes one cache, shared by the levels
/// that inherit it (each worker fills its own copy).
extern "C" fn cmd_auth_jwt_verify_cache(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    guarded(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes the configuration being parsed and this module's LocConf.
        let (args, conf) = unsafe { (directive_args(cf), &mut *conf.cast::<LocConf>()) };
        if conf.verify_cache.is_some() {
            return DUPLICATE;
        }
        // NGX_CONF_TAKE1: args holds the directive name and one value.
        let value = args[1].as_bytes();
        if value == b"off" {
            conf.verify_cache = Some(VerifyCacheSetting::Off);
            return NGX_CONF_OK;
        }
        let size = std::str::from_utf8(value).ok().and_then(|v| v.parse::<usize>().ok());
        match size {
            Some(size @ 1..=MAX_VERIFY_CACHE_ENTRIES) => {
                let cache = TokenCache::new(size);
                conf.verify_cache = Some(VerifyCacheSetting::On(Rc::new(RefCell::new(cache))));
                NGX_CONF_OK
            }
            _ => invalid(cf, "size", &args[1], "auth_jwt_verify_cache"),
        }
    })
}

/// `auth_jwt_require $value ... [error=401|403];` — several per level; each directive's
/// `error=` applies to its own values.
extern "C" fn cmd_auth_jwt_require(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    guarded(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes the configuration being parsed and this module's LocConf.
        let (args, conf) = unsafe { (directive_args(cf), &mut *conf.cast::<LocConf>()) };
        // NGX_CONF_1MORE: the directive name and at least one argument.
        let [_, params @ ..] = args else { return NGX_CONF_ERROR };
        let (values, status) = match params.split_last() {
            Some((last, values)) if last.as_bytes().starts_with(b"error=") => {
                match &last.as_bytes()[6..] {
                    b"401" => (values, HTTPStatus::UNAUTHORIZED),
                    b"403" => (values, HTTPStatus::FORBIDDEN),
                    _ => return invalid(cf, "parameter", last, "auth_jwt_require"),
                }
            }
            _ => (params, HTTPStatus::UNAUTHORIZED),
        };
        if values.is_empty() {
            ngx_conf_log_error!(
                NGX_LOG_EMERG,
                cf,
                "invalid number of arguments in \"auth_jwt_require\" directive: no value"
            );
            return NGX_CONF_ERROR;
        }
        let mut compiled = Vec::with_capacity(values.len());
        for value in values {
            // NGINX Plus (1.21.7): every value must start with a variable.
            if value.as_bytes().first() != Some(&b'$') {
                ngx_conf_log_error!(
                    NGX_LOG_EMERG,
                    cf,
                    "invalid value \"{}\" in \"auth_jwt_require\" directive: it must start with a \
                     variable",
                    value
                );
                return NGX_CONF_ERROR;
            }
            // SAFETY: `cf` is the configuration being parsed.
            match unsafe { ComplexValue::compile(cf, value) } {
                Some(value) => compiled.push(value),
                None => return NGX_CONF_ERROR,
            }
        }
        // SAFETY: `cf` is the configuration being parsed.
        let declared_at = unsafe { current_position(cf) };
        match conf.policy.add_require(RequireRule { values: compiled, status, declared_at }) {
            Ok(()) => NGX_CONF_OK,
            Err(()) => NGX_CONF_ERROR,
        }
    })
}

/// `auth_jwt_login_url url [param=name] | off;`
extern "C" fn cmd_auth_jwt_login_url(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    guarded(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes the configuration being parsed and this module's LocConf.
        let (args, conf) = unsafe { (directive_args(cf), &mut *conf.cast::<LocConf>()) };
        if conf.policy.login.is_some() {
            return DUPLICATE;
        }
        // NGX_CONF_TAKE12: args holds the directive name and one or two values.
        let (url, param) = match args {
            [_, value] if value.as_bytes() == b"off" => {
                conf.policy.login = Some(LoginSetting::Off);
                return NGX_CONF_OK;
            }
            [_, url] => (url, DEFAULT_LOGIN_PARAM),
            [_, url, param] => match param.as_bytes().strip_prefix(b"param=") {
                Some(name) if valid_param_name(name) => match core::str::from_utf8(name) {
                    Ok(name) => (url, name),
                    Err(_) => return invalid(cf, "parameter", param, "auth_jwt_login_url"),
                },
                _ => return invalid(cf, "parameter", param, "auth_jwt_login_url"),
            },
            _ => return NGX_CONF_ERROR,
        };
        // A URL with variables is checked after evaluation, per request.
        if !url.as_bytes().contains(&b'$') {
            if let Err(reason) = check_login_url(url.as_bytes()) {
                ngx_conf_log_error!(
                    NGX_LOG_EMERG,
                    cf,
                    "invalid URL \"{}\" in \"auth_jwt_login_url\" directive: it {}",
                    url,
                    reason
                );
                return NGX_CONF_ERROR;
            }
        }
        // SAFETY: `cf` is the configuration being parsed.
        let Some(url) = (unsafe { ComplexValue::compile(cf, url) }) else {
            return NGX_CONF_ERROR;
        };
        let login = LoginUrl { url, param: param.to_owned() };
        conf.policy.login = Some(LoginSetting::On(Rc::new(login)));
        NGX_CONF_OK
    })
}

/// The arguments of the directive being handled, the directive name first.
///
/// # Safety
/// `cf` must be the configuration passed to a directive handler.
pub(crate) unsafe fn directive_args<'a>(cf: *mut ngx_conf_t) -> &'a [ngx_str_t] {
    // SAFETY: during a directive handler `cf->args` is an array of ngx_str_t.
    unsafe { (*(*cf).args).as_slice::<ngx_str_t>() }
}

/// `file:line` of the directive being parsed.
///
/// # Safety
/// `cf` must be the configuration passed to a directive handler.
unsafe fn current_position(cf: *mut ngx_conf_t) -> String {
    // SAFETY: while a directive is parsed, `conf_file` points to the file being read.
    unsafe {
        let file = &*(*cf).conf_file;
        format!("{}:{}", file.file.name, file.line)
    }
}

/// Logs the nginx-style `invalid <what> "<value>" in "<directive>" directive` and fails.
pub(crate) fn invalid(
    cf: *mut ngx_conf_t,
    what: &str,
    value: &ngx_str_t,
    directive: &str,
) -> *mut c_char {
    ngx_conf_log_error!(
        NGX_LOG_EMERG,
        cf,
        "invalid {} \"{}\" in \"{}\" directive",
        what,
        value,
        directive
    );
    NGX_CONF_ERROR
}
