//! The layout of the `auth_jwt_zone` shared memory: a header, the request counters of each
//! label, the counters of each key source, and one status slot per worker. All of it is
//! `AtomicU64` words; the layout depends only on the number of words, so a zone reused after a
//! reload (same size) is read the same way by old and new workers.
//!
//! Writers never lock: counters are relaxed adds; a label or source slot is claimed by a
//! compare-and-swap of its name hash; a worker's status slot is a seqlock with one writer.

use std::sync::atomic::{fence, AtomicU64, Ordering::*};

use super::alg::ALG_COUNT;
use super::name_hash;
use crate::JwtStatus;

/// Labels the zone can hold, over all configurations it has served (reused across reloads).
pub const MAX_LABELS: usize = 64;
/// Key sources the zone can hold (key files and key request URIs).
pub const MAX_SOURCES: usize = 64;
/// Workers whose status (and key set gauges) the zone can hold.
pub const MAX_WORKERS: usize = 32;
/// Bytes of a source name kept in the zone (longer names are cut).
pub const SOURCE_NAME_BYTES: usize = 512;
/// Bytes of one worker's status document.
pub const STATUS_BYTES: usize = 32 * 1024;

const OUTCOMES: usize = JwtStatus::ALL.len();
const MAGIC: u64 = u64::from_be_bytes(*b"jwtzone1");

const HEADER_WORDS: usize = 8;
const H_MAGIC: usize = 0;
const H_CYCLE: usize = 1;
const H_SLOTS: usize = 2;

// A label: its hash, then requests[outcome][alg], then cache hits and misses.
const LABEL_REQUESTS: usize = 1;
const LABEL_HITS: usize = LABEL_REQUESTS + OUTCOMES * ALG_COUNT;
const LABEL_MISSES: usize = LABEL_HITS + 1;
const LABEL_WORDS: usize = LABEL_MISSES + 1;

// A source: its hash, kind, name length, name, four counters, then per worker
// (generation, keys).
const NAME_WORDS: usize = SOURCE_NAME_BYTES / 8;
const SRC_KIND: usize = 1;
const SRC_NAME_LEN: usize = 2;
const SRC_NAME: usize = 3;
const SRC_COUNTERS: usize = SRC_NAME + NAME_WORDS;
const SRC_GAUGES: usize = SRC_COUNTERS + 4;
const SOURCE_WORDS: usize = SRC_GAUGES + 2 * MAX_WORKERS;

// A status slot: sequence, pid, cycle, length, document.
const SLOT_SEQ: usize = 0;
const SLOT_PID: usize = 1;
const SLOT_CYCLE: usize = 2;
const SLOT_LEN: usize = 3;
const SLOT_DATA: usize = 4;
const SLOT_WORDS: usize = SLOT_DATA + STATUS_BYTES / 8;

const LABELS_AT: usize = HEADER_WORDS;
const SOURCES_AT: usize = LABELS_AT + MAX_LABELS * LABEL_WORDS;
const SLOTS_AT: usize = SOURCES_AT + MAX_SOURCES * SOURCE_WORDS;

/// Smallest zone, in bytes: everything but the status slots, and one slot.
pub const MIN_ZONE_BYTES: usize = (SLOTS_AT + SLOT_WORDS) * 8;

/// What a key source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// `auth_jwt_key_file`: counts reloads.
    File = 1,
    /// `auth_jwt_key_request`: counts fetches.
    Request = 2,
}

/// What happened to a key source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceEvent {
    Reloaded = 0,
    ReloadFailed = 1,
    Fetched = 2,
    FetchFailed = 3,
}

/// Cache lookups of one validation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheUse {
    pub hits: u64,
    pub misses: u64,
}

/// The zone's words.
#[derive(Clone, Copy)]
pub struct Zone<'z> {
    words: &'z [AtomicU64],
}

