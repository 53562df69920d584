//! The key set of one `auth_jwt_key_request` URI in one worker, over time: when the keys in
//! hand may be used, when they must be fetched again, and what a failed fetch leaves in force.
//!
//! The nginx module does the fetching (a subrequest to the user's own location, which does the
//! HTTP with everything nginx offers: `proxy_cache`, TLS, `resolver`, timeouts); this is only
//! the bookkeeping, kept free of nginx so that every rule has a unit test:
//! - **Cache.** Keys are used for [`RemotePolicy::cache_secs`] after they were fetched (NGINX
//!   Plus `auth_jwt_key_cache`; `0`, the default, fetches for every request that needs them).
//! - **Single flight.** The caller runs at most one fetch per URI at a time and tells
//!   [`RemoteKeySet::lookup`] about it; every request that needs keys meanwhile waits for that
//!   fetch ([`Lookup::Join`]).
//! - **Never twice.** A request that waited for fetch `n` takes whatever fetch `n` (or a later
//!   one) left: the keys, or the failure. It never waits again for the same URI.
//! - **Refresh ahead.** In the last quarter of the cache time, the next request that uses the
//!   keys asks for a background refresh and is answered with the keys in hand.
//! - **Stale if error.** When a fetch fails, the last good keys stay in force for
//!   [`RemotePolicy::stale_secs`] after they were fetched; fetches are retried with a backoff
//!   that doubles up to [`MAX_BACKOFF_SECS`]. Only without good keys is the failure the answer.
//! - **Unknown `kid`.** A token naming a `kid` the keys lack may make the caller fetch again, at
//!   most once per [`RemotePolicy::refetch_secs`] per URI.
//!
//! Times are whole unix seconds (nginx's cached clock).

use std::sync::Arc;

use crate::jwk::KeySet;

/// Longest wait between two fetches after failures.
pub const MAX_BACKOFF_SECS: i64 = 60;

/// The location's rules for remote keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemotePolicy {
    /// How long fetched keys are used (`auth_jwt_key_cache`); `0`: fetch for every request.
    pub cache_secs: u64,
    /// How long the last good keys stay in force while fetches fail; `0`: not at all.
    pub stale_secs: u64,
    /// Least time between two fetches caused by an unknown `kid`; `None`: never refetch for it.
    pub refetch_secs: Option<u64>,
}

/// Which fetch of a URI: counts from 1 in each worker.
pub type FetchId = u64;

/// What a request may do with a URI's keys now.
#[derive(Clone, Debug)]
pub enum Lookup {
    /// Use these keys; `refresh`: start a background fetch too.
    Use { keys: Arc<KeySet>, refresh: bool },
    /// Wait for the fetch under way.
    Join(FetchId),
    /// No keys may be used: start a fetch and wait for it.
    Fetch,
    /// No keys, and no fetch may be tried now: the last failure is the answer.
    Unusable(String),
}

/// What a finished fetch means for the log: one line per fetch, whatever number of requests
/// waited for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchReport {
    /// New keys are in force.
    Loaded { keys: usize },
    /// The fetch failed; keys fetched `age_secs` ago stay in force, for `left_secs` more at most.
    FailedStale { reason: String, age_secs: u64, left_secs: u64 },
    /// The fetch failed and there are no keys to fall back on: requests get 500.
    Failed { reason: String },
}

struct Good {
    keys: Arc<KeySet>,
    fetched_at: i64,
    by: FetchId,
}

struct Failure {
    reason: String,
    by: FetchId,
    /// No fetch is started before this time (unless a request is owed one, see `lookup`).
    retry_at: i64,
}

/// One URI's keys in one worker; see the module documentation.
#[derive(Default)]
pub struct RemoteKeySet {
    good: Option<Good>,
    failure: Option<Failure>,
    /// Fetches that failed in a row, for the backoff.
    failures_in_row: u32,
    last_fetch: FetchId,
    last_kid_refetch: Option<i64>,
}

