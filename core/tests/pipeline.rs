//! The validation pipeline: the order of outcomes, key sources that are broken or not fetched
//! yet, and agreement of the cached and the full path on the fuzz seeds (fuzz/seeds, minted
//! with openssl by fuzz/make-seeds.pl from the t/data fixtures).

#[allow(dead_code)]
#[path = "jwt/common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;

use auth_jwt_core::{
    Clock, JwtStatus, KeySet, KeySource, KeySourceError, Limits, SourceKeys, TokenFields,
    Validator, Verdict, Verified, VerifiedCache,
};

use common::{fixtures, token};

const NOW: i64 = 1_700_000_000;
const CLOCK: Clock = Clock { now: NOW, leeway_secs: 0 };

fn validate(token: &[u8], sources: Option<&[SourceKeys]>) -> Verdict<TokenFields> {
    Validator::new(CLOCK, Limits::default()).validate(token, sources, Verified::into_fields)
}

fn status(verdict: &Verdict<TokenFields>) -> Option<JwtStatus> {
    verdict.status()
}

fn broken(file: &str) -> SourceKeys {
    SourceKeys::Unusable(KeySourceError {
        origin: KeySource::File(PathBuf::from(file)),
        reason: "no such file or directory".into(),
    })
}

fn rsa_set() -> Arc<KeySet> {
    Arc::new(fixtures().rsa.set(json!({"kid": "rsa"})))
}

fn rsa_token(exp: i64) -> Vec<u8> {
    token(&fixtures().rsa, "RS256", json!({"kid": "rsa"}), json!({"sub": "a", "exp": exp}))
        .into_bytes()
}

#[test]
fn malformed_tokens_are_refused_before_keys_are_looked_at() {
    // NGINX Plus order: a malformed token is a 401 even where the key file is broken, and it
    // never makes the caller fetch keys.
    for sources in [vec![broken("/k.json")], vec![SourceKeys::Pending]] {
        let verdict = validate(b"not.a.token", Some(&sources));
        assert_eq!(status(&verdict), Some(JwtStatus::Malformed));
    }
}

#[test]
fn a_well_formed_token_with_broken_keys_is_a_key_error() {
    let verdict = validate(&rsa_token(NOW + 60), Some(&[broken("/k.json")]));
    let Verdict::KeysUnusable(error) = verdict else { panic!("{verdict:?}") };
    assert_eq!(error.to_string(), "key file \"/k.json\" is unusable: no such file or directory");
    let empty = KeySourceError::empty_file_name().to_string();
    assert_eq!(empty, "key file \"\" is unusable: the key file name is empty");
}

#[test]
fn pending_keys_are_asked_for_then_validation_resumes() {
    let t = rsa_token(NOW + 60);
    let mut sources = vec![SourceKeys::Ready(rsa_set()), SourceKeys::Pending];
    let verdict = validate(&t, Some(&sources));
    assert!(matches!(verdict, Verdict::NeedKeys(1)), "{verdict:?}");
    assert_eq!(status(&verdict), None);
    // The caller obtains the keys and asks again: the same token is now decided.
    sources[1] = SourceKeys::Ready(Arc::new(fixtures().p256.set(json!({"kid": "ec"}))));
    assert_eq!(status(&validate(&t, Some(&sources))), Some(JwtStatus::Ok));
    // A source that cannot be had after all is a key error, not a retry.
    sources[1] = broken("/remote.json");
    assert_eq!(status(&validate(&t, Some(&sources))), Some(JwtStatus::KeyError));
}

#[test]
fn the_first_unavailable_source_decides() {
    let t = rsa_token(NOW + 60);
    let verdict = validate(&t, Some(&[broken("/a.json"), SourceKeys::Pending]));
    assert!(matches!(verdict, Verdict::KeysUnusable(_)), "{verdict:?}");
    let verdict = validate(&t, Some(&[SourceKeys::Pending, broken("/a.json")]));
    assert!(matches!(verdict, Verdict::NeedKeys(0)), "{verdict:?}");
}

#[test]
fn times_before_signature_and_no_keys_means_unverified() {
    let f = fixtures();
    // Refused by its time, without a public-key operation.
    let expired_forgery = token(&f.rsa_other, "RS256", json!({"kid": "rsa"}), json!({"exp": 1}));
    let verdict = validate(expired_forgery.as_bytes(), Some(&[SourceKeys::Ready(rsa_set())]));
    assert_eq!(status(&verdict), Some(JwtStatus::Expired));
    let forgery = token(&f.rsa_other, "RS256", json!({"kid": "rsa"}), json!({"exp": NOW + 60}));
    let verdict = validate(forgery.as_bytes(), Some(&[SourceKeys::Ready(rsa_set())]));
    assert_eq!(status(&verdict), Some(JwtStatus::BadSignature));
    // Without any key directive the signature is not checked (NGINX Plus), the times are.
    assert_eq!(status(&validate(expired_forgery.as_bytes(), None)), Some(JwtStatus::Expired));
    let valid_forgery = token(&f.rsa_other, "RS256", json!({}), json!({"exp": NOW + 60}));
    assert_eq!(status(&validate(valid_forgery.as_bytes(), None)), Some(JwtStatus::Ok));
}

#[test]
fn several_sources_form_one_key_set() {
    let f = fixtures();
    let sources = [
        SourceKeys::Ready(Arc::new(f.p256.set(json!({"kid": "ec"})))),
        SourceKeys::Ready(rsa_set()),
    ];
    assert_eq!(status(&validate(&rsa_token(NOW + 60), Some(&sources))), Some(JwtStatus::Ok));
    let unknown = token(&f.rsa, "RS256", json!({"kid": "zzz"}), json!({"exp": NOW + 60}));
    assert_eq!(status(&validate(unknown.as_bytes(), Some(&sources))), Some(JwtStatus::NoKey));
}

