//! Key sets from `auth_jwt_key_request`: each URI's key set in this worker (the rules are
//! `auth_jwt_core::remote`), the fetches that fill them (in-memory subrequests, see
//! `ffi/subrequest.rs`) and the requests that wait for those fetches.
//!
//! A request that needs keys nobody has fetched starts the fetch and waits for it; requests
//! that need them meanwhile join that fetch instead of starting their own, so a burst of
//! requests on a cold worker costs the identity provider one request. A fetch's outcome is
//! logged once, by the fetch, not by each request that waited for it.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

use hashbrown::hash_map::EntryRef;
use hashbrown::HashMap;

use auth_jwt_core::remote::{FetchId, FetchReport, Lookup, RemoteKeySet, RemotePolicy};
use auth_jwt_core::{key_set_of_response, KeySet, KeySource, KeySourceError, SourceKeys};
use ngx::core::Status;
use ngx::ffi::{ngx_time, NGX_LOG_ERR, NGX_LOG_INFO, NGX_LOG_WARN};
use ngx::http::{HTTPStatus, Request};

use crate::conf::{FixedKeyRequest, LocConf};
use crate::ffi::log::{request_log, Log};
use crate::ffi::subrequest::{self, Flight, Response};
use crate::key_sources;
use crate::state::RequestState;
use crate::worker;

/// Most key request URIs (as evaluated) whose key sets a worker keeps; the oldest is dropped
/// beyond this, so URIs built from request data cannot grow memory without bound.
pub const MAX_REMOTE_KEY_SETS: usize = 256;

/// Which of the worker's key sets a key request names: its URI (for the subrequest, the log
/// and the request's waits) and, for a URI without variables, its slot, fixed at load time.
pub struct KeySetName<'a> {
    pub uri: Cow<'a, str>,
    pub slot: Option<usize>,
}

/// What a fetch is for.
pub struct FetchAbout {
    uri: String,
    slot: Option<usize>,
    id: FetchId,
    /// The rules of the location that started the fetch, for what a failure leaves in force.
    policy: RemotePolicy,
}

impl FetchAbout {
    fn name(&self) -> KeySetName<'_> {
        KeySetName { uri: Cow::Borrowed(&self.uri), slot: self.slot }
    }
}

type KeyFlight = Flight<FetchAbout>;

#[derive(Default)]
struct Entry {
    set: RemoteKeySet,
    flight: Option<Rc<KeyFlight>>,
}

impl Entry {
    fn running(&self) -> Option<&Rc<KeyFlight>> {
        self.flight.as_ref().filter(|flight| flight.is_running())
    }
}

/// The key sets of this worker's key requests: those of URIs without variables in a slot
/// each, fixed when the worker starts (no hashing, no allocation per request); those of URIs
/// with variables by the URI they evaluated to, bounded.
#[derive(Default)]
pub struct RemoteKeySets {
    fixed: Vec<Entry>,
    /// The slot of each URI without variables, for a URI with variables that evaluates to one:
    /// it then shares that key set (and its fetches).
    fixed_by_uri: HashMap<String, usize>,
    resolved: HashMap<String, Entry>,
    /// `resolved`'s URIs, oldest first.
    order: VecDeque<String>,
}

impl RemoteKeySets {
    /// One slot for each URI of `fixed` (`MainConf::fixed_key_requests`, in slot order).
    pub fn new(fixed: &[String]) -> RemoteKeySets {
        RemoteKeySets {
            fixed: fixed.iter().map(|_| Entry::default()).collect(),
            fixed_by_uri: fixed.iter().cloned().zip(0..).collect(),
            ..RemoteKeySets::default()
        }
    }

    /// The entry of `name`: its slot, or for a URI with variables the entry of that URI, made
    /// on first use (one hash lookup when it exists).
    fn entry(&mut self, name: &KeySetName<'_>) -> &mut Entry {
        let slot = name.slot.or_else(|| self.fixed_by_uri.get(&*name.uri).copied());
        match slot {
            // Slots exist from the worker's start; an index beyond them (never) falls back to
            // the map.
            Some(slot) if slot < self.fixed.len() => &mut self.fixed[slot],
            _ => self.resolved_entry(&name.uri),
        }
    }

