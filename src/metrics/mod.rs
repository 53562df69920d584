//! `auth_jwt_zone`, `auth_jwt_metrics_label` and `auth_jwt_metrics`: counters of every auth
//! outcome in a shared memory zone, and the pages that show them and each worker's key sets.
//!
//! The counting and the layout are `auth_jwt_core::metrics`; this is the glue: the
//! configuration (which labels exist, fixed while parsing so that the zone's table is bound to
//! them once), the hooks the access handler, the key file watcher's events and the key fetches
//! call, and each worker's timer that publishes its key set status. Without `auth_jwt_zone`
//! every hook returns at its first branch.

pub mod conf;
pub mod observe;
pub mod page;

use std::cell::OnceCell;

use auth_jwt_core::metrics::zone::Zone;
use auth_jwt_core::metrics::{alg_index, fields_alg, token_alg, zone::CacheUse, UNKNOWN_ALG};
use auth_jwt_core::JwtStatus;
use ngx::core::Status;
use ngx::ffi::NGX_LOG_WARN;
use ngx::http::{HttpModuleLocationConf, HttpModuleMainConf, Request};

use crate::conf::LocConf;
use crate::ffi::log::Log;
use crate::ffi::shm::ZoneMemory;
use crate::state::{RequestState, Shown};
use crate::validation::find_token;
use crate::worker;
use crate::Module;

pub use conf::{bind_label, set_metrics, set_metrics_label, set_zone, LabelSetting};

/// The metrics part of the main configuration.
#[derive(Default)]
pub struct MetricsConf {
    /// `auth_jwt_zone`'s name, once set.
    zone_name: Option<String>,
    /// Every label of the configuration, each once; locations refer to them by index.
    labels: Vec<String>,
    /// Set by the zone's init: the zone memory, each label's slot in it, and the number the
    /// zone gave this configuration.
    memory: OnceCell<ZoneMemory>,
    slots: OnceCell<Vec<Option<usize>>>,
    cycle: OnceCell<u64>,
}

impl MetricsConf {
    pub fn memory(&self) -> Option<&ZoneMemory> {
        self.memory.get()
    }

    /// The zone, once nginx has initialised it.
    pub fn zone(&self) -> Option<Zone<'_>> {
        Zone::open(self.memory.get()?.words())
    }

    /// The labels of this configuration with their slots, for the metrics page.
    fn label_slots(&self) -> Vec<auth_jwt_core::metrics::text::LabelSlot<'_>> {
        let slots = self.slots.get().map(Vec::as_slice).unwrap_or_default();
        self.labels
            .iter()
            .zip(slots)
            .filter_map(|(name, slot)| {
                Some(auth_jwt_core::metrics::text::LabelSlot { name, slot: (*slot)? })
            })
            .collect()
    }
}

/// The zone's `init` (in the master, while a configuration loads): formats new memory or
/// opens the memory of the previous configuration, and binds this configuration's labels.
pub fn zone_ready(
    metrics: &MetricsConf,
    memory: ZoneMemory,
    fresh: bool,
    log: Option<Log>,
) -> Result<(), String> {
    let name = metrics.zone_name.as_deref().unwrap_or_default();
    let words = memory.words();
    let zone = if fresh { Zone::format(words) } else { Zone::open(words) };
    let Some(zone) = zone else {
        return Err(format!(
            "auth_jwt_zone \"{name}\" is too small: it needs at least {} bytes",
            conf::MIN_ZONE_SIZE
        ));
    };
    let mut slots = Vec::with_capacity(metrics.labels.len());
    for label in &metrics.labels {
        let slot = zone.label_slot(label);
        if slot.is_none() {
            if let Some(log) = log {
                log.write(
                    NGX_LOG_WARN,
                    format_args!(
                        "auth_jwt_zone \"{name}\" has no room for the label \"{label}\" (labels \
                         of earlier configurations keep theirs until nginx restarts); its \
                         requests are not counted"
                    ),
                );
            }
        }
        slots.push(slot);
    }
    let cycle = zone.begin_cycle();
    let _ = metrics.slots.set(slots);
    let _ = metrics.cycle.set(cycle);
    let _ = metrics.memory.set(memory);
    Ok(())
}

/// Runs the access handler `decide` for `request` and counts its outcome. Where no zone is
/// configured (or `auth_jwt` is off) this is one branch.
pub fn observe_access(request: &mut Request, decide: fn(&mut Request) -> Status) -> Status {
    let Some((conf, label)) = counted(request) else { return decide(request) };
    let before = cache_lookups(conf);
    let status = decide(request);
    // Not decided yet (waiting for keys; the phase runs again), or not protected here.
    if status == Status::NGX_AGAIN || status == Status::NGX_DECLINED {
        return status;
    }
    count(request, conf, label, before);
    status
}

/// The location configuration and label index, when this request is counted.
fn counted(request: &Request) -> Option<(&'static LocConf, usize)> {
    let conf = Module::location_conf(request)?;
    Some((conf, conf.metrics_label?))
}

fn count(request: &Request, conf: &LocConf, label: usize, before: CacheUse) {
    let Some(state) = RequestState::find(request) else { return };
    let Some(outcome) = state.status() else { return };
    let Some(main) = Module::main_conf(request) else { return };
    let Some(zone) = main.metrics.zone() else { return };
    let Some(&Some(slot)) = main.metrics.slots.get().and_then(|slots| slots.get(label)) else {
        return;
    };
    // A verified token's header is parsed already; only refused ones are read again.
    let alg = match (state.judged(), outcome, conf.enabled()) {
        (Shown::Fields(fields), _, _) => alg_index(fields_alg(&fields)),
        (_, JwtStatus::Missing, _) | (_, _, None) => UNKNOWN_ALG,
        (_, _, Some(auth)) => match find_token(request, auth.token.as_ref()) {
            Ok(Some(token)) => alg_index(token_alg(token)),
            _ => UNKNOWN_ALG,
        },
    };
    let after = cache_lookups(conf);
    let used = CacheUse {
        hits: after.hits.saturating_sub(before.hits),
        misses: after.misses.saturating_sub(before.misses),
    };
    zone.count_request(slot, outcome, alg, used);
}

/// The hits and misses of the location's verified-signature cache in this worker so far.
fn cache_lookups(conf: &LocConf) -> CacheUse {
    worker::with(|worker| {
        worker.cache(conf.verify_cache).map(|cache| {
            let stats = cache.stats();
            CacheUse { hits: stats.hits, misses: stats.misses }
        })
    })
    .flatten()
    .unwrap_or_default()
}