#[test]
fn the_cache_is_used_only_for_one_ready_key_set() {
    let t = rsa_token(NOW + 60);
    let mut cache = VerifiedCache::new(16);
    let run = |cache: &mut VerifiedCache<TokenFields>, sources: &[SourceKeys]| {
        let v = Validator::new(CLOCK, Limits::default()).with_cache(cache).validate(
            &t,
            Some(sources),
            Verified::into_fields,
        );
        assert_eq!(status(&v), Some(JwtStatus::Ok));
    };
    let two = [SourceKeys::Ready(rsa_set()), SourceKeys::Ready(rsa_set())];
    run(&mut cache, &two);
    run(&mut cache, &two);
    assert_eq!(cache.stats().misses + cache.stats().hits, 0, "two sets have no one generation");
    let one = [SourceKeys::Ready(rsa_set())];
    run(&mut cache, &one);
    run(&mut cache, &one);
    assert_eq!((cache.stats().misses, cache.stats().hits), (1, 1));
}

fn seed_tokens(dir: &Path) -> Vec<Vec<u8>> {
    let mut tokens = Vec::new();
    for entry in std::fs::read_dir(dir).expect("fuzz seeds exist") {
        let bytes = std::fs::read(entry.expect("readable").path()).expect("readable seed");
        tokens.push(bytes);
    }
    assert!(!tokens.is_empty(), "no seeds in {}", dir.display());
    tokens
}

#[test]
fn cached_and_full_validation_agree_on_the_fuzz_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let data = root.join("t/data/jwks");
    let mut keys = KeySet::empty();
    for file in ["all.json", "nokid.json", "alg.json"] {
        let bytes = std::fs::read(data.join(file)).expect("fixture");
        keys.extend(KeySet::from_json(&bytes).expect("fixture loads"));
    }
    let generation = keys.generation();
    let sources = [SourceKeys::Ready(Arc::new(keys))];
    let mut tokens = seed_tokens(&root.join("fuzz/seeds/token"));
    tokens.extend(seed_tokens(&root.join("fuzz/seeds/cache")));
    // The seeds are valid from 1.6e9 to 4e9: before, during and after.
    let mut cache = VerifiedCache::new(128);
    let (mut accepted, mut hits_only) = (0, 0);
    for now in [1_500_000_000, NOW, 4_100_000_000] {
        let clock = Clock { now, leeway_secs: 0 };
        for token in &tokens {
            let full = Validator::new(clock, Limits::default()).validate(
                token,
                Some(&sources),
                Verified::into_fields,
            );
            for _ in 0..2 {
                let cached = Validator::new(clock, Limits::default())
                    .with_cache(&mut cache)
                    .validate(token, Some(&sources), Verified::into_fields);
                match (&cached, &full) {
                    (Verdict::Valid(a), Verdict::Valid(b)) => assert_eq!(a, b),
                    (Verdict::Rejected(a), Verdict::Rejected(b)) => assert_eq!(a, b),
                    _ => panic!("cached {cached:?} but full {full:?}"),
                }
            }
            // The hit-only lookup: the same verdict whenever it gives one, and one for every
            // token that validated (just cached) or was cached earlier.
            let before = cache.stats();
            let hit = Validator::new(clock, Limits::default())
                .with_cache(&mut cache)
                .cached(token, generation);
            assert_eq!(cache.stats().misses, before.misses, "a hit-only miss is not counted");
            match (&hit, &full) {
                (None, Verdict::Valid(_)) => panic!("a token that validated is not cached"),
                (None, _) => {}
                (Some(Verdict::Valid(a)), Verdict::Valid(b)) => assert_eq!(a, b),
                (Some(Verdict::Rejected(a)), Verdict::Rejected(b)) => assert_eq!(a, b),
                (Some(hit), _) => panic!("hit {hit:?} but full {full:?}"),
            }
            hits_only += usize::from(hit.is_some());
            let other = Validator::new(clock, Limits::default())
                .with_cache(&mut cache)
                .cached(token, generation + 1_000_000);
            assert!(other.is_none(), "another key set's generation found an entry");
            accepted += usize::from(matches!(full, Verdict::Valid(_)));
        }
    }
    assert!(accepted >= 10, "{accepted}: the seeds should include valid tokens");
    // Cached at NOW, the valid seeds are refused (expired) by a hit after their times.
    assert!(hits_only > accepted, "{hits_only} hits for {accepted} valid tokens");
    assert!(cache.stats().hits > 0);
}

#[test]
fn the_hit_only_lookup_needs_a_cache() {
    let t = rsa_token(NOW + 60);
    let set = rsa_set();
    let mut validator: Validator<TokenFields> = Validator::new(CLOCK, Limits::default());
    assert!(validator.cached(&t, set.generation()).is_none());
    let mut cache = VerifiedCache::new(0);
    let sources = [SourceKeys::Ready(Arc::clone(&set))];
    let mut validator = Validator::new(CLOCK, Limits::default()).with_cache(&mut cache);
    assert_eq!(
        status(&validator.validate(&t, Some(&sources), Verified::into_fields)),
        Some(JwtStatus::Ok)
    );
    assert!(validator.cached(&t, set.generation()).is_none(), "a cache of size 0 holds nothing");
}