    fn resolved_entry(&mut self, uri: &str) -> &mut Entry {
        if self.resolved.len() >= MAX_REMOTE_KEY_SETS && !self.resolved.contains_key(uri) {
            // The oldest URI without a fetch under way (its waiters need the entry).
            let entries = &self.resolved;
            let idle = self
                .order
                .iter()
                .position(|old| entries.get(old).is_none_or(|entry| entry.running().is_none()));
            if let Some(old) = idle.and_then(|at| self.order.remove(at)) {
                self.resolved.remove(&old);
            }
        }
        match self.resolved.entry_ref(uri) {
            EntryRef::Occupied(entry) => entry.into_mut(),
            EntryRef::Vacant(entry) => {
                self.order.push_back(uri.to_owned());
                entry.insert(Entry::default())
            }
        }
    }
}

/// What one request found for one of its key requests.
pub struct RemoteUse {
    pub uri: String,
    pub slot: Option<usize>,
    pub lookup: Lookup,
}

impl RemoteUse {
    fn name(&self) -> KeySetName<'_> {
        KeySetName { uri: Cow::Borrowed(&self.uri), slot: self.slot }
    }
}

/// The keys of the key request `name` for a request of the location `conf`.
pub fn lookup(request: &Request, conf: &LocConf, name: &KeySetName<'_>) -> (SourceKeys, Lookup) {
    let waited = RequestState::find(request).and_then(|state| state.waited_for(&name.uri));
    let now = ngx_time();
    let policy = conf.remote_policy();
    let lookup = worker::with(|worker| {
        let entry = worker.remote.entry(name);
        let running = entry.running().map(|flight| flight.about.id);
        entry.set.lookup(now, &policy, running, waited)
    })
    .unwrap_or(Lookup::Fetch);
    let keys = match &lookup {
        Lookup::Use { keys, .. } => SourceKeys::Ready(Arc::clone(keys)),
        Lookup::Join(_) | Lookup::Fetch => SourceKeys::Pending,
        Lookup::Unusable(reason) => SourceKeys::Unusable(KeySourceError {
            origin: KeySource::Request(name.uri.clone().into_owned()),
            reason: reason.clone(),
        }),
    };
    (keys, lookup)
}

/// The generation of the keys of the key request without variables `fixed` when a request of
/// the location `conf` would use them now with nothing else to do (see
/// `RemoteKeySet::settled_generation`): all the cache-only verdict needs. `None` otherwise,
/// and for a request that waited for a fetch (the full path sees that it never waits twice).
pub fn settled_generation(
    request: &Request,
    conf: &LocConf,
    fixed: &FixedKeyRequest,
) -> Option<u64> {
    if RequestState::find(request).is_some_and(RequestState::has_waited) {
        return None;
    }
    let now = ngx_time();
    let policy = conf.remote_policy();
    let name = KeySetName { uri: Cow::Borrowed(&fixed.uri), slot: Some(fixed.slot) };
    worker::with(|worker| {
        let entry = worker.remote.entry(&name);
        let running = entry.running().map(|flight| flight.about.id);
        entry.set.settled_generation(now, &policy, running)
    })?
}

/// The request needs keys that are not in hand: it starts or joins the fetch of each such key
/// request and waits (`NGX_AGAIN`; nginx runs the access phase again once woken).
pub fn wait_for_keys(request: &mut Request, conf: &LocConf, remote: &[RemoteUse]) -> Status {
    for needed in remote.iter().filter(|r| matches!(r.lookup, Lookup::Fetch | Lookup::Join(_))) {
        if join_or_start(request, conf, &needed.name()).is_err() {
            return HTTPStatus::INTERNAL_SERVER_ERROR.into();
        }
    }
    Status::NGX_AGAIN
}

/// A token named a `kid` that the fetched keys lack: where the location allows it and the
/// request has not waited for a fetch yet, fetch once more and wait (`true`).
pub fn refetch_for_unknown_kid(request: &mut Request, conf: &LocConf) -> bool {
    let Some(sources) = conf.keys.as_deref() else { return false };
    if sources.requests.is_empty() {
        return false;
    }
    let policy = conf.remote_policy();
    let now = ngx_time();
    // The URIs again, owned, as starting a fetch needs the request mutably (this path is
    // rare: a token whose kid no key has).
    let names: Vec<(String, Option<usize>)> = sources
        .requests
        .iter()
        .filter_map(|key_request| key_sources::key_set_name(request, key_request))
        .map(|name| (name.uri.into_owned(), name.slot))
        .collect();
    let mut waiting = false;
    for (uri, slot) in &names {
        let name = KeySetName { uri: Cow::Borrowed(uri), slot: *slot };
        let waited = RequestState::find(request).and_then(|state| state.waited_for(uri));
        if waited.is_some() {
            continue;
        }
        let allowed =
            worker::with(|worker| worker.remote.entry(&name).set.allow_kid_refetch(now, &policy));
        if allowed == Some(true) && join_or_start(request, conf, &name).is_ok() {
            waiting = true;
        }
    }
    waiting
}

