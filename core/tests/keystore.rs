//! Key files, key rings and the watcher thread, without nginx.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_jwt_core::keystore::{KeyFile, KeyRing, KeyState};
use auth_jwt_core::watch::{Severity, Watcher};

/// A JWK Set of `count` HMAC keys (32-byte secrets), kids k0, k1, ...
fn jwks(count: usize) -> String {
    let keys: Vec<String> = (0..count)
        .map(|i| format!(r#"{{"kty":"oct","kid":"k{i}","k":"{}"}}"#, "A".repeat(43)))
        .collect();
    format!(r#"{{"keys":[{}]}}"#, keys.join(","))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("auth-jwt-keystore-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn key_count(ring: &KeyRing) -> Result<usize, String> {
    match &**ring.state() {
        KeyState::Ready(keys) => Ok(keys.len()),
        KeyState::Broken { reason, .. } => Err(reason.clone()),
    }
}

/// Waits up to 1 s for `check` to hold.
fn within_a_second(mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1) {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn setup(name: &str, content: &str) -> (PathBuf, Arc<KeyFile>, Arc<KeyRing>, Watcher) {
    let dir = temp_dir(name);
    let path = dir.join("jwks.json");
    std::fs::write(&path, content).unwrap();
    let file = Arc::new(KeyFile::load(path.clone()));
    let ring = Arc::new(KeyRing::new(vec![Arc::clone(&file)]));
    let watcher = Watcher::start(vec![Arc::clone(&file)], vec![Arc::clone(&ring)]).unwrap();
    (path, file, ring, watcher)
}

fn replace(path: &Path, content: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(tmp, path).unwrap();
}

#[test]
fn rings_combine_files_and_name_the_broken_one() {
    let dir = temp_dir("combine");
    std::fs::write(dir.join("a.json"), jwks(1)).unwrap();
    std::fs::write(dir.join("b.json"), jwks(2)).unwrap();
    let a = Arc::new(KeyFile::load(dir.join("a.json")));
    let b = Arc::new(KeyFile::load(dir.join("b.json")));
    let missing = Arc::new(KeyFile::load(dir.join("missing.json")));
    assert_eq!(key_count(&KeyRing::new(vec![Arc::clone(&a), Arc::clone(&b)])), Ok(3));
    let broken = KeyRing::new(vec![a, missing]);
    match &**broken.state() {
        KeyState::Broken { file, reason } => {
            assert!(file.ends_with("missing.json"), "{file}");
            assert_eq!(reason, "no such file or directory");
        }
        KeyState::Ready(_) => panic!("a missing file must break the level"),
    }
}

#[test]
fn a_replaced_file_is_published() {
    let (path, _file, ring, watcher) = setup("replace", &jwks(1));
    replace(&path, &jwks(2));
    assert!(within_a_second(|| key_count(&ring) == Ok(2)));
    std::fs::write(&path, jwks(3)).unwrap(); // in place
    assert!(within_a_second(|| key_count(&ring) == Ok(3)));
    let events = watcher.take_events();
    assert!(events.iter().all(|e| e.severity == Severity::Notice), "{events:?}");
    watcher.stop();
}

#[test]
fn a_broken_file_keeps_the_previous_keys_and_is_reported() {
    let (path, _file, ring, watcher) = setup("broken", &jwks(2));
    replace(&path, r#"{"keys":[{"kty":"oct" "k":"x"}]}"#);
    let mut events = Vec::new();
    assert!(within_a_second(|| {
        events.extend(watcher.take_events());
        events.iter().any(|e| e.severity == Severity::Error)
    }));
    assert!(events[0].message.contains("not reloaded"), "{events:?}");
    assert!(events[0].message.contains("the previous keys stay in force"), "{events:?}");
    assert_eq!(key_count(&ring), Ok(2));
    watcher.stop();
}

#[test]
fn a_deleted_file_has_no_keys_until_it_is_back() {
    let (path, _file, ring, watcher) = setup("delete", &jwks(1));
    std::fs::remove_file(&path).unwrap();
    assert!(within_a_second(|| key_count(&ring).is_err()));
    std::fs::write(&path, jwks(2)).unwrap();
    assert!(within_a_second(|| key_count(&ring) == Ok(2)));
    watcher.stop();
}

/// The generation the cache lookup reads without the state: always that of the state's keys,
/// 0 while the level is broken, a new one with every reload.
fn generation_agrees(ring: &KeyRing) -> bool {
    let state = match &**ring.state() {
        KeyState::Ready(keys) => keys.generation(),
        KeyState::Broken { .. } => 0,
    };
    state == ring.ready_generation()
}

#[test]
fn the_ready_generation_follows_the_keys() {
    let (path, _file, ring, watcher) = setup("generation", &jwks(1));
    let first = ring.ready_generation();
    assert!(first != 0 && generation_agrees(&ring));
    replace(&path, &jwks(2));
    assert!(within_a_second(|| key_count(&ring) == Ok(2)));
    let second = ring.ready_generation();
    assert!(second != first && generation_agrees(&ring), "{first} {second}");
    std::fs::remove_file(&path).unwrap();
    assert!(within_a_second(|| key_count(&ring).is_err()));
    assert_eq!(ring.ready_generation(), 0);
    std::fs::write(&path, jwks(1)).unwrap();
    assert!(within_a_second(|| key_count(&ring) == Ok(1)));
    assert!(![0, first, second].contains(&ring.ready_generation()) && generation_agrees(&ring));
    watcher.stop();
    let broken = KeyRing::new(vec![Arc::new(KeyFile::load(path.with_extension("missing")))]);
    assert_eq!(broken.ready_generation(), 0);
}

#[test]
fn files_added_later_are_watched() {
    let (_path, _file, _ring, watcher) = setup("added", &jwks(1));
    let dir = temp_dir("added-more");
    let later = Arc::new(KeyFile::load(dir.join("later.json")));
    assert!(later.loaded().keys.is_err());
    watcher.watch(Arc::clone(&later));
    std::fs::write(dir.join("later.json"), jwks(1)).unwrap();
    assert!(within_a_second(|| later.loaded().keys.is_ok()));
    watcher.stop();
}

/// Every worker watches the configured files and logs the same change; only the files one
/// worker added for itself are its own news.
#[test]
fn events_say_whether_every_worker_sees_them() {
    let (path, _file, _ring, watcher) = setup("every-worker", &jwks(1));
    let dir = temp_dir("every-worker-own");
    let own = Arc::new(KeyFile::load(dir.join("own.json")));
    watcher.watch(Arc::clone(&own));
    std::fs::write(&path, jwks(2)).unwrap();
    std::fs::write(dir.join("own.json"), jwks(1)).unwrap();
    let mut events = Vec::new();
    assert!(within_a_second(|| {
        events.extend(watcher.take_events());
        events.len() >= 2
    }));
    let configured = events.iter().find(|e| e.message.contains("jwks.json")).expect("configured");
    let added = events.iter().find(|e| e.message.contains("own.json")).expect("added");
    assert!(configured.every_worker, "{events:?}");
    assert!(!added.every_worker, "{events:?}");
    watcher.stop();
}

/// A named pipe opened the ordinary way waits for a writer for ever; a key file must be a
/// regular file, refused at once otherwise.
#[test]
fn key_files_must_be_regular_files_and_never_block() {
    let dir = temp_dir("fifo");
    let fifo = dir.join("pipe.json");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let start = Instant::now();
    let result = auth_jwt_core::keystore::read_key_file(&fifo);
    assert!(start.elapsed() < Duration::from_secs(1), "took {:?}", start.elapsed());
    assert_eq!(result.unwrap_err(), "is a named pipe, not a regular file");
    let file = KeyFile::load(fifo);
    assert_eq!(file.loaded().keys.as_ref().unwrap_err(), "is a named pipe, not a regular file");

    assert_eq!(auth_jwt_core::keystore::read_key_file(&dir).unwrap_err(), "is a directory");
    assert_eq!(
        auth_jwt_core::keystore::read_key_file(Path::new("/dev/null")).unwrap_err(),
        "is a character device, not a regular file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A churn of files named with variables (a new name every 20 ms, each evicting the oldest, as
/// the worker's cache of 256 names does under requests with made-up names) must not hold back
/// the reload of a configured file: a rotation takes effect within its usual time.
#[test]
fn a_rotation_takes_effect_while_variable_names_churn() {
    let (path, _file, ring, watcher) = setup("churn", &jwks(2));
    let churn_dir = temp_dir("churn-names");
    let watcher = Arc::new(watcher);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let (watcher, stop) = (Arc::clone(&watcher), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut kept = std::collections::VecDeque::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let file = Arc::new(KeyFile::load(churn_dir.join(format!("t{n}.json"))));
                n += 1;
                watcher.watch(Arc::clone(&file));
                kept.push_back(file);
                if kept.len() > 4 {
                    if let Some(old) = kept.pop_front() {
                        watcher.forget(old);
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    replace(&path, &jwks(1));
    let rotated = within_a_second(|| key_count(&ring) == Ok(1));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    churn.join().unwrap();
    assert!(rotated, "the rotation did not take effect within 1 s: {:?}", key_count(&ring));
    if let Ok(watcher) = Arc::try_unwrap(watcher) {
        watcher.stop();
    }
}

/// A reloaded file gets the same notes as at start-up: a short HMAC secret is named with its
/// kid and length, a key skipped on purpose with its kid.
#[test]
fn a_reload_reports_weak_and_skipped_keys() {
    let (path, _file, ring, watcher) = setup("reload-notes", &jwks(3));
    replace(
        &path,
        r#"{"keys":[{"kty":"oct","kid":"0001","k":"ZmFudGFzdGljand0"},{"kty":"EC","crv":"secp256k1","alg":"ES256K","kid":"k1","x":"AA","y":"AA"}]}"#,
    );
    assert!(within_a_second(|| key_count(&ring) == Ok(1)));
    let events = watcher.take_events();
    let warnings: Vec<&str> = events
        .iter()
        .filter(|e| e.severity == Severity::Warn)
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(warnings.len(), 2, "{events:?}");
    assert!(warnings[0].contains("key 1 (kid \"0001\"): oct key is 12 bytes"), "{warnings:?}");
    assert!(warnings[1].contains("ignored key 2 (kid \"k1\"): alg \"ES256K\" is not supported"));
    watcher.stop();
}