impl<'z> Zone<'z> {
    /// The zone over `words`, which [`Zone::format`] has prepared (now or before a reload);
    /// `None` if they were not (or are too few).
    #[must_use]
    pub fn open(words: &'z [AtomicU64]) -> Option<Zone<'z>> {
        let zone = Zone { words };
        (words.len() * 8 >= MIN_ZONE_BYTES && zone.word(H_MAGIC).load(Acquire) == MAGIC)
            .then_some(zone)
    }

    /// Prepares fresh memory (all words zero) and opens it; `None` when it is too small.
    #[must_use]
    pub fn format(words: &'z [AtomicU64]) -> Option<Zone<'z>> {
        if words.len() * 8 < MIN_ZONE_BYTES {
            return None;
        }
        let slots = ((words.len() - SLOTS_AT) / SLOT_WORDS).min(MAX_WORKERS);
        words[H_SLOTS].store(slots as u64, Relaxed);
        words[H_MAGIC].store(MAGIC, Release);
        Some(Zone { words })
    }

    fn word(&self, at: usize) -> &'z AtomicU64 {
        // Every index is computed from the layout constants within the checked length.
        &self.words[at]
    }

    /// A new configuration starts using the zone (called once per configuration load, before
    /// its workers start); returns its number, which its workers put into their status.
    pub fn begin_cycle(&self) -> u64 {
        self.word(H_CYCLE).fetch_add(1, AcqRel) + 1
    }

    /// The number of the newest configuration.
    #[must_use]
    pub fn cycle(&self) -> u64 {
        self.word(H_CYCLE).load(Acquire)
    }

    /// The slot of `label`: the one that had it before (a reload keeps counting there), or a
    /// free one; `None` when all are taken.
    #[must_use]
    pub fn label_slot(&self, label: &str) -> Option<usize> {
        claim(self.words, LABELS_AT, LABEL_WORDS, MAX_LABELS, name_hash(label.as_bytes()))
            .map(|(slot, _)| slot)
    }

    /// Counts one decided request.
    pub fn count_request(&self, label: usize, status: JwtStatus, alg: usize, cache: CacheUse) {
        let Some(base) = label_base(label) else { return };
        let outcome = JwtStatus::ALL.iter().position(|&s| s == status).unwrap_or(0);
        let at = base + LABEL_REQUESTS + outcome * ALG_COUNT + alg.min(ALG_COUNT - 1);
        self.word(at).fetch_add(1, Relaxed);
        if cache.hits > 0 {
            self.word(base + LABEL_HITS).fetch_add(cache.hits, Relaxed);
        }
        if cache.misses > 0 {
            self.word(base + LABEL_MISSES).fetch_add(cache.misses, Relaxed);
        }
    }

    /// The requests of `label` with `status` and `alg` (an index into `ALG_NAMES`).
    #[must_use]
    pub fn requests(&self, label: usize, status: JwtStatus, alg: usize) -> u64 {
        let Some(base) = label_base(label) else { return 0 };
        let outcome = JwtStatus::ALL.iter().position(|&s| s == status).unwrap_or(0);
        self.word(base + LABEL_REQUESTS + outcome * ALG_COUNT + alg.min(ALG_COUNT - 1))
            .load(Relaxed)
    }

    /// Verified-signature cache hits and misses of `label`.
    #[must_use]
    pub fn cache(&self, label: usize) -> CacheUse {
        let Some(base) = label_base(label) else { return CacheUse::default() };
        CacheUse {
            hits: self.word(base + LABEL_HITS).load(Relaxed),
            misses: self.word(base + LABEL_MISSES).load(Relaxed),
        }
    }

    /// The slot of the key source `name`, claimed (and named) on first use; `None` when all
    /// are taken.
    #[must_use]
    pub fn source_slot(&self, kind: SourceKind, name: &str) -> Option<usize> {
        let hash = name_hash(name.as_bytes()) ^ ((kind as u64) << 1);
        let (slot, claimed) = claim(self.words, SOURCES_AT, SOURCE_WORDS, MAX_SOURCES, hash)?;
        let base = SOURCES_AT + slot * SOURCE_WORDS;
        if claimed {
            self.word(base + SRC_KIND).store(kind as u64, Relaxed);
            let bytes = &name.as_bytes()[..name.len().min(SOURCE_NAME_BYTES)];
            for (i, chunk) in bytes.chunks(8).enumerate() {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                self.word(base + SRC_NAME + i).store(u64::from_le_bytes(word), Relaxed);
            }
            // Published last: a reader that sees the length sees the name.
            self.word(base + SRC_NAME_LEN).store(bytes.len() as u64, Release);
        }
        Some(slot)
    }

    pub fn count_source(&self, slot: usize, event: SourceEvent) {
        if slot < MAX_SOURCES {
            let at = SOURCES_AT + slot * SOURCE_WORDS + SRC_COUNTERS + event as usize;
            self.word(at).fetch_add(1, Relaxed);
        }
    }

    /// Sets what worker `worker` holds for the source now (generation 0: nothing).
    pub fn set_source_gauges(&self, slot: usize, worker: usize, generation: u64, keys: u64) {
        if slot < MAX_SOURCES && worker < MAX_WORKERS {
            let at = SOURCES_AT + slot * SOURCE_WORDS + SRC_GAUGES + 2 * worker;
            self.word(at).store(generation, Relaxed);
            self.word(at + 1).store(keys, Relaxed);
        }
    }

    /// Every named source: (slot, kind, name).
    #[must_use]
    pub fn sources(&self) -> Vec<(usize, SourceKind, String)> {
        let mut found = Vec::new();
        for slot in 0..MAX_SOURCES {
            let base = SOURCES_AT + slot * SOURCE_WORDS;
            let len = self.word(base + SRC_NAME_LEN).load(Acquire) as usize;
            if len == 0 || len > SOURCE_NAME_BYTES {
                continue;
            }
            let kind = match self.word(base + SRC_KIND).load(Relaxed) {
                1 => SourceKind::File,
                2 => SourceKind::Request,
                _ => continue,
            };
            let mut bytes = Vec::with_capacity(len + 8);
            for i in 0..len.div_ceil(8) {
                bytes
                    .extend_from_slice(&self.word(base + SRC_NAME + i).load(Relaxed).to_le_bytes());
            }
            bytes.truncate(len);
            found.push((slot, kind, String::from_utf8_lossy(&bytes).into_owned()));
        }
        found
    }

    #[must_use]
    pub fn source_count(&self, slot: usize, event: SourceEvent) -> u64 {
        if slot >= MAX_SOURCES {
            return 0;
        }
        self.word(SOURCES_AT + slot * SOURCE_WORDS + SRC_COUNTERS + event as usize).load(Relaxed)
    }

    /// (generation, keys) of `worker` for the source.
    #[must_use]
    pub fn source_gauges(&self, slot: usize, worker: usize) -> (u64, u64) {
        if slot >= MAX_SOURCES || worker >= MAX_WORKERS {
            return (0, 0);
        }
        let at = SOURCES_AT + slot * SOURCE_WORDS + SRC_GAUGES + 2 * worker;
        (self.word(at).load(Relaxed), self.word(at + 1).load(Relaxed))
    }

    /// Number of worker status slots.
    #[must_use]
    pub fn status_slots(&self) -> usize {
        (self.word(H_SLOTS).load(Relaxed) as usize).min(MAX_WORKERS)
    }

    /// The status slot of worker `worker`, if the zone has one.
    #[must_use]
    pub fn status_slot(&self, worker: usize) -> Option<StatusSlot<'z>> {
        (worker < self.status_slots()).then(|| StatusSlot {
            words: &self.words[SLOTS_AT + worker * SLOT_WORDS..][..SLOT_WORDS],
        })
    }
}

