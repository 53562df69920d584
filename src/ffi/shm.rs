//! The shared memory zone of `auth_jwt_zone`: registering it with nginx, and its `init`
//! callback, which hands the zone's memory to the safe code as atomic words.
//!
//! nginx calls `init` in the master while it loads a configuration, before the new workers
//! start: with the old configuration's `data` when the zone is reused (a reload with the same
//! name and size keeps the memory, so the counters keep counting), with none when the memory is
//! new (first start, or a changed size: nginx then makes a fresh zone, as for its own zones).

use core::ffi::c_void;
use core::ptr::NonNull;
use std::sync::atomic::AtomicU64;

use ngx::ffi::{
    ngx_int_t, ngx_pagesize, ngx_shared_memory_add, ngx_shm_zone_t, ngx_slab_alloc,
    ngx_slab_pool_t, ngx_str_t, NGX_LOG_EMERG,
};

use super::conf::Conf;
use super::log::Log;
use super::NginxFailed;
use crate::metrics::MetricsConf;
use crate::Module;
use ngx::http::HttpModuleMainConf;

/// The memory of the zone, as atomic words. It is mapped before the workers fork and stays
/// mapped for as long as any configuration using it lives.
pub struct ZoneMemory {
    start: NonNull<AtomicU64>,
    words: usize,
}

impl ZoneMemory {
    pub fn words(&self) -> &[AtomicU64] {
        // SAFETY: `start` is the page-aligned start of an allocation of `words` words in the
        // shared mapping, which outlives the configuration that holds this value. Every
        // process touches those words only through atomics, so shared references are sound.
        unsafe { core::slice::from_raw_parts(self.start.as_ptr(), self.words) }
    }
}

/// Why a zone cannot be added (the directive then fails).
pub enum ZoneError {
    /// nginx refused it (it has said why, e.g. another module's zone of that name).
    Nginx,
    /// This module added it already.
    Duplicate,
}

/// Adds the zone `name` of `size` bytes for the main configuration's counters.
pub fn add_zone(conf: &mut Conf, name: &ngx_str_t, size: usize) -> Result<(), ZoneError> {
    let cf = conf.as_ptr();
    // SAFETY: `cf` is the configuration being parsed; its main configuration lives as long as
    // the configuration, which is as long as the zone is initialised with it.
    let main = Module::main_conf(unsafe { &*cf }).ok_or(ZoneError::Nginx)?;
    let metrics: &MetricsConf = &main.metrics;
    let mut name = *name;
    // SAFETY: `cf` is the configuration being parsed; the tag is this module's static, which
    // is how nginx tells apart zones of the same name added by different modules.
    let zone = unsafe {
        let tag = core::ptr::addr_of_mut!(crate::ngx_http_auth_jwt_rs_module).cast::<c_void>();
        ngx_shared_memory_add(cf, &mut name, size, tag).as_mut()
    };
    let zone = zone.ok_or(ZoneError::Nginx)?;
    if !zone.data.is_null() {
        return Err(ZoneError::Duplicate);
    }
    zone.init = Some(init_zone);
    zone.data = core::ptr::from_ref(metrics).cast_mut().cast();
    Ok(())
}

unsafe extern "C" fn init_zone(zone: *mut ngx_shm_zone_t, old_data: *mut c_void) -> ngx_int_t {
    super::guarded(-1, || {
        // SAFETY: nginx passes the zone added by `add_zone`, whose data is the new
        // configuration's MetricsConf; `old_data`, when set, is the MetricsConf of the
        // configuration being replaced, still alive while the new one initialises.
        let (zone, metrics, old) = unsafe {
            let Some(zone) = zone.as_mut() else { return -1 };
            let Some(metrics) = zone.data.cast::<MetricsConf>().as_ref() else { return -1 };
            (zone, metrics, old_data.cast::<MetricsConf>().as_ref())
        };
        // SAFETY: the zone's log is the cycle log, valid during init.
        let log = unsafe { Log::from_raw(zone.shm.log) };
        let reused = old.and_then(|old| old.memory().map(|m| (m.start, m.words)));
        let (memory, fresh) = match reused {
            Some((start, words)) => (ZoneMemory { start, words }, false),
            None => match allocate_all(zone) {
                Ok(memory) => (memory, true),
                Err(NginxFailed) => return -1,
            },
        };
        match crate::metrics::zone_ready(metrics, memory, fresh, log) {
            Ok(()) => 0,
            Err(reason) => {
                if let Some(log) = log {
                    log.write(NGX_LOG_EMERG, format_args!("{reason}"));
                }
                -1
            }
        }
    })
}

/// Takes every free page of a new zone's slab pool, zeroed.
fn allocate_all(zone: &mut ngx_shm_zone_t) -> Result<ZoneMemory, NginxFailed> {
    // SAFETY: nginx initialised the slab pool at the start of a new zone before calling init;
    // no worker runs yet, so nothing else uses it. The allocation is page-aligned (whole
    // pages) and zeroed before use.
    unsafe {
        let pool = zone.shm.addr.cast::<ngx_slab_pool_t>();
        let bytes = (*pool).pfree * ngx_pagesize;
        let start = ngx_slab_alloc(pool, bytes).cast::<u8>();
        let start = NonNull::new(start).ok_or(NginxFailed)?;
        core::ptr::write_bytes(start.as_ptr(), 0, bytes);
        (*pool).data = start.as_ptr().cast();
        Ok(ZoneMemory { start: start.cast(), words: bytes / 8 })
    }
}