impl RemoteKeySet {
    /// What a request may do now. `running`: the fetch under way, if any. `waited`: the fetch
    /// this request already waited for, if any (it then never waits again).
    #[must_use]
    pub fn lookup(
        &self,
        now: i64,
        policy: &RemotePolicy,
        running: Option<FetchId>,
        waited: Option<FetchId>,
    ) -> Lookup {
        if let Some(waited) = waited {
            if let Some(good) = self.good.as_ref().filter(|good| good.by >= waited) {
                return Lookup::Use { keys: Arc::clone(&good.keys), refresh: false };
            }
            if let Some(failure) = self.failure.as_ref().filter(|failure| failure.by >= waited) {
                return match self.stale_keys(now, policy) {
                    Some(keys) => Lookup::Use { keys, refresh: false },
                    None => Lookup::Unusable(failure.reason.clone()),
                };
            }
            // The fetch it waited for ended without a result (the request that ran it went
            // away): it takes part in the next one.
        }
        if let Some(good) = &self.good {
            let age = now.saturating_sub(good.fetched_at);
            if age < secs(policy.cache_secs) {
                return Lookup::Use {
                    keys: Arc::clone(&good.keys),
                    refresh: running.is_none()
                        && !self.backing_off(now)
                        && in_refresh_window(age, policy.cache_secs),
                };
            }
        }
        if let Some(running) = running {
            return Lookup::Join(running);
        }
        if let Some(failure) = self.failure.as_ref().filter(|_| self.backing_off(now)) {
            return match self.stale_keys(now, policy) {
                Some(keys) => Lookup::Use { keys, refresh: false },
                None => Lookup::Unusable(failure.reason.clone()),
            };
        }
        Lookup::Fetch
    }

    /// The generation of the keys a request that has not waited for a fetch uses now with
    /// nothing else to do (no fetch to start or join, no refresh ahead): what
    /// [`RemoteKeySet::lookup`] answers `Use { refresh: false }` with. `None` otherwise, when
    /// `lookup` must decide. All a cache lookup needs of the keys.
    #[must_use]
    pub fn settled_generation(
        &self,
        now: i64,
        policy: &RemotePolicy,
        running: Option<FetchId>,
    ) -> Option<u64> {
        match self.lookup(now, policy, running, None) {
            Lookup::Use { keys, refresh: false } => Some(keys.generation()),
            _ => None,
        }
    }

    /// Numbers a new fetch; the caller runs it and reports with [`RemoteKeySet::finish`].
    pub fn start(&mut self) -> FetchId {
        self.last_fetch += 1;
        self.last_fetch
    }

    /// Records the result of fetch `id` (the response body already parsed, or why not).
    pub fn finish(
        &mut self,
        id: FetchId,
        now: i64,
        policy: &RemotePolicy,
        result: Result<KeySet, String>,
    ) -> FetchReport {
        match result {
            Ok(keys) => {
                let count = keys.usable_keys();
                self.good = Some(Good { keys: Arc::new(keys), fetched_at: now, by: id });
                self.failure = None;
                self.failures_in_row = 0;
                FetchReport::Loaded { keys: count }
            }
            Err(reason) => {
                self.failures_in_row = self.failures_in_row.saturating_add(1);
                let backoff = 1i64 << self.failures_in_row.saturating_sub(1).min(6);
                let retry_at = now.saturating_add(backoff.min(MAX_BACKOFF_SECS));
                self.failure = Some(Failure { reason: reason.clone(), by: id, retry_at });
                match (&self.good, self.stale_keys(now, policy)) {
                    (Some(good), Some(_)) => {
                        let age_secs = u64::try_from(now - good.fetched_at).unwrap_or(0);
                        let left_secs = policy.stale_secs.saturating_sub(age_secs);
                        FetchReport::FailedStale { reason, age_secs, left_secs }
                    }
                    _ => FetchReport::Failed { reason },
                }
            }
        }
    }

    /// Whether a token whose `kid` the keys lack may make the caller fetch again now; if so,
    /// the time is recorded, so that a flood of unknown kids causes one fetch per interval.
    pub fn allow_kid_refetch(&mut self, now: i64, policy: &RemotePolicy) -> bool {
        let Some(interval) = policy.refetch_secs else { return false };
        let due =
            self.last_kid_refetch.is_none_or(|last| now.saturating_sub(last) >= secs(interval));
        if due {
            self.last_kid_refetch = Some(now);
        }
        due
    }

    /// The keys in hand, if any (for the status of the key set).
    #[must_use]
    pub fn keys(&self) -> Option<&Arc<KeySet>> {
        self.good.as_ref().map(|good| &good.keys)
    }

    fn backing_off(&self, now: i64) -> bool {
        self.failure.as_ref().is_some_and(|failure| now < failure.retry_at)
    }

