//! Worker processes: the `init_process`/`exit_process` entry points, the process's role, and a
//! repeating timer on the worker's event loop.

use ngx::ffi::{
    ngx_add_timer, ngx_cycle_t, ngx_event_t, ngx_int_t, ngx_process, ngx_worker,
    NGX_PROCESS_SINGLE, NGX_PROCESS_WORKER,
};
use ngx::http::HttpModuleMainConf;

use super::guarded;
use super::log::Log;
use super::NginxFailed;
use crate::conf::MainConf;
use crate::Module;

/// The current cycle, for the duration of one nginx callback.
pub struct Cycle<'a>(&'a mut ngx_cycle_t);

impl Cycle<'_> {
    pub fn main_conf(&self) -> Option<&'static MainConf> {
        Module::main_conf(&*self.0)
    }

    pub fn log(&self) -> Option<Log> {
        // SAFETY: the cycle log is valid for as long as the cycle, on this thread.
        unsafe { Log::from_raw(self.0.log) }
    }

    /// Calls `tick(log)` every `interval_ms` on the worker's event loop, until the worker
    /// exits. The timer is cancelable, so it never holds up a graceful shutdown.
    pub fn every(&mut self, interval_ms: usize, tick: fn(Log)) -> Result<(), NginxFailed> {
        // SAFETY: the event and its task live in the cycle pool, as long as this worker's
        // cycle; `data` points to the task, which `on_timer` reads.
        unsafe {
            let pool = ngx::core::Pool::from_ngx_pool(self.0.pool);
            let task = pool.allocate(TimerTask { tick, interval_ms });
            let event = pool.calloc_type::<ngx_event_t>();
            if event.is_null() || task.is_null() {
                return Err(NginxFailed);
            }
            (*event).handler = Some(on_timer);
            (*event).log = self.0.log;
            (*event).data = task.cast();
            (*event).set_cancelable(1);
            ngx_add_timer(event, interval_ms as _);
        }
        Ok(())
    }
}

/// What a timer armed by [`Cycle::every`] does, kept in its event's `data`.
struct TimerTask {
    tick: fn(Log),
    interval_ms: usize,
}

unsafe extern "C" fn on_timer(event: *mut ngx_event_t) {
    // SAFETY: nginx passes the event armed by `Cycle::every`: its log is the cycle log and its
    // data the TimerTask in the cycle pool.
    let (log, task) = unsafe { (Log::from_raw((*event).log), &*(*event).data.cast::<TimerTask>()) };
    if let Some(log) = log {
        guarded((), || (task.tick)(log));
    }
    // Re-armed outside the guard, so a panic in one tick never stops the next.
    // SAFETY: the event is still ours and not in the timer tree (it just fired).
    unsafe { ngx_add_timer(event, task.interval_ms as _) };
}

/// Whether this process serves requests: a worker, or nginx in single-process mode. Cache
/// manager and loader processes also run `init_process`, and must start nothing.
fn serves_requests() -> bool {
    // SAFETY: nginx sets ngx_process before calling init_process; only this thread reads it.
    let role = unsafe { ngx_process } as u32;
    role == NGX_PROCESS_WORKER || role == NGX_PROCESS_SINGLE
}

/// Whether this is the first worker (or the single process): the one that logs what every
/// worker would otherwise log alike.
pub fn is_first_worker() -> bool {
    // SAFETY: nginx sets ngx_worker (0 in single-process mode) before init_process, and only
    // this thread reads it.
    unsafe { ngx_worker == 0 }
}

/// This worker's number (`ngx_worker`: 0 to `worker_processes` - 1; 0 in single-process mode).
pub fn worker_number() -> usize {
    // SAFETY: as for `is_first_worker`.
    unsafe { ngx_worker }
}

/// `init_process` of the module.
pub unsafe extern "C" fn init_process(cycle: *mut ngx_cycle_t) -> ngx_int_t {
    guarded(0, || {
        // SAFETY: nginx passes the current, fully initialised cycle.
        let Some(cycle) = (unsafe { cycle.as_mut() }) else { return 0 };
        if serves_requests() {
            crate::worker::start(&mut Cycle(cycle));
        }
        0
    })
}

/// `exit_process` of the module.
pub unsafe extern "C" fn exit_process(cycle: *mut ngx_cycle_t) {
    guarded((), || {
        // SAFETY: nginx passes the current cycle.
        let Some(cycle) = (unsafe { cycle.as_mut() }) else { return };
        crate::worker::stop(&Cycle(cycle));
    })
}
