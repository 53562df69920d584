//! Per-worker start and stop: the key file watcher and the timer that logs what it saw.
//!
//! The watcher thread never touches nginx; it queues events that the timer below logs from
//! the worker's own thread (the nginx log is not thread-safe and may be freed on reload).

use std::sync::{Arc, Mutex};

use auth_jwt_core::keystore::KeyFile;
use auth_jwt_core::watch::{Severity, Watcher};
use ngx::ffi::{
    ngx_add_timer, ngx_cycle_t, ngx_event_t, ngx_int_t, ngx_log_error_core, ngx_log_t, ngx_process,
    ngx_worker, NGX_LOG_ERR, NGX_LOG_INFO, NGX_LOG_NOTICE, NGX_LOG_WARN, NGX_PROCESS_SINGLE,
    NGX_PROCESS_WORKER,
};
use ngx::http::HttpModuleMainConf;

use crate::guarded;
use crate::Module;

/// How often the worker logs the watcher's events (milliseconds).
const LOG_INTERVAL_MS: usize = 500;

/// This worker's watcher. Only the worker thread uses it; the Mutex just makes the static safe.
static WATCHER: Mutex<Option<Watcher>> = Mutex::new(None);

/// `init_process`: starts the watcher in workers (and in single-process mode), never in the
/// master or in cache helper processes. Threads are started here, after fork and setuid, so
/// key files are read with the worker's permissions.
pub unsafe extern "C" fn init_process(cycle: *mut ngx_cycle_t) -> ngx_int_t {
    guarded(0, || {
        // SAFETY: nginx sets ngx_process before calling init_process.
        let role = unsafe { ngx_process } as u32;
        if role != NGX_PROCESS_WORKER && role != NGX_PROCESS_SINGLE {
            return 0;
        }
        // SAFETY: nginx passes the current, fully initialised cycle.
        let cycle = unsafe { &mut *cycle };
        let Some(main) = Module::main_conf(cycle) else { return 0 };
        if main.key_files.is_empty() && !main.key_templates {
            return 0;
        }
        let log = cycle.log;
        match Watcher::start(main.key_files.clone(), main.rings.clone()) {
            Ok(watcher) => {
                if let Ok(mut slot) = WATCHER.lock() {
                    *slot = Some(watcher);
                }
            }
            Err(err) => {
                // Not fatal: keys stay as loaded, only hot reload is lost.
                log_line(log, NGX_LOG_ERR, &format!("cannot start the key file watcher: {err}; key files will not be reloaded until nginx is"));
                return 0;
            }
        }
        // SAFETY: the event lives in the cycle pool, as long as this worker's cycle.
        unsafe {
            let event = ngx::core::Pool::from_ngx_pool(cycle.pool).calloc_type::<ngx_event_t>();
            if event.is_null() {
                return 0;
            }
            (*event).handler = Some(log_watch_events);
            (*event).log = log;
            // A cancelable timer does not hold up a graceful shutdown.
            (*event).set_cancelable(1);
            ngx_add_timer(event, LOG_INTERVAL_MS as _);
        }
        0
    })
}

/// `exit_process`: stops and joins the watcher thread (it wakes at once), logging what it
/// queued last.
pub unsafe extern "C" fn exit_process(cycle: *mut ngx_cycle_t) {
    guarded((), || {
        let watcher = WATCHER.lock().ok().and_then(|mut slot| slot.take());
        if let Some(watcher) = watcher {
            // SAFETY: nginx passes the current cycle, whose log is valid.
            let log = unsafe { (*cycle).log };
            log_events(log, &watcher);
            if !watcher.stop() {
                log_line(log, NGX_LOG_WARN, "the key file watcher did not stop in time (a key file read is hanging); exiting without it");
            }
        }
    })
}

/// Has the watcher also watch a key file first used by this worker.
pub fn watch_key_file(file: Arc<KeyFile>) {
    if let Ok(slot) = WATCHER.lock() {
        if let Some(watcher) = slot.as_ref() {
            watcher.watch(file);
        }
    }
}

/// Has the watcher stop watching a key file this worker no longer keeps.
pub fn forget_key_file(file: Arc<KeyFile>) {
    if let Ok(slot) = WATCHER.lock() {
        if let Some(watcher) = slot.as_ref() {
            watcher.forget(file);
        }
    }
}

/// Timer handler: logs queued watcher events, then re-arms itself.
unsafe extern "C" fn log_watch_events(event: *mut ngx_event_t) {
    // SAFETY: nginx passes the event we armed; its log is the cycle log.
    let log = unsafe { (*event).log };
    guarded((), || {
        if let Ok(slot) = WATCHER.lock() {
            if let Some(watcher) = slot.as_ref() {
                log_events(log, watcher);
            }
        }
    });
    // Re-armed outside the guard, so a panic while logging never stops the reports.
    // SAFETY: the event is still ours and not in the timer tree (it just fired).
    unsafe { ngx_add_timer(event, LOG_INTERVAL_MS as _) };
}

fn log_events(log: *mut ngx_log_t, watcher: &Watcher) {
    // SAFETY: nginx sets ngx_worker (this worker's number, 0 in single-process mode) before
    // init_process, and only this thread reads it.
    let first_worker = unsafe { ngx_worker } == 0;
    for event in watcher.take_events() {
        let level = match event.severity {
            // Every worker watches the configured key files and sees the same change: worker 0
            // reports it at its level, the others only at `info`, so that `error_log ... notice`
            // shows one line per change and not one per worker.
            _ if event.every_worker && !first_worker => NGX_LOG_INFO,
            Severity::Notice => NGX_LOG_NOTICE,
            Severity::Warn => NGX_LOG_WARN,
            Severity::Error => NGX_LOG_ERR,
        };
        log_line(log, level, &event.message);
    }
}

fn log_line(log: *mut ngx_log_t, level: u32, message: &str) {
    // SAFETY: `log` is a valid nginx log of this worker; `%*s` takes a length and a pointer.
    unsafe {
        if (*log).log_level >= level as usize {
            ngx_log_error_core(
                level as usize,
                log,
                0,
                c"auth_jwt: %*s".as_ptr(),
                message.len(),
                message.as_ptr(),
            );
        }
    }
}
