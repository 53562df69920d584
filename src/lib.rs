//! ngx-auth-jwt: JSON Web Token authentication for NGINX, compatible with the NGINX Plus
//! `auth_jwt` directives.
//!
//! This crate is only the thin nginx glue; token parsing, keys and verification live in the
//! `auth-jwt-core` crate, which has no nginx dependency and its own unit tests.

use core::ffi::{c_char, c_void};
use core::ptr::{self, addr_of};

use ngx::core::{Status, NGX_CONF_ERROR, NGX_CONF_OK};
use ngx::ffi::{
    ngx_array_push, ngx_conf_t, ngx_http_handler_pt, ngx_http_module_t,
    ngx_http_phases_NGX_HTTP_ACCESS_PHASE, ngx_int_t, ngx_log_error_core, ngx_module_t,
    NGX_HTTP_MODULE, NGX_LOG_WARN,
};
use ngx::http::{HttpModule, HttpModuleLocationConf, HttpModuleMainConf, NgxHttpCoreModule};

mod complex_value;
mod conf;
mod ctx;
mod directives;
mod dynamic_keys;
mod false_claim;
mod handler;
mod log;
mod policy;
mod response;
mod variables;
mod worker;

use conf::{LocConf, MainConf};
use directives::NGX_HTTP_AUTH_JWT_COMMANDS;

pub(crate) struct Module;

impl HttpModule for Module {
    fn module() -> &'static ngx_module_t {
        // SAFETY: the module static is only written by nginx while loading the module.
        unsafe { &*addr_of!(ngx_http_auth_jwt_rs_module) }
    }

    unsafe extern "C" fn preconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
        guarded(Status::NGX_ERROR.into(), || match variables::register(cf) {
            Ok(()) => Status::NGX_OK.into(),
            Err(()) => Status::NGX_ERROR.into(),
        })
    }

    unsafe extern "C" fn postconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
        guarded(Status::NGX_ERROR.into(), || {
            // SAFETY: nginx passes a valid configuration; the core module's main conf exists.
            let Some(cmcf) = NgxHttpCoreModule::main_conf_mut(unsafe { &*cf }) else {
                return Status::NGX_ERROR.into();
            };
            let handlers =
                &mut cmcf.phases[ngx_http_phases_NGX_HTTP_ACCESS_PHASE as usize].handlers;
            // SAFETY: `handlers` is an nginx array of handler pointers.
            let slot = unsafe { ngx_array_push(handlers) }.cast::<ngx_http_handler_pt>();
            if slot.is_null() {
                return Status::NGX_ERROR.into();
            }
            // SAFETY: `slot` is a fresh element of that array.
            unsafe { *slot = Some(handler::access_handler) };
            Status::NGX_OK.into()
        })
    }
}

// SAFETY: MainConf is the type created by `create_main_conf` below.
unsafe impl HttpModuleMainConf for Module {
    type MainConf = MainConf;
}

// SAFETY: LocConf is the type created by `create_loc_conf` below.
unsafe impl HttpModuleLocationConf for Module {
    type LocationConf = LocConf;
}

/// Merge parent into child. Written by hand (instead of `ngx::http::Merge`) because the
/// outermost level must publish its keys too, and to warn about unverified signatures.
unsafe extern "C" fn merge_loc_conf(
    cf: *mut ngx_conf_t,
    prev: *mut c_void,
    conf: *mut c_void,
) -> *mut c_char {
    guarded(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes two distinct LocConf objects created by create_loc_conf.
        let (prev, conf) = unsafe { (&mut *prev.cast::<LocConf>(), &mut *conf.cast::<LocConf>()) };
        // SAFETY: `cf` is the configuration being merged, inside the http block.
        let Some(main) = Module::main_conf_mut(unsafe { &*cf }) else {
            return NGX_CONF_ERROR;
        };
        prev.freeze_keys(main);
        conf.freeze_keys(main);
        conf.inherit(prev);

        if let Some(auth) = conf.enabled() {
            if conf.keys.is_none() && !auth.warned_unverified.replace(true) {
                let message = format!(
                    "auth_jwt in {} has no auth_jwt_key_file: token signatures will NOT be verified",
                    auth.declared_at
                );
                // SAFETY: `cf->log` is the valid configuration log.
                unsafe {
                    ngx_log_error_core(
                        NGX_LOG_WARN as usize,
                        (*cf).log,
                        0,
                        c"%*s".as_ptr(),
                        message.len(),
                        message.as_ptr(),
                    );
                }
            }
        }
        NGX_CONF_OK
    })
}

static NGX_HTTP_AUTH_JWT_MODULE_CTX: ngx_http_module_t = ngx_http_module_t {
    preconfiguration: Some(Module::preconfiguration),
    postconfiguration: Some(Module::postconfiguration),
    create_main_conf: Some(Module::create_main_conf),
    init_main_conf: None,
    create_srv_conf: None,
    merge_srv_conf: None,
    create_loc_conf: Some(Module::create_loc_conf),
    merge_loc_conf: Some(merge_loc_conf),
};

#[cfg(feature = "export-modules")]
ngx::ngx_modules!(ngx_http_auth_jwt_rs_module);

/// The module. Its name differs from `ngx_http_auth_jwt_module` (NGINX Plus and C modules)
/// so that the symbols never collide; the directives keep the NGINX Plus names.
#[used]
#[allow(non_upper_case_globals)]
#[cfg_attr(not(feature = "export-modules"), no_mangle)]
pub static mut ngx_http_auth_jwt_rs_module: ngx_module_t = ngx_module_t {
    ctx: ptr::addr_of!(NGX_HTTP_AUTH_JWT_MODULE_CTX) as *mut _,
    // SAFETY: nginx only reads the command table.
    commands: unsafe { ptr::addr_of_mut!(NGX_HTTP_AUTH_JWT_COMMANDS[0]) },
    type_: NGX_HTTP_MODULE as _,
    init_process: Some(worker::init_process),
    exit_process: Some(worker::exit_process),
    ..ngx_module_t::default()
};

/// Runs `f`, an nginx entry point's body, so that a panic never unwinds into nginx (that would
/// abort the process: a worker, or during a reload the master). On a panic the entry point
/// answers `on_panic` instead; the panic message has already gone to stderr (the error log).
pub(crate) fn guarded<R>(on_panic: R, f: impl FnOnce() -> R) -> R {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(on_panic)
}
