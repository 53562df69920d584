//! What this worker saw of its key sources (reloads, fetches, errors and when), and the timer
//! that publishes it into the worker's status slot of the zone, with the key set gauges.
//!
//! Only the worker's own thread is here: the watcher's events reach it through the worker's
//! event log (`worker.rs`), fetches through `remote_keys.rs`.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use auth_jwt_core::keystore::Loaded;
use auth_jwt_core::metrics::status::{SourceStatus, WorkerDocument};
use auth_jwt_core::metrics::zone::{SourceEvent, SourceKind, Zone};
use auth_jwt_core::watch::WatchEvent;
use auth_jwt_core::KeySet;
use ngx::ffi::{ngx_time, NGX_LOG_ERR};

use crate::conf::MainConf;
use crate::ffi::log::Log;
use crate::ffi::process::{is_first_worker, worker_number, Cycle};

/// How often a worker publishes its status (milliseconds).
const PUBLISH_INTERVAL_MS: usize = 250;
/// Ticks in a row the status slot may be found busy before its writer is taken for dead (a
/// copy takes microseconds; a tick is a quarter of a second).
const ABANDONED_AFTER_TICKS: u32 = 4;
/// Key request URIs whose status a worker keeps (the oldest is dropped beyond).
const MAX_OBSERVED_REQUESTS: usize = 64;

#[derive(Default)]
struct FileSeen {
    loaded_at: Option<i64>,
    error: Option<(String, i64)>,
}

#[derive(Default)]
struct Observed {
    main: Option<&'static MainConf>,
    started: i64,
    files: HashMap<PathBuf, FileSeen>,
    requests: VecDeque<SourceStatus>,
    /// Source slots in the zone, by kind and name, once claimed.
    slots: HashMap<(u8, String), usize>,
    /// Ticks in a row that found the status slot held by another writer.
    busy_ticks: u32,
    /// Bumped by every change to `files` or `requests`.
    changes: u64,
    /// The document last built, and what it was built from.
    built: Option<Built>,
}

/// A status document and the state it shows: it is rebuilt only when that state changes.
struct Built {
    changes: u64,
    /// Each key file's state as it was (the watcher replaces it whole on a reload). Held, not
    /// just its address, so that a later state can never be allocated where it was.
    files: Vec<Arc<Loaded>>,
    document: WorkerDocument,
}

impl Observed {
    fn zone(&self) -> Option<Zone<'static>> {
        self.main?.metrics.zone()
    }

    fn slot(&mut self, zone: &Zone, kind: SourceKind, name: &str) -> Option<usize> {
        let key = (kind as u8, name.to_owned());
        if let Some(&slot) = self.slots.get(&key) {
            return Some(slot);
        }
        let slot = zone.source_slot(kind, name)?;
        self.slots.insert(key, slot);
        Some(slot)
    }
}

thread_local! {
    static OBSERVED: RefCell<Observed> = RefCell::new(Observed::default());
}

/// `init_process` of a worker: where a zone is configured, starts publishing the status.
pub fn start_worker(cycle: &mut Cycle) {
    let Some(main) = cycle.main_conf() else { return };
    if main.metrics.zone().is_none() {
        return;
    }
    OBSERVED.with(|observed| {
        let mut observed = observed.borrow_mut();
        observed.main = Some(main);
        observed.started = ngx_time();
    });
    if cycle.every(PUBLISH_INTERVAL_MS, publish).is_err() {
        if let Some(log) = cycle.log() {
            log.write(NGX_LOG_ERR, format_args!("cannot arm the key set status timer"));
        }
    }
}

/// The watcher reread a key file: remembers when and with what outcome, and counts it (once
/// for a configured key file, which every worker reloads alike: in worker 0).
pub fn key_file_event(event: &WatchEvent) {
    let Some(reload) = &event.reload else { return };
    let now = ngx_time();
    let _ = OBSERVED.with(|observed| {
        let mut observed = observed.try_borrow_mut().ok()?;
        observed.changes += 1;
        let seen = observed.files.entry(reload.path.clone()).or_default();
        match &reload.error {
            None => seen.loaded_at = Some(now),
            Some(reason) => seen.error = Some((reason.clone(), now)),
        }
        if event.every_worker && !is_first_worker() {
            return Some(());
        }
        let zone = observed.zone()?;
        let name = reload.path.display().to_string();
        let slot = observed.slot(&zone, SourceKind::File, &name)?;
        let counted =
            if reload.error.is_none() { SourceEvent::Reloaded } else { SourceEvent::ReloadFailed };
        zone.count_source(slot, counted);
        Some(())
    });
}