    /// The last good keys, while they are within the stale limit.
    fn stale_keys(&self, now: i64, policy: &RemotePolicy) -> Option<Arc<KeySet>> {
        let good = self.good.as_ref()?;
        let age = now.saturating_sub(good.fetched_at);
        (age < secs(policy.cache_secs).saturating_add(secs(policy.stale_secs))
            && policy.stale_secs > 0)
            .then(|| Arc::clone(&good.keys))
    }
}

fn secs(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The last quarter of the cache time; caches shorter than 4 s are not refreshed ahead (the
/// window would be under a second of nginx's clock).
fn in_refresh_window(age: i64, cache_secs: u64) -> bool {
    cache_secs >= 4 && age >= secs(cache_secs - cache_secs / 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RemotePolicy =
        RemotePolicy { cache_secs: 100, stale_secs: 1000, refetch_secs: Some(30) };

    fn keys() -> KeySet {
        KeySet::from_json(br#"{"keys":[{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I","kid":"a"}]}"#)
            .expect("test key set")
    }

    fn fetched(set: &mut RemoteKeySet, now: i64) -> FetchId {
        let id = set.start();
        assert_eq!(set.finish(id, now, &POLICY, Ok(keys())), FetchReport::Loaded { keys: 1 });
        id
    }

    #[test]
    fn a_cold_set_is_fetched_once_and_joined_meanwhile() {
        let set = RemoteKeySet::default();
        assert!(matches!(set.lookup(0, &POLICY, None, None), Lookup::Fetch));
        assert!(matches!(set.lookup(0, &POLICY, Some(7), None), Lookup::Join(7)));
    }

    #[test]
    fn keys_are_used_for_the_cache_time_then_fetched_again() {
        let mut set = RemoteKeySet::default();
        fetched(&mut set, 1000);
        assert!(matches!(
            set.lookup(1050, &POLICY, None, None),
            Lookup::Use { refresh: false, .. }
        ));
        assert!(matches!(set.lookup(1100, &POLICY, None, None), Lookup::Fetch));
    }

    #[test]
    fn the_last_quarter_asks_for_one_background_refresh() {
        let mut set = RemoteKeySet::default();
        fetched(&mut set, 1000);
        assert!(matches!(
            set.lookup(1074, &POLICY, None, None),
            Lookup::Use { refresh: false, .. }
        ));
        assert!(matches!(set.lookup(1075, &POLICY, None, None), Lookup::Use { refresh: true, .. }));
        // One under way: no second.
        assert!(matches!(
            set.lookup(1080, &POLICY, Some(2), None),
            Lookup::Use { refresh: false, .. }
        ));
        let short = RemotePolicy { cache_secs: 3, ..POLICY };
        assert!(matches!(set.lookup(1002, &short, None, None), Lookup::Use { refresh: false, .. }));
    }

    #[test]
    fn keys_are_settled_while_there_is_nothing_to_do() {
        let mut set = RemoteKeySet::default();
        assert_eq!(set.settled_generation(1000, &POLICY, None), None, "nothing fetched");
        fetched(&mut set, 1000);
        let Lookup::Use { keys, .. } = set.lookup(1000, &POLICY, None, None) else {
            panic!("fetched keys are used")
        };
        let generation = Some(keys.generation());
        assert_eq!(set.settled_generation(1074, &POLICY, None), generation);
        assert_eq!(set.settled_generation(1075, &POLICY, None), None, "a refresh is due");
        assert_eq!(set.settled_generation(1075, &POLICY, Some(2)), generation, "one under way");
        assert_eq!(set.settled_generation(1100, &POLICY, None), None, "expired");
        // Stale keys while fetches fail and back off are used with nothing to do, too.
        let id = set.start();
        set.finish(id, 1200, &POLICY, Err("timeout".into()));
        assert_eq!(set.settled_generation(1200, &POLICY, None), generation);
        assert_eq!(set.settled_generation(1201, &POLICY, None), None, "a fetch is due");
    }

    #[test]
    fn without_a_cache_every_request_fetches_but_never_twice() {
        let policy = RemotePolicy { cache_secs: 0, ..POLICY };
        let mut set = RemoteKeySet::default();
        let id = set.start();
        assert!(matches!(set.lookup(5, &policy, Some(id), Some(id)), Lookup::Join(_)));
        set.finish(id, 9, &policy, Ok(keys()));
        // The request that waited takes the result even though nothing is cached...
        assert!(matches!(set.lookup(20, &policy, None, Some(id)), Lookup::Use { .. }));
        // ...a new request fetches again.
        assert!(matches!(set.lookup(20, &policy, None, None), Lookup::Fetch));
    }

    #[test]
    fn a_failure_is_the_answer_for_its_waiters_and_backs_off() {
        let mut set = RemoteKeySet::default();
        let id = set.start();
        let report = set.finish(id, 100, &POLICY, Err("status 500".into()));
        assert_eq!(report, FetchReport::Failed { reason: "status 500".into() });
        assert!(
            matches!(set.lookup(100, &POLICY, None, Some(id)), Lookup::Unusable(r) if r == "status 500")
        );
        // Within the backoff new requests get the failure too, without a fetch.
        assert!(matches!(set.lookup(100, &POLICY, None, None), Lookup::Unusable(_)));
        assert!(matches!(set.lookup(101, &POLICY, None, None), Lookup::Fetch));
        // The backoff doubles with each failure in a row, up to the limit.
        let mut retry_after = Vec::new();
        for _ in 0..8 {
            let id = set.start();
            set.finish(id, 1000, &POLICY, Err("down".into()));
            let wait = (1000..1100)
                .find(|&t| matches!(set.lookup(t, &POLICY, None, None), Lookup::Fetch))
                .unwrap();
            retry_after.push(wait - 1000);
        }
        assert_eq!(retry_after, [2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn stale_keys_stay_in_force_while_fetches_fail_then_expire() {
        let mut set = RemoteKeySet::default();
        fetched(&mut set, 1000);
        let id = set.start();
        let report = set.finish(id, 1200, &POLICY, Err("timeout".into()));
        assert_eq!(
            report,
            FetchReport::FailedStale { reason: "timeout".into(), age_secs: 200, left_secs: 800 }
        );
        assert!(matches!(set.lookup(1200, &POLICY, None, Some(id)), Lookup::Use { .. }));
        assert!(matches!(
            set.lookup(1200, &POLICY, None, None),
            Lookup::Use { refresh: false, .. }
        ));
        // After the backoff a fetch is tried again (the stale keys would still do meanwhile).
        assert!(matches!(set.lookup(1201, &POLICY, None, None), Lookup::Fetch));
        // Past cache + stale time, a failure is the answer.
        let id = set.start();
        set.finish(id, 2100, &POLICY, Err("timeout".into()));
        assert!(matches!(set.lookup(2100, &POLICY, None, Some(id)), Lookup::Unusable(_)));
        let no_stale = RemotePolicy { stale_secs: 0, ..POLICY };
        let mut set = RemoteKeySet::default();
        fetched(&mut set, 0);
        let id = set.start();
        set.finish(id, 150, &no_stale, Err("x".into()));
        assert!(matches!(set.lookup(150, &no_stale, None, Some(id)), Lookup::Unusable(_)));
    }

    #[test]
    fn a_good_fetch_ends_the_failures() {
        let mut set = RemoteKeySet::default();
        let id = set.start();
        set.finish(id, 0, &POLICY, Err("x".into()));
        let id = fetched(&mut set, 5);
        assert!(matches!(set.lookup(6, &POLICY, None, Some(id)), Lookup::Use { .. }));
        assert!(matches!(set.lookup(6, &POLICY, None, None), Lookup::Use { .. }));
    }

    #[test]
    fn an_abandoned_fetch_leaves_its_waiters_to_the_next() {
        let mut set = RemoteKeySet::default();
        let abandoned = set.start();
        assert!(matches!(set.lookup(0, &POLICY, None, Some(abandoned)), Lookup::Fetch));
        assert!(matches!(set.lookup(0, &POLICY, Some(9), Some(abandoned)), Lookup::Join(9)));
    }

    #[test]
    fn unknown_kids_refetch_at_most_once_per_interval() {
        let mut set = RemoteKeySet::default();
        let allowed: Vec<i64> = (0..100).filter(|&t| set.allow_kid_refetch(t, &POLICY)).collect();
        assert_eq!(allowed, [0, 30, 60, 90]);
        let never = RemotePolicy { refetch_secs: None, ..POLICY };
        assert!(!RemoteKeySet::default().allow_kid_refetch(0, &never));
    }
}
