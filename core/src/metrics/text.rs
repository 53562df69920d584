//! The metrics page in the Prometheus text exposition format (version 0.0.4): each family
//! once, with its HELP and TYPE lines, label values escaped.

use std::fmt::Write;

use super::alg::{alg_name, ALG_COUNT};
use super::zone::{CacheUse, SourceEvent, SourceKind, Zone};
use crate::JwtStatus;

/// Which count of a label's cache use a family shows.
type CacheCount = fn(CacheUse) -> u64;

/// Every metric family the module exports (documentation and the dashboard test use it).
pub const METRIC_NAMES: [&str; 10] = [
    "auth_jwt_requests_total",
    "auth_jwt_requests_by_alg_total",
    "auth_jwt_verify_cache_hits_total",
    "auth_jwt_verify_cache_misses_total",
    "auth_jwt_key_reloads_total",
    "auth_jwt_key_reload_failures_total",
    "auth_jwt_key_fetches_total",
    "auth_jwt_key_fetch_failures_total",
    "auth_jwt_key_set_keys",
    "auth_jwt_key_set_generation",
];

/// A label of the current configuration and its slot in the zone.
pub struct LabelSlot<'a> {
    pub name: &'a str,
    pub slot: usize,
}

/// Renders the page. `labels`: the configuration's labels (each once); `workers`: the worker
/// numbers whose key set gauges are current (the workers of the current configuration).
#[must_use]
pub fn render(zone: &Zone, labels: &[LabelSlot], workers: &[usize]) -> String {
    let mut out = String::with_capacity(4096);
    family(
        &mut out,
        "auth_jwt_requests_total",
        "counter",
        "Requests decided by auth_jwt, by outcome ($jwt_status).",
    );
    for label in labels {
        for status in JwtStatus::ALL {
            let total: u64 = (0..ALG_COUNT).map(|alg| zone.requests(label.slot, status, alg)).sum();
            let _ = writeln!(
                out,
                "auth_jwt_requests_total{{label=\"{}\",outcome=\"{status}\"}} {total}",
                escape(label.name)
            );
        }
    }
    family(
        &mut out,
        "auth_jwt_requests_by_alg_total",
        "counter",
        "Requests decided by auth_jwt, by outcome and the token's alg (series with a count only).",
    );
    for label in labels {
        for status in JwtStatus::ALL {
            for alg in 0..ALG_COUNT {
                let name = alg_name(alg);
                let count = zone.requests(label.slot, status, alg);
                if count > 0 {
                    let _ = writeln!(
                        out,
                        "auth_jwt_requests_by_alg_total{{label=\"{}\",outcome=\"{status}\",alg=\"{name}\"}} {count}",
                        escape(label.name)
                    );
                }
            }
        }
    }
    let cache_families: [(&str, &str, CacheCount); 2] = [
        (
            "auth_jwt_verify_cache_hits_total",
            "Tokens whose signature was found verified in the worker's cache.",
            |cache| cache.hits,
        ),
        (
            "auth_jwt_verify_cache_misses_total",
            "Tokens looked up in the cache and verified in full.",
            |cache| cache.misses,
        ),
    ];
    for (name, help, count) in cache_families {
        family(&mut out, name, "counter", help);
        for label in labels {
            let _ = writeln!(
                out,
                "{name}{{label=\"{}\"}} {}",
                escape(label.name),
                count(zone.cache(label.slot))
            );
        }
    }
    let sources = zone.sources();
    let per_source = [
        (
            "auth_jwt_key_reloads_total",
            SourceKind::File,
            SourceEvent::Reloaded,
            "Key files reloaded after a change.",
        ),
        (
            "auth_jwt_key_reload_failures_total",
            SourceKind::File,
            SourceEvent::ReloadFailed,
            "Changed key files that could not be reloaded (or were removed).",
        ),
        (
            "auth_jwt_key_fetches_total",
            SourceKind::Request,
            SourceEvent::Fetched,
            "Key sets fetched by auth_jwt_key_request (all workers).",
        ),
        (
            "auth_jwt_key_fetch_failures_total",
            SourceKind::Request,
            SourceEvent::FetchFailed,
            "Key set fetches that failed.",
        ),
    ];
    for (name, kind, event, help) in per_source {
        family(&mut out, name, "counter", help);
        for (slot, _, source) in sources.iter().filter(|(_, k, _)| *k == kind) {
            let _ = writeln!(
                out,
                "{name}{{source=\"{}\"}} {}",
                escape(source),
                zone.source_count(*slot, event)
            );
        }
    }
    for (name, index, help) in [
        ("auth_jwt_key_set_keys", 1, "Usable keys of the source in each worker."),
        ("auth_jwt_key_set_generation", 0, "The key set generation of the source in each worker (changes on every reload or fetch)."),
    ] {
        family(&mut out, name, "gauge", help);
        for (slot, _, source) in &sources {
            for &worker in workers {
                let gauges = zone.source_gauges(*slot, worker);
                if gauges.0 == 0 {
                    continue;
                }
                let value = if index == 0 { gauges.0 } else { gauges.1 };
                let _ = writeln!(out, "{name}{{source=\"{}\",worker=\"{worker}\"}} {value}", escape(source));
            }
        }
    }
    out
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", help.replace('\\', "\\\\"));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value: backslash, double quote and line feed escaped, as the format requires.
#[must_use]
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::zone::CacheUse;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn renders_each_family_once_and_every_outcome() {
        let words: Vec<AtomicU64> = (0..(1 << 17)).map(|_| AtomicU64::new(0)).collect();
        let zone = Zone::format(&words).unwrap();
        let slot = zone.label_slot("a\"b").unwrap();
        zone.count_request(slot, JwtStatus::BadSignature, 3, CacheUse { hits: 0, misses: 1 });
        let file = zone.source_slot(SourceKind::File, "/k.json").unwrap();
        zone.count_source(file, SourceEvent::Reloaded);
        zone.set_source_gauges(file, 0, 5, 2);
        let page = render(&zone, &[LabelSlot { name: "a\"b", slot }], &[0]);
        for name in METRIC_NAMES {
            assert_eq!(page.matches(&format!("# TYPE {name} ")).count(), 1, "{name}");
        }
        assert_eq!(page.matches("auth_jwt_requests_total{").count(), JwtStatus::ALL.len());
        assert!(page
            .contains("auth_jwt_requests_total{label=\"a\\\"b\",outcome=\"bad_signature\"} 1\n"));
        assert!(page.contains("auth_jwt_requests_by_alg_total{label=\"a\\\"b\",outcome=\"bad_signature\",alg=\"RS256\"} 1\n"));
        assert!(page.contains("auth_jwt_verify_cache_misses_total{label=\"a\\\"b\"} 1\n"));
        assert!(page.contains("auth_jwt_key_reloads_total{source=\"/k.json\"} 1\n"));
        assert!(page.contains("auth_jwt_key_set_keys{source=\"/k.json\",worker=\"0\"} 2\n"));
        assert!(page.contains("auth_jwt_key_set_generation{source=\"/k.json\",worker=\"0\"} 5\n"));
        assert_eq!(escape("a\\b\nc"), "a\\\\b\\nc");
    }
}
