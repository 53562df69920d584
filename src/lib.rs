//! ngx-auth-jwt: JSON Web Token authentication for NGINX, compatible with the NGINX Plus
//! `auth_jwt` directives.
//!
//! This crate is only the nginx glue; token parsing, keys and verification live in the
//! `auth-jwt-core` crate, which has no nginx dependency and its own unit tests. Here, `ffi/`
//! is the thin layer over nginx's C API (all `unsafe` is there or in the module statics
//! below); the other modules are safe Rust. ARCHITECTURE.md has the map.

use core::ptr::{self, addr_of};

use ngx::ffi::{ngx_conf_t, ngx_http_module_t, ngx_int_t, ngx_module_t, NGX_HTTP_MODULE};
use ngx::http::{HttpModule, HttpModuleLocationConf, HttpModuleMainConf};

mod conf;
mod directives;
mod ffi;
mod handler;
mod key_sources;
mod metrics;
mod policy;
mod remote_keys;
mod response;
mod state;
mod validation;
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
        // SAFETY: nginx passes the configuration being parsed.
        unsafe { ffi::conf::with_conf(cf, variables::register) }
    }

    unsafe extern "C" fn postconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
        // SAFETY: nginx passes the configuration being parsed.
        unsafe { ffi::conf::with_conf(cf, ffi::phase::register_access_handler) }
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

static NGX_HTTP_AUTH_JWT_MODULE_CTX: ngx_http_module_t = ngx_http_module_t {
    preconfiguration: Some(Module::preconfiguration),
    postconfiguration: Some(Module::postconfiguration),
    create_main_conf: Some(Module::create_main_conf),
    init_main_conf: None,
    create_srv_conf: None,
    merge_srv_conf: None,
    create_loc_conf: Some(Module::create_loc_conf),
    merge_loc_conf: Some(ffi::conf::merge_loc_conf),
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
    init_process: Some(ffi::process::init_process),
    exit_process: Some(ffi::process::exit_process),
    ..ngx_module_t::default()
};