/// Starts a background refresh of each key set that asked for one; the request itself goes on
/// with the keys in hand.
pub fn refresh_ahead(request: &mut Request, conf: &LocConf, remote: &[RemoteUse]) {
    for used in remote.iter().filter(|r| matches!(r.lookup, Lookup::Use { refresh: true, .. })) {
        let busy = worker::with(|w| w.remote.entry(&used.name()).running().is_some());
        if busy == Some(false) {
            // A failure to start is reported by `start`; the keys in hand stay in force.
            let _ = start(request, conf, &used.name(), true);
        }
    }
}

/// Joins the fetch of `name` under way, or starts one; either way the request waits for it.
fn join_or_start(request: &mut Request, conf: &LocConf, name: &KeySetName<'_>) -> Result<(), ()> {
    let Some(state) = RequestState::get_or_create(request) else { return Err(()) };
    let running = worker::with(|w| w.remote.entry(name).running().cloned()).flatten();
    if let Some(flight) = running {
        let listening = Rc::new(Cell::new(true));
        flight.add_waiter(request, Rc::clone(&listening));
        state.add_wait(&name.uri, flight.about.id, listening);
        return Ok(());
    }
    // The request that starts a fetch is the subrequest's parent: nginx resumes it itself.
    let id = start(request, conf, name, false)?;
    if let Some(state) = RequestState::find(request) {
        state.add_wait(&name.uri, id, Rc::new(Cell::new(false)));
    }
    Ok(())
}

/// Starts a fetch of `name` as a subrequest of `request`.
fn start(
    request: &mut Request,
    conf: &LocConf,
    name: &KeySetName<'_>,
    background: bool,
) -> Result<FetchId, ()> {
    let policy = conf.remote_policy();
    let Some(id) = worker::with(|w| w.remote.entry(name).set.start()) else { return Err(()) };
    let about = FetchAbout { uri: name.uri.clone().into_owned(), slot: name.slot, id, policy };
    let flight = Flight::new(about);
    if subrequest::start(request, name.uri.as_bytes(), Rc::clone(&flight), background, fetched)
        .is_err()
    {
        let reason = "the subrequest could not be started".to_owned();
        if let Some(log) = Log::of_request(request) {
            finish(log, &flight.about, Err(reason));
        }
        return Err(());
    }
    worker::with(|w| w.remote.entry(name).flight = Some(flight));
    Ok(id)
}

/// The fetch's subrequest finished.
fn fetched(log: Log, flight: &KeyFlight, response: &Response) {
    finish(log, &flight.about, key_set(response));
}

/// The key set a response carries, or why it carries none (one line, for the log). The rules
/// are the core's, which the `auth-jwt` tool applies to `--jwks-url` too.
fn key_set(response: &Response) -> Result<KeySet, String> {
    if response.failed {
        return Err("the subrequest failed".into());
    }
    key_set_of_response(response.status, response.content_encoding, response.body)
}

/// Records the result of a fetch and logs it, once.
fn finish(log: Log, about: &FetchAbout, result: Result<KeySet, String>) {
    let notes: Vec<String> = match &result {
        Ok(keys) => keys.warnings().iter().chain(keys.skipped()).cloned().collect(),
        Err(_) => Vec::new(),
    };
    let now = ngx_time();
    crate::metrics::observe::fetch_finished(&about.uri, about.policy.cache_secs, now, &result);
    let report = worker::with(|w| {
        w.remote.entry(&about.name()).set.finish(about.id, now, &about.policy, result)
    });
    let source = KeySource::Request(about.uri.clone());
    match report {
        Some(FetchReport::Loaded { keys }) => {
            log.write(NGX_LOG_INFO, format_args!("{source}: {keys} keys loaded"));
            for note in notes {
                log.write(NGX_LOG_INFO, format_args!("{source}: ignored {note}"));
            }
        }
        Some(FetchReport::FailedStale { reason, age_secs, left_secs }) => log.write(
            NGX_LOG_WARN,
            format_args!(
                "{source} failed: {reason}; the keys fetched {age_secs} s ago stay in force for \
                 up to {left_secs} s more"
            ),
        ),
        Some(FetchReport::Failed { reason }) => log.write(
            NGX_LOG_ERR,
            format_args!("{source} failed: {reason}; requests that need its keys get 500"),
        ),
        None => {}
    }
}

/// Logs a request refused because a key request has no keys: at `info`, as the fetch that
/// failed has logged why, once.
pub fn log_unavailable(request: &Request, error: &KeySourceError) {
    request_log!(NGX_LOG_INFO, request, "{}", error);
}
