//! The key set status of one worker, as the JSON document it publishes into its zone slot,
//! and the page that shows every worker's document.

use serde_json::{json, Value};

use super::zone::{Published, Zone};
use super::KeyInfo;
use crate::KeySet;

/// What one key source holds in one worker.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceStatus {
    /// `file` or `request`.
    pub kind: &'static str,
    /// The file path or the URI.
    pub source: String,
    pub keys: Vec<KeyInfo>,
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
    /// Fills `keys` and `generation` from the set in force.
    pub fn set_keys(&mut self, keys: &KeySet) {
        self.keys = keys.describe();
        self.generation = keys.generation();
    }

    fn to_json(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|key| json!({ "kid": key.kid, "kty": key.kty, "alg": key.alg }))
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

/// One worker's document.
#[must_use]
pub fn worker_document(worker: usize, now: i64, sources: &[SourceStatus]) -> Vec<u8> {
    let sources: Vec<Value> = sources.iter().map(SourceStatus::to_json).collect();
    let document = json!({ "worker": worker, "published_at": now, "sources": sources });
    serde_json::to_vec(&document).unwrap_or_default()
}

/// A document that does not fit in a slot: says so instead of being cut into invalid JSON.
#[must_use]
pub fn too_large(worker: usize, now: i64, bytes: usize) -> Vec<u8> {
    let document = json!({
        "worker": worker,
        "published_at": now,
        "error": format!("the status of this worker is {bytes} bytes, more than a zone slot holds"),
    });
    serde_json::to_vec(&document).unwrap_or_default()
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
        let document = worker_document(0, 10, &[source]);
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
            json!({"kid": "k1", "kty": "oct", "alg": "HS256"})
        );
        assert_eq!(worker["sources"][0]["error"], "bad JSON");
        assert_eq!(worker["sources"][0]["error_at"], 9);
        assert_eq!(live_workers(&zone), vec![0]);
    }
}
