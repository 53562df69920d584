//! The directive table and one handler per directive. Handlers validate their arguments and
//! report problems as `[emerg] ... in "<directive>" directive`, so `nginx -t` names them.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use auth_jwt_core::{
    check_login_url, token_variable_in_key_file_name, valid_param_name, TokenType,
    DEFAULT_LOGIN_PARAM,
};
use ngx::ffi::{
    ngx_command_t, ngx_str_t, NGX_CONF_1MORE, NGX_CONF_2MORE, NGX_CONF_NOARGS, NGX_CONF_TAKE1,
    NGX_CONF_TAKE12, NGX_CONF_TAKE2, NGX_HTTP_LMT_CONF, NGX_HTTP_LOC_CONF, NGX_HTTP_MAIN_CONF,
    NGX_HTTP_SRV_CONF,
};
use ngx::http::HTTPStatus;
use ngx::ngx_string;

use crate::conf::{
    AuthJwt, AuthSetting, FixedKeyRequest, KeyFileTemplate, KeyRequest, LocConf, RefetchSetting,
    VerifyCacheSetting,
};
use crate::ffi::complex_value::ComplexValue;
use crate::ffi::conf::{command, parse_time, ConfError, Directive, DirectiveFn};
use crate::ffi::variables;
use crate::metrics;
use crate::policy::{LoginSetting, LoginUrl, RequireRule};
use crate::variables::{field_value, FieldPath, Part};

const ANY_LEVEL: u32 = NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF;

