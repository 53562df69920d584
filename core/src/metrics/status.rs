//! The key set status of one worker, as the JSON document it publishes into its zone slot,
//! and the page that shows every worker's document.

use serde_json::{json, Value};

use super::zone::{Published, Zone, STATUS_BYTES};
use super::KeyInfo;
use crate::KeySet;

/// What one key source holds in one worker.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceStatus {
    /// `file` or `request`.
    pub kind: &'static str,
    /// The file path or the URI.
    pub source: String,
    /// One entry per use of each key: a key that verifies and decrypts is listed twice.
    pub keys: Vec<KeyInfo>,
    /// Keys that verify, decrypt or both ([`KeySet::usable_keys`]): the gauge.
    pub usable_keys: usize,
    /// The key set generation; 0 when no keys are in force.
    pub generation: u64,
    /// Unix time the keys in force were loaded or fetched.
    pub loaded_at: Option<i64>,
    /// Unix time fetched keys stop being used without a new fetch (key requests).
    pub expires_at: Option<i64>,
    /// The last error and its unix time; cleared by the next success.
    pub error: Option<(String, i64)>,
}

impl SourceStatus {
    /// Fills `keys`, `usable_keys` and `generation` from the set in force.
    pub fn set_keys(&mut self, keys: &KeySet) {
        self.keys = keys.describe();
        self.usable_keys = keys.usable_keys();
        self.generation = keys.generation();
    }

    fn to_json(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|key| json!({ "kid": key.kid, "kty": key.kty, "alg": key.alg, "use": key.usage }))
            .collect();
        json!({
            "kind": self.kind,
            "source": self.source,
            "keys": keys,
            "generation": self.generation,
            "loaded_at": self.loaded_at,
            "expires_at": self.expires_at,
            "error": self.error.as_ref().map(|(reason, _)| reason),
            "error_at": self.error.as_ref().map(|(_, at)| at),
        })
    }
}

/// One worker's status document, serialized once per change of what it shows: the timer
/// republishes it with a new `published_at` every tick, and rebuilding the JSON of every key of
/// every source each time would cost the worker far more than the copy.
pub struct WorkerDocument {
    worker: usize,
    /// The serialized `sources` array, or `None` when the document would not fit in a slot.
    sources: Option<Vec<u8>>,
    /// Length of the whole document when it does not fit.
    too_large: usize,
}

impl WorkerDocument {
    #[must_use]
    pub fn new(worker: usize, sources: &[SourceStatus]) -> WorkerDocument {
        let sources: Vec<Value> = sources.iter().map(SourceStatus::to_json).collect();
        let sources = serde_json::to_vec(&sources).unwrap_or_else(|_| b"[]".to_vec());
        let mut document = WorkerDocument { worker, sources: Some(sources), too_large: 0 };
        // The widest `published_at` an i64 can print, so that no later tick overflows.
        let longest = document.render(i64::MIN).len();
        if longest > STATUS_BYTES {
            document.sources = None;
            document.too_large = longest;
        }
        document
    }

    /// The document as published at `now`: valid JSON of at most [`STATUS_BYTES`] bytes.
    #[must_use]
    pub fn render(&self, now: i64) -> Vec<u8> {
        let Some(sources) = &self.sources else {
            let document = json!({
                "worker": self.worker,
                "published_at": now,
                "error": format!(
                    "the status of this worker is {} bytes, more than a zone slot holds",
                    self.too_large
                ),
            });
            return serde_json::to_vec(&document).unwrap_or_default();
        };
        let head = format!(r#"{{"worker":{},"published_at":{now},"sources":"#, self.worker);
        let mut document = Vec::with_capacity(head.len() + sources.len() + 1);
        document.extend_from_slice(head.as_bytes());
        document.extend_from_slice(sources);
        document.push(b'}');
        document
    }
}

/// The status page: every worker of the current configuration, with its pid.
#[must_use]
pub fn page(zone: &Zone, now: i64) -> String {
    let cycle = zone.cycle();
    let mut workers = Vec::new();
    for number in 0..zone.status_slots() {
        let Some(Published { pid, cycle: written_for, document }) =
            zone.status_slot(number).and_then(|slot| slot.read())
        else {
            continue;
        };
        if written_for != cycle {
            continue;
        }
        let mut value: Value = serde_json::from_slice(&document).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.insert("pid".into(), json!(pid));
        }
        workers.push(value);
    }
    let page = json!({ "now": now, "workers": workers });
    let mut text = serde_json::to_string_pretty(&page).unwrap_or_default();
    text.push('\n');
    text
}

