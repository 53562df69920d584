//! The state each worker process owns: the key file watcher, the verified-signature caches and
//! the key files named with variables. Created in `init_process`, dropped in `exit_process`,
//! used only by the worker's own thread (an nginx worker is single-threaded).
//!
//! The watcher thread never touches nginx: it publishes new key sets through `ArcSwap` and
//! queues events, which a timer on the worker's event loop logs (the nginx log is not
//! thread-safe and may be freed on reload).

use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;

use auth_jwt_core::keystore::KeyFile;
use auth_jwt_core::watch::{Severity, Watcher};
use auth_jwt_core::{TokenFields, VerifiedCache, DEFAULT_CACHE_ENTRIES};
use ngx::ffi::{NGX_LOG_ERR, NGX_LOG_INFO, NGX_LOG_NOTICE, NGX_LOG_WARN};

use crate::conf::{MainConf, VerifyCacheSetting};
use crate::ffi::log::Log;
use crate::ffi::process::{is_first_worker, Cycle};
use crate::key_sources::VariableKeyFiles;
use crate::remote_keys::RemoteKeySets;

/// A verified-signature cache, keeping the fields of each cached token for the variables and
/// `auth_jwt_require`.
pub type TokenCache = VerifiedCache<std::rc::Rc<TokenFields>>;

/// How often the worker logs the watcher's events (milliseconds).
const LOG_INTERVAL_MS: usize = 500;

pub struct Worker {
    /// `None` where no key file is configured, or the watcher could not start.
    watcher: Option<Watcher>,
    /// The cache of the levels without `auth_jwt_verify_cache`.
    default_cache: TokenCache,
    /// One cache per `auth_jwt_verify_cache size` directive, indexed by its `CacheId`.
    location_caches: Vec<TokenCache>,
    variable_key_files: VariableKeyFiles,
    /// The key sets of `auth_jwt_key_request`: a slot per URI without variables, else by URI.
    pub remote: RemoteKeySets,
}

impl Worker {
    fn new(main: Option<&MainConf>) -> Worker {
        let sizes = main.map(|main| main.cache_sizes.as_slice()).unwrap_or_default();
        Worker {
            watcher: None,
            default_cache: TokenCache::new(DEFAULT_CACHE_ENTRIES),
            location_caches: sizes.iter().map(|&size| TokenCache::new(size)).collect(),
            variable_key_files: VariableKeyFiles::default(),
            remote: RemoteKeySets::new(
                main.map(|main| main.fixed_key_requests.as_slice()).unwrap_or_default(),
            ),
        }
    }

    /// The cache for a level's `auth_jwt_verify_cache` setting; `None` where it is off.
    pub fn cache(&mut self, setting: Option<VerifyCacheSetting>) -> Option<&mut TokenCache> {
        match setting {
            None => Some(&mut self.default_cache),
            Some(VerifyCacheSetting::Off) => None,
            Some(VerifyCacheSetting::On(id)) => self.location_caches.get_mut(id.0),
        }
    }

    /// The key file at `path` (a name built from variables), loaded and watched on first use.
    pub fn variable_key_file(&mut self, path: &Path) -> Arc<KeyFile> {
        self.variable_key_files.get_or_load(path, self.watcher.as_ref())
    }
}

thread_local! {
    /// The worker's state: set by `start`, taken by `stop`.
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
}

/// Runs `f` with the worker's state. `None` when there is none (never in a worker that
/// started) or it is in use already (callers never nest; they then do without the state).
pub fn with<R>(f: impl FnOnce(&mut Worker) -> R) -> Option<R> {
    WORKER.with(|slot| Some(f(slot.try_borrow_mut().ok()?.as_mut()?)))
}

/// `init_process` in a worker (or single-process nginx): creates the state and starts the
/// watcher where key files are configured. Threads start here, after fork and setuid, so key
/// files are read with the worker's permissions.
pub fn start(cycle: &mut Cycle) {
    let main = cycle.main_conf();
    let mut worker = Worker::new(main);
    let watched = main.filter(|main| !main.key_files.is_empty() || main.key_templates);
    if let Some(main) = watched {
        match Watcher::start(main.key_files.clone(), main.rings.clone()) {
            Ok(watcher) => worker.watcher = Some(watcher),
            Err(err) => {
                // Not fatal: keys stay as loaded, only hot reload is lost.
                if let Some(log) = cycle.log() {
                    log.write(
                        NGX_LOG_ERR,
                        format_args!(
                            "cannot start the key file watcher: {err}; key files will not be \
                             reloaded until nginx is"
                        ),
                    );
                }
            }
        }
    }
    crate::metrics::observe::start_worker(cycle);
    let watching = worker.watcher.is_some();
    WORKER.with(|slot| *slot.borrow_mut() = Some(worker));
    if watching && cycle.every(LOG_INTERVAL_MS, log_watch_events).is_err() {
        if let Some(log) = cycle.log() {
            log.write(NGX_LOG_ERR, format_args!("cannot arm the key file event timer"));
        }
    }
}

/// `exit_process`: drops the state; the watcher thread is stopped and joined (it wakes at
/// once) after logging what it queued last.
pub fn stop(cycle: &Cycle) {
    let Some(worker) = WORKER.with(|slot| slot.borrow_mut().take()) else { return };
    if let Some(watcher) = worker.watcher {
        let log = cycle.log();
        if let Some(log) = log {
            log_events(log, &watcher);
        }
        if !watcher.stop() {
            if let Some(log) = log {
                log.write(
                    NGX_LOG_WARN,
                    format_args!(
                        "the key file watcher did not stop in time (a key file read is \
                         hanging); exiting without it"
                    ),
                );
            }
        }
    }
}

/// Timer tick: logs the events the watcher queued.
fn log_watch_events(log: Log) {
    with(|worker| {
        if let Some(watcher) = &worker.watcher {
            log_events(log, watcher);
        }
    });
}

fn log_events(log: Log, watcher: &Watcher) {
    let first_worker = is_first_worker();
    for event in watcher.take_events() {
        crate::metrics::observe::key_file_event(&event);
        let level = match event.severity {
            // Every worker watches the configured key files and sees the same change: worker 0
            // reports it at its level, the others only at `info`, so that `error_log ... notice`
            // shows one line per change and not one per worker.
            _ if event.every_worker && !first_worker => NGX_LOG_INFO,
            Severity::Notice => NGX_LOG_NOTICE,
            Severity::Warn => NGX_LOG_WARN,
            Severity::Error => NGX_LOG_ERR,
        };
        log.write(level, format_args!("{}", event.message));
    }
}