/// A fetch of the key request `uri` finished with `result` at `now`; its keys are used for
/// `cache_secs`.
pub fn fetch_finished(uri: &str, cache_secs: u64, now: i64, result: &Result<KeySet, String>) {
    let _ = OBSERVED.with(|observed| {
        let mut observed = observed.try_borrow_mut().ok()?;
        let zone = observed.zone()?;
        observed.changes += 1;
        let at = observed.requests.iter().position(|status| status.source == uri);
        let mut status = match at.and_then(|at| observed.requests.remove(at)) {
            Some(status) => status,
            None => SourceStatus { kind: "request", source: uri.to_owned(), ..Default::default() },
        };
        match result {
            Ok(keys) => {
                status.set_keys(keys);
                status.loaded_at = Some(now);
                status.expires_at =
                    Some(now.saturating_add(i64::try_from(cache_secs).unwrap_or(i64::MAX)));
            }
            Err(reason) => status.error = Some((reason.clone(), now)),
        }
        if observed.requests.len() >= MAX_OBSERVED_REQUESTS {
            observed.requests.pop_front();
        }
        observed.requests.push_back(status);
        let slot = observed.slot(&zone, SourceKind::Request, uri)?;
        let counted = if result.is_ok() { SourceEvent::Fetched } else { SourceEvent::FetchFailed };
        zone.count_source(slot, counted);
        Some(())
    });
}

/// Timer tick: publishes this worker's key set status, rebuilt (with the gauges) when it changed.
fn publish(_log: Log) {
    let _ = OBSERVED.with(|observed| {
        let mut observed = observed.try_borrow_mut().ok()?;
        let main = observed.main?;
        let zone = observed.zone()?;
        // A worker of a configuration that was replaced leaves the slot to its successor.
        let cycle = *main.metrics.cycle.get()?;
        if zone.cycle() != cycle {
            return None;
        }
        let worker = worker_number();
        let files: Vec<Arc<Loaded>> = main.key_files.iter().map(|file| file.loaded()).collect();
        let current = observed.built.as_ref().is_some_and(|built| {
            built.changes == observed.changes
                && built.files.len() == files.len()
                && built.files.iter().zip(&files).all(|(was, now)| Arc::ptr_eq(was, now))
        });
        if !current {
            let document = observed.build(main, &zone, worker);
            observed.built = Some(Built { changes: observed.changes, files, document });
        }
        let document = observed.built.as_ref()?.document.render(ngx_time());
        let slot = zone.status_slot(worker)?;
        if slot.publish(u64::from(std::process::id()), cycle, &document) {
            observed.busy_ticks = 0;
        } else {
            observed.busy_ticks += 1;
            // The previous worker of this number died while writing (killed, respawned).
            if observed.busy_ticks >= ABANDONED_AFTER_TICKS && slot.release_abandoned() {
                observed.busy_ticks = 0;
            }
        }
        Some(())
    });
}

impl Observed {
    /// The status of every source in force, with its gauges set in the zone.
    fn build(&mut self, main: &MainConf, zone: &Zone, worker: usize) -> WorkerDocument {
        let mut sources = Vec::with_capacity(main.key_files.len() + self.requests.len());
        for file in &main.key_files {
            let name = file.path().display().to_string();
            let seen = self.files.get(file.path());
            let mut status = SourceStatus {
                kind: "file",
                source: name.clone(),
                loaded_at: seen.and_then(|s| s.loaded_at).or(Some(self.started)),
                error: seen.and_then(|s| s.error.clone()),
                ..Default::default()
            };
            match &file.loaded().keys {
                Ok(keys) => status.set_keys(keys),
                Err(reason) => {
                    status.loaded_at = None;
                    if status.error.is_none() {
                        status.error = Some((reason.clone(), self.started));
                    }
                }
            }
            if let Some(slot) = self.slot(zone, SourceKind::File, &name) {
                zone.set_source_gauges(slot, worker, status.generation, status.usable_keys as u64);
            }
            sources.push(status);
        }
        let requests: Vec<SourceStatus> = self.requests.iter().cloned().collect();
        for status in requests {
            if let Some(slot) = self.slot(zone, SourceKind::Request, &status.source) {
                zone.set_source_gauges(slot, worker, status.generation, status.usable_keys as u64);
            }
            sources.push(status);
        }
        WorkerDocument::new(worker, &sources)
    }
}