fn label_base(label: usize) -> Option<usize> {
    (label < MAX_LABELS).then_some(LABELS_AT + label * LABEL_WORDS)
}

/// Finds the slot whose first word is `hash`, or claims a free one (first word 0) for it.
/// Returns the slot and whether it was claimed now.
fn claim(
    words: &[AtomicU64],
    at: usize,
    size: usize,
    count: usize,
    hash: u64,
) -> Option<(usize, bool)> {
    for slot in 0..count {
        let word = &words[at + slot * size];
        match word.compare_exchange(0, hash, AcqRel, Acquire) {
            Ok(_) => return Some((slot, true)),
            Err(seen) if seen == hash => return Some((slot, false)),
            Err(_) => {}
        }
    }
    None
}

/// One worker's status document, published with a seqlock: the sequence is odd while the
/// worker writes, and a reader retries until it reads the same even sequence before and after.
#[derive(Clone, Copy)]
pub struct StatusSlot<'z> {
    words: &'z [AtomicU64],
}

/// A status document read from a slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub pid: u64,
    /// The configuration number ([`Zone::begin_cycle`]) of the worker that wrote it.
    pub cycle: u64,
    pub document: Vec<u8>,
}

impl StatusSlot<'_> {
    /// Publishes `document` (cut at [`STATUS_BYTES`]). `false` when another writer holds the
    /// slot (a worker of the previous configuration with the same number, during a reload).
    pub fn publish(&self, pid: u64, cycle: u64, document: &[u8]) -> bool {
        let seq = self.words[SLOT_SEQ].load(Relaxed);
        if seq % 2 == 1
            || self.words[SLOT_SEQ].compare_exchange(seq, seq + 1, Acquire, Relaxed).is_err()
        {
            return false;
        }
        fence(Release);
        let document = &document[..document.len().min(STATUS_BYTES)];
        self.words[SLOT_PID].store(pid, Relaxed);
        self.words[SLOT_CYCLE].store(cycle, Relaxed);
        self.words[SLOT_LEN].store(document.len() as u64, Relaxed);
        for (i, chunk) in document.chunks(8).enumerate() {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.words[SLOT_DATA + i].store(u64::from_le_bytes(word), Relaxed);
        }
        self.words[SLOT_SEQ].store(seq + 2, Release);
        true
    }

    /// Releases a slot whose writer died in the middle of a copy (a worker killed and
    /// respawned): the sequence stays odd, and no one could publish into it again. Call it
    /// only after [`StatusSlot::publish`] has found the slot busy for far longer than a copy
    /// takes. `true` if the slot was released.
    pub fn release_abandoned(&self) -> bool {
        let seq = self.words[SLOT_SEQ].load(Relaxed);
        seq % 2 == 1
            && self.words[SLOT_SEQ].compare_exchange(seq, seq + 1, Release, Relaxed).is_ok()
    }

    /// The document last published; `None` if there is none, or it kept changing while read.
    #[must_use]
    pub fn read(&self) -> Option<Published> {
        for _ in 0..100 {
            let before = self.words[SLOT_SEQ].load(Acquire);
            if before == 0 {
                return None;
            }
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let pid = self.words[SLOT_PID].load(Relaxed);
            let cycle = self.words[SLOT_CYCLE].load(Relaxed);
            let len = (self.words[SLOT_LEN].load(Relaxed) as usize).min(STATUS_BYTES);
            let mut document = Vec::with_capacity(len + 8);
            for i in 0..len.div_ceil(8) {
                document.extend_from_slice(&self.words[SLOT_DATA + i].load(Relaxed).to_le_bytes());
            }
            document.truncate(len);
            fence(Acquire);
            if self.words[SLOT_SEQ].load(Relaxed) == before {
                return Some(Published { pid, cycle, document });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(bytes: usize) -> Vec<AtomicU64> {
        (0..bytes / 8).map(|_| AtomicU64::new(0)).collect()
    }

    #[test]
    fn too_small_or_unformatted_memory_is_refused() {
        let words = memory(MIN_ZONE_BYTES - 8);
        assert!(Zone::format(&words).is_none());
        let words = memory(MIN_ZONE_BYTES);
        assert!(Zone::open(&words).is_none());
        assert!(Zone::format(&words).is_some());
        assert_eq!(Zone::open(&words).map(|z| z.status_slots()), Some(1));
    }

    #[test]
    fn counters_keep_their_slot_when_the_zone_is_opened_again() {
        let words = memory(1 << 20);
        let zone = Zone::format(&words).unwrap();
        let api = zone.label_slot("api").unwrap();
        let web = zone.label_slot("web").unwrap();
        assert_ne!(api, web);
        zone.count_request(api, JwtStatus::Expired, 3, CacheUse { hits: 2, misses: 1 });
        zone.count_request(api, JwtStatus::Expired, 3, CacheUse::default());
        // A reload: the same memory, the labels in another order.
        let again = Zone::open(&words).unwrap();
        assert_eq!(again.label_slot("web"), Some(web));
        assert_eq!(again.label_slot("api"), Some(api));
        assert_eq!(again.requests(api, JwtStatus::Expired, 3), 2);
        assert_eq!(again.requests(web, JwtStatus::Expired, 3), 0);
        assert_eq!(again.cache(api), CacheUse { hits: 2, misses: 1 });
        assert_eq!(again.begin_cycle(), 1);
        assert_eq!(again.begin_cycle(), 2);
    }

    #[test]
    fn labels_run_out_without_harm() {
        let words = memory(1 << 20);
        let zone = Zone::format(&words).unwrap();
        for i in 0..MAX_LABELS {
            assert!(zone.label_slot(&format!("l{i}")).is_some());
        }
        assert_eq!(zone.label_slot("one too many"), None);
        zone.count_request(MAX_LABELS, JwtStatus::Ok, 0, CacheUse::default());
    }

    #[test]
    fn sources_are_named_once_and_counted() {
        let words = memory(1 << 20);
        let zone = Zone::format(&words).unwrap();
        let file = zone.source_slot(SourceKind::File, "/etc/keys.json").unwrap();
        let uri = zone.source_slot(SourceKind::Request, "/_jwks").unwrap();
        assert_eq!(zone.source_slot(SourceKind::File, "/etc/keys.json"), Some(file));
        zone.count_source(file, SourceEvent::Reloaded);
        zone.count_source(file, SourceEvent::ReloadFailed);
        zone.count_source(uri, SourceEvent::Fetched);
        zone.set_source_gauges(file, 1, 42, 3);
        assert_eq!(zone.source_count(file, SourceEvent::Reloaded), 1);
        assert_eq!(zone.source_count(uri, SourceEvent::Fetched), 1);
        assert_eq!(zone.source_gauges(file, 1), (42, 3));
        let long = "x".repeat(SOURCE_NAME_BYTES + 10);
        let cut = zone.source_slot(SourceKind::File, &long).unwrap();
        let names = zone.sources();
        assert!(names.contains(&(file, SourceKind::File, "/etc/keys.json".into())));
        assert!(names.contains(&(uri, SourceKind::Request, "/_jwks".into())));
        assert!(names.contains(&(cut, SourceKind::File, "x".repeat(SOURCE_NAME_BYTES))));
    }

    #[test]
    fn status_slots_round_trip_and_refuse_a_second_writer() {
        let words = memory(1 << 20);
        let zone = Zone::format(&words).unwrap();
        let slot = zone.status_slot(0).unwrap();
        assert_eq!(slot.read(), None);
        assert!(slot.publish(7, 1, b"{\"a\":1}"));
        assert_eq!(
            slot.read(),
            Some(Published { pid: 7, cycle: 1, document: b"{\"a\":1}".to_vec() })
        );
        // A writer in the middle of its copy: a second one backs off.
        words[SLOTS_AT].fetch_add(1, Relaxed);
        assert!(!slot.publish(8, 2, b"x"));
        assert_eq!(slot.read(), None);
        words[SLOTS_AT].fetch_add(1, Relaxed);
        assert!(!slot.release_abandoned(), "nothing to release");
        // A writer that died in its copy: the slot is released, and usable again.
        words[SLOTS_AT].fetch_add(1, Relaxed);
        assert!(!slot.publish(8, 2, b"x"));
        assert!(slot.release_abandoned());
        assert!(slot.publish(8, 2, b"x"));
        let big = vec![b'y'; STATUS_BYTES + 100];
        assert!(slot.publish(9, 2, &big));
        assert_eq!(slot.read().unwrap().document.len(), STATUS_BYTES);
        assert!(zone.status_slot(zone.status_slots()).is_none());
    }
}