pub static mut NGX_HTTP_AUTH_JWT_COMMANDS: [ngx_command_t; 17] = [
    command(
        ngx_string!("auth_jwt"),
        ANY_LEVEL | NGX_HTTP_LMT_CONF | NGX_CONF_TAKE12,
        &(set_auth_jwt as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_key_file"),
        ANY_LEVEL | NGX_HTTP_LMT_CONF | NGX_CONF_TAKE1,
        &(set_key_file as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_leeway"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        &(set_leeway as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_claim_set"),
        NGX_HTTP_MAIN_CONF | NGX_CONF_2MORE,
        &(set_claim_variable as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_header_set"),
        NGX_HTTP_MAIN_CONF | NGX_CONF_2MORE,
        &(set_header_variable as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_require"),
        ANY_LEVEL | NGX_HTTP_LMT_CONF | NGX_CONF_1MORE,
        &(set_require as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_login_url"),
        ANY_LEVEL | NGX_CONF_TAKE12,
        &(set_login_url as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_verify_cache"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        &(set_verify_cache as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_key_request"),
        ANY_LEVEL | NGX_HTTP_LMT_CONF | NGX_CONF_TAKE1,
        &(set_key_request as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_key_cache"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        &(set_key_cache as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_key_stale"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        &(set_key_stale as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_key_refetch"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        &(set_key_refetch as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_type"),
        ANY_LEVEL | NGX_HTTP_LMT_CONF | NGX_CONF_TAKE1,
        &(set_token_type as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_zone"),
        NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE2,
        &(metrics::set_zone as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_metrics_label"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        &(metrics::set_metrics_label as DirectiveFn),
    ),
    command(
        ngx_string!("auth_jwt_metrics"),
        NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS,
        &(metrics::set_metrics as DirectiveFn),
    ),
    ngx_command_t::empty(),
];

/// `invalid <what> "<value>"` for the directive being parsed.
fn invalid(what: &'static str, value: &ngx_str_t) -> ConfError {
    ConfError::Invalid { what, value: value.to_string() }
}

/// `auth_jwt "realm" [token=$variable] | off;`
fn set_auth_jwt(d: &mut Directive, conf: &mut LocConf) -> Result<(), ConfError> {
    if conf.auth.is_some() {
        return Err(ConfError::Duplicate);
    }
    // NGX_CONF_TAKE12: args holds the directive name and one or two values.
    let (realm, token) = match *d.args() {
        [_, value] if value.as_bytes() == b"off" => {
            conf.auth = Some(AuthSetting::Off);
            return Ok(());
        }
        // `off` with a token source is a contradiction, most likely a typo: refuse it rather
        // than protect the location with the realm "off".
        [_, value, param] if value.as_bytes() == b"off" => {
            return Err(invalid("parameter", &param))
        }
        [_, realm] => (realm, None),
        [_, realm, token] => (realm, Some(token)),
        _ => return Err(ConfError::Reported),
    };
    let token = match token {
        None => None,
        Some(param) => match param.as_bytes().strip_prefix(b"token=") {
            Some(variable) if variable.len() > 1 && variable[0] == b'$' => {
                let value = ngx_str_t { len: variable.len(), data: param.data.wrapping_add(6) };
                Some(ComplexValue::compile(&mut d.conf, &value)?)
            }
            _ => return Err(invalid("parameter", &param)),
        },
    };
    let realm = ComplexValue::compile(&mut d.conf, &realm)?;
    conf.auth = Some(AuthSetting::On(Rc::new(AuthJwt {
        realm,
        token,
        declared_at: d.position(),
        warned_unverified: Cell::new(false),
    })));
    Ok(())
}

/// `auth_jwt_key_file file;` — several per level are merged into one key set.
fn set_key_file(d: &mut Directive, conf: &mut LocConf) -> Result<(), ConfError> {
    // NGX_CONF_TAKE1: args holds the directive name and one value.
    let name = d.args()[1];
    if let Some(variable) = token_variable_in_key_file_name(name.as_bytes()) {
        d.conf.emerg(format_args!(
            "\"auth_jwt_key_file\" cannot use \"${variable}\": the keys that verify a token cannot \
             be chosen by that token's own claims or header"
        ));
        return Err(ConfError::Reported);
    }
    if name.as_bytes().contains(&b'$') {
        let compiled = ComplexValue::compile(&mut d.conf, &name)?;
        let conf_prefix = d.conf.conf_prefix().ok_or(ConfError::Reported)?;
        let main = d.conf.main_conf().ok_or(ConfError::Reported)?;
        main.key_templates = true;
        conf.own_key_templates.push(KeyFileTemplate { name: compiled, conf_prefix });
        return Ok(());
    }
    // Relative paths resolve against the configuration prefix, like auth_basic_user_file.
    let full = d.conf.full_name(&name)?;
    let Ok(path) = full.to_str() else { return Err(invalid("file name", &name)) };
    let path = PathBuf::from(path);
    let main = d.conf.main_conf().ok_or(ConfError::Reported)?;
    let (file, first_use) = main.key_file(Path::new(&path));
    if first_use {
        let path = path.display();
        match &file.loaded().keys {
            // As in NGINX Plus the configuration still loads; protected requests get 500.
            Err(reason) => d.conf.warn(format_args!(
                "auth_jwt_key_file \"{path}\" is unusable: {reason}; requests that need it will \
                 get 500"
            )),
            Ok(keys) => {
                for weak in keys.warnings() {
                    d.conf.warn(format_args!("auth_jwt_key_file \"{path}\": {weak}"));
                }
                for note in keys.skipped() {
                    d.conf.warn(format_args!("auth_jwt_key_file \"{path}\": ignored {note}"));
                }
            }
        }
    }
    conf.own_key_files.push(file);
    Ok(())
}

/// `auth_jwt_key_request uri;` — several per level; combined with the level's key files.
fn set_key_request(d: &mut Directive, conf: &mut LocConf) -> Result<(), ConfError> {
    // NGX_CONF_TAKE1: args holds the directive name and one value.
    let uri = d.args()[1];
    // A subrequest goes to a location of this server: the URI is a path (a value with
    // variables is checked when it is evaluated).
    if !uri.as_bytes().contains(&b'$') && uri.as_bytes().first() != Some(&b'/') {
        return Err(invalid("URI", &uri));
    }
    let fixed = match std::str::from_utf8(uri.as_bytes()) {
        Ok(text) if !text.contains('$') => {
            let main = d.conf.main_conf().ok_or(ConfError::Reported)?;
            Some(FixedKeyRequest { uri: text.to_owned(), slot: main.key_request_slot(text) })
        }
        _ => None,
    };
    let uri = ComplexValue::compile(&mut d.conf, &uri)?;
    conf.own_key_requests.push(KeyRequest { uri, fixed });
    Ok(())
}

/// `auth_jwt_key_cache time;`
fn set_key_cache(d: &mut Directive, conf: &mut LocConf) -> Result<(), ConfError> {
    set_seconds(d, &mut conf.key_cache, false)
}

/// `auth_jwt_key_stale time | off;`
fn set_key_stale(d: &mut Directive, conf: &mut LocConf) -> Result<(), ConfError> {
    set_seconds(d, &mut conf.key_stale, true)
}

/// `auth_jwt_key_refetch time | off;`
fn set_key_refetch(d: &mut Directive, conf: &mut LocConf) -> Result<(), ConfError> {
    let mut secs = None;
    set_seconds(d, &mut secs, true)?;
    conf.key_refetch = match (secs, d.args()[1].as_bytes()) {
        (_, b"off") => Some(RefetchSetting::Off),
        (Some(secs), _) => Some(RefetchSetting::Every(secs)),
        (None, _) => return Err(ConfError::Reported),
    };
    Ok(())
}

/// A directive taking a time (`30s`, `1h`), or `off` (0) where `off_allowed`.
fn set_seconds(
    d: &mut Directive,
    slot: &mut Option<u64>,
    off_allowed: bool,
) -> Result<(), ConfError> {
    if slot.is_some() {
        return Err(ConfError::Duplicate);
    }
    // NGX_CONF_TAKE1: args holds the directive name and one value.
    let value = d.args()[1];
    if off_allowed && value.as_bytes() == b"off" {
        *slot = Some(0);
        return Ok(());
    }
    *slot = Some(parse_time(&value).ok_or_else(|| invalid("value", &value))?);
    Ok(())
}

/// `auth_jwt_leeway time;`
fn set_leeway(d: &mut Directive, conf: &mut LocConf) -> Result<(), ConfError> {
    if conf.leeway.is_some() {
        return Err(ConfError::Duplicate);
    }
    // NGX_CONF_TAKE1: args holds the directive name and one value.
    let value = d.args()[1];
    conf.leeway = Some(parse_time(&value).ok_or_else(|| invalid("value", &value))?);
    Ok(())
}

/// Largest `auth_jwt_verify_cache` size: a bound against typos, far above any need.
const MAX_VERIFY_CACHE_ENTRIES: usize = 1_000_000;

/// `auth_jwt_verify_cache size | off;` — the directive makes one cache, shared by the levels
/// that inherit it (each worker fills its own copy).
fn set_verify_cache(d: &mut Directive, conf: &mut LocConf) -> Result<(), ConfError> {
    if conf.verify_cache.is_some() {
        return Err(ConfError::Duplicate);
    }
    // NGX_CONF_TAKE1: args holds the directive name and one value.
    let value = d.args()[1];
    if value.as_bytes() == b"off" {
        conf.verify_cache = Some(VerifyCacheSetting::Off);
        return Ok(());
    }
    let size = value.to_str().ok().and_then(|v| v.parse::<usize>().ok());
    match size {
        Some(size @ 1..=MAX_VERIFY_CACHE_ENTRIES) => {
            let main = d.conf.main_conf().ok_or(ConfError::Reported)?;
            conf.verify_cache = Some(VerifyCacheSetting::On(main.add_cache(size)));
            Ok(())
        }
        _ => Err(invalid("size", &value)),
    }
}

/// `auth_jwt_require $value ... [error=401|403];` — several per level; each directive's
/// `error=` applies to its own values.
fn set_require(d: &mut Directive, conf: &mut LocConf) -> Result<(), ConfError> {
    // NGX_CONF_1MORE: the directive name and at least one argument.
    let [_, params @ ..] = d.args() else { return Err(ConfError::Reported) };
    let params = params.to_vec();
    let (values, status) = match params.split_last() {
        Some((last, values)) if last.as_bytes().starts_with(b"error=") => {
            match &last.as_bytes()[6..] {
                b"401" => (values, HTTPStatus::UNAUTHORIZED),
                b"403" => (values, HTTPStatus::FORBIDDEN),
                _ => return Err(invalid("parameter", last)),
            }
        }
        _ => (params.as_slice(), HTTPStatus::UNAUTHORIZED),
    };
    if values.is_empty() {
        d.conf.emerg(format_args!(
            "invalid number of arguments in \"auth_jwt_require\" directive: no value"
        ));
        return Err(ConfError::Reported);
    }
    let mut compiled = Vec::with_capacity(values.len());
    for value in values {
        // NGINX Plus (1.21.7): every value must start with a variable.
        if value.as_bytes().first() != Some(&b'$') {
            d.conf.emerg(format_args!(
                "invalid value \"{value}\" in \"auth_jwt_require\" directive: it must start with \
                 a variable"
            ));
            return Err(ConfError::Reported);
        }
        compiled.push(ComplexValue::compile(&mut d.conf, value)?);
    }
    let rule = RequireRule { values: compiled, status, declared_at: d.position() };
    conf.policy.add_require(rule).map_err(|_| ConfError::Reported)
}

/// `auth_jwt_login_url url [param=name] | off;`
fn set_login_url(d: &mut Directive, conf: &mut LocConf) -> Result<(), ConfError> {
    if conf.policy.login.is_some() {
        return Err(ConfError::Duplicate);
    }
    // NGX_CONF_TAKE12: args holds the directive name and one or two values.
    let (url, param) = match *d.args() {
        [_, value] if value.as_bytes() == b"off" => {
            conf.policy.login = Some(LoginSetting::Off);
            return Ok(());
        }
        [_, url] => (url, DEFAULT_LOGIN_PARAM.to_owned()),
        [_, url, param] => match param.as_bytes().strip_prefix(b"param=") {
            Some(name) if valid_param_name(name) => match core::str::from_utf8(name) {
                Ok(name) => (url, name.to_owned()),
                Err(_) => return Err(invalid("parameter", &param)),
            },
            _ => return Err(invalid("parameter", &param)),
        },
        _ => return Err(ConfError::Reported),
    };
    // A URL with variables is checked after evaluation, per request.
    if !url.as_bytes().contains(&b'$') {
        if let Err(reason) = check_login_url(url.as_bytes()) {
            d.conf.emerg(format_args!(
                "invalid URL \"{url}\" in \"auth_jwt_login_url\" directive: it {reason}"
            ));
            return Err(ConfError::Reported);
        }
    }
    let url = ComplexValue::compile(&mut d.conf, &url)?;
    conf.policy.login = Some(LoginSetting::On(Rc::new(LoginUrl { url, param })));
    Ok(())
}

/// `auth_jwt_claim_set $variable name ...;`
fn set_claim_variable(d: &mut Directive, _conf: &mut LocConf) -> Result<(), ConfError> {
    add_field_variable(d, Part::Claims)
}

/// `auth_jwt_header_set $variable name ...;`
fn set_header_variable(d: &mut Directive, _conf: &mut LocConf) -> Result<(), ConfError> {
    add_field_variable(d, Part::Header)
}

fn add_field_variable(d: &mut Directive, part: Part) -> Result<(), ConfError> {
    // NGX_CONF_2MORE: the directive name, the variable and at least one member name.
    let [_, variable, names @ ..] = d.args() else { return Err(ConfError::Reported) };
    let Some(var_name) = variable.as_bytes().strip_prefix(b"$").filter(|n| !n.is_empty()) else {
        return Err(invalid("variable name", variable));
    };
    let var_name = var_name.to_vec();
    let mut path = Vec::with_capacity(names.len());
    for name in names {
        match name.to_str() {
            Ok(name) => path.push(name.to_owned()),
            Err(_) => return Err(invalid("name", name)),
        }
    }
    // A second definition of the same variable fails here, with nginx's own message.
    variables::add(&mut d.conf, &var_name, FieldPath { part, names: path }, field_value)?;
    Ok(())
}

/// `auth_jwt_type signed | encrypted | nested;`
fn set_token_type(d: &mut Directive, conf: &mut LocConf) -> Result<(), ConfError> {
    if conf.token_type.is_some() {
        return Err(ConfError::Duplicate);
    }
    // NGX_CONF_TAKE1: args holds the directive name and one value.
    let value = d.args()[1];
    conf.token_type =
        Some(TokenType::from_name(value.as_bytes()).ok_or_else(|| invalid("value", &value))?);
    Ok(())
}