/// Worker numbers whose slot holds a document of the current configuration.
#[must_use]
pub fn live_workers(zone: &Zone) -> Vec<usize> {
    let cycle = zone.cycle();
    (0..zone.status_slots())
        .filter(|&n| zone.status_slot(n).and_then(|s| s.read()).is_some_and(|p| p.cycle == cycle))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn the_page_shows_current_workers_only_and_no_key_material() {
        let words: Vec<AtomicU64> = (0..(1 << 17)).map(|_| AtomicU64::new(0)).collect();
        let zone = Zone::format(&words).unwrap();
        let old = zone.begin_cycle();
        let keys = KeySet::from_json(br#"{"keys":[{"kty":"oct","kid":"k1","alg":"HS256","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}"#).unwrap();
        let mut source =
            SourceStatus { kind: "file", source: "/k.json".into(), ..Default::default() };
        source.set_keys(&keys);
        source.error = Some(("bad JSON".into(), 9));
        let document = WorkerDocument::new(0, &[source]).render(10);
        zone.status_slot(0).unwrap().publish(100, old, &document);
        let cycle = zone.begin_cycle();
        zone.status_slot(1).unwrap().publish(200, old, b"{}");
        let page = page(&zone, 11);
        assert!(page.is_empty() || !page.contains("c2VjcmV0"));
        let value: Value = serde_json::from_str(&page).unwrap();
        assert_eq!(value["workers"].as_array().unwrap().len(), 0, "{page}");
        zone.status_slot(0).unwrap().publish(101, cycle, &document);
        let value: Value = serde_json::from_str(&super::page(&zone, 12)).unwrap();
        let worker = &value["workers"][0];
        assert_eq!(worker["pid"], 101);
        assert_eq!(
            worker["sources"][0]["keys"][0],
            json!({"kid": "k1", "kty": "oct", "alg": "HS256", "use": "sig"})
        );
        assert_eq!(worker["sources"][0]["error"], "bad JSON");
        assert_eq!(worker["sources"][0]["error_at"], 9);
        assert_eq!(live_workers(&zone), vec![0]);
    }

    #[test]
    fn a_document_is_valid_json_at_any_time_and_says_when_it_does_not_fit() {
        let source = SourceStatus { kind: "file", source: "/k.json".into(), ..Default::default() };
        let document = WorkerDocument::new(3, &[source]);
        for now in [0, 1_796_158_572, i64::MIN, i64::MAX] {
            let value: Value = serde_json::from_slice(&document.render(now)).unwrap();
            assert_eq!(value["worker"], 3);
            assert_eq!(value["published_at"], now);
            assert_eq!(value["sources"][0]["source"], "/k.json");
        }
        let huge = SourceStatus {
            kind: "request",
            source: "x".repeat(STATUS_BYTES),
            ..Default::default()
        };
        let document = WorkerDocument::new(1, &[huge]);
        let rendered = document.render(5);
        assert!(rendered.len() < STATUS_BYTES);
        let value: Value = serde_json::from_slice(&rendered).unwrap();
        assert!(value["error"].as_str().unwrap().contains("more than a zone slot holds"));
        assert_eq!(value["published_at"], 5);
    }
}
