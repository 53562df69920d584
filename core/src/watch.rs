//! The key file watcher: one background thread per nginx worker that notices changes to key
//! files and publishes new keys, without an nginx reload.
//!
//! Rules it follows (they come from how nginx workers work):
//! - it touches only Rust-owned data ([`KeyFile`], [`KeyRing`]); it never calls nginx and never
//!   logs: it queues [`WatchEvent`]s that the worker logs from its own thread;
//! - it watches the *directories* holding the files (inotify on a file misses renames and the
//!   Kubernetes `..data` symlink swap) and re-examines every file on any event, comparing
//!   [`FileStamp`]s taken through symlinks;
//! - it also re-examines every file every [`POLL_INTERVAL`], which covers directories that do
//!   not exist yet and machines where no watch can be set up (inotify limits);
//! - a change is read only once the file has stayed the same for [`SETTLE_TIME`], and is read
//!   again if it changed while being read, so a partial write is not taken for a broken file;
//!   a file that still fails to parse after [`RETRY_TIME`] more is reported, and its previous
//!   keys stay in force. A missing file has no keys (requests get 500, as in NGINX Plus).

use std::collections::{HashMap, HashSet, VecDeque};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::dir_watch::DirWatches;
use crate::error::escape_name;
use crate::keystore::{read_key_file, FileStamp, KeyFile, KeyRing, Loaded};

/// How often every file is examined even without an event.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// How long a changed file must stay unchanged before it is read.
pub const SETTLE_TIME: Duration = Duration::from_millis(100);
/// How long a file that does not parse gets to become valid before the failure is reported.
pub const RETRY_TIME: Duration = Duration::from_millis(300);
/// How long [`Watcher::stop`] waits for the thread. The thread only blocks in filesystem calls,
/// and one on a hung network mount may never return: the worker must still exit (`nginx -s
/// quit`), so after this it stops waiting and leaves the thread to end with the process.
pub const STOP_WAIT: Duration = Duration::from_secs(1);
/// Most directories watched for files named with variables; their other files are still
/// examined every [`POLL_INTERVAL`]. The directories of configured files are always watched.
pub const MAX_DYNAMIC_DIRS: usize = 32;
/// Events kept for the worker to log; older ones are dropped (and counted) beyond this.
const MAX_QUEUED_EVENTS: usize = 64;

/// Severity of a [`WatchEvent`], mapped to an nginx log level by the worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Notice,
    Warn,
    Error,
}

/// Something the worker should log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchEvent {
    pub severity: Severity,
    pub message: String,
    /// Every worker of the same configuration sees this event too: it is about a key file
    /// named in the configuration (each worker watches those), or about the watcher itself.
    /// One worker's line says it all; N workers repeating it would not say more.
    pub every_worker: bool,
    /// Set when the event is the outcome of reading a key file again (for the counters of
    /// `auth_jwt_zone`): which file, and why it was not reloaded, if it was not.
    pub reload: Option<KeyFileReload>,
}

/// A key file the watcher read again (or found removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFileReload {
    pub path: PathBuf,
    /// `None`: new keys are in force; otherwise why the file was not reloaded.
    pub error: Option<String>,
}

#[derive(Default)]
struct EventQueue {
    events: VecDeque<WatchEvent>,
    dropped: usize,
}

enum Message {
    Changed,
    /// Start watching one more file (a key file path built from variables, first used).
    Watch(Arc<KeyFile>),
    /// Stop watching a file (evicted from the worker's cache of such files).
    Forget(Arc<KeyFile>),
    Stop,
}

/// A running watcher thread. Dropping it without [`Watcher::stop`] also stops the thread.
pub struct Watcher {
    sender: Sender<Message>,
    thread: Option<JoinHandle<()>>,
    /// Disconnected when the thread ends (its sender is dropped then, also by a panic). In a
    /// Mutex only to keep the watcher `Sync`.
    finished: Mutex<mpsc::Receiver<()>>,
    events: Arc<Mutex<EventQueue>>,
}

impl Watcher {
    /// Starts watching `files`; after each change the rings that use the file are refreshed.
    pub fn start(files: Vec<Arc<KeyFile>>, rings: Vec<Arc<KeyRing>>) -> std::io::Result<Watcher> {
        let (sender, receiver) = mpsc::channel();
        let events = Arc::new(Mutex::new(EventQueue::default()));
        let state = WatchState::new(files, rings, Arc::clone(&events));
        let wake_sender = sender.clone();
        let (finishing, finished) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new().name("auth_jwt keys".into()).spawn(move || {
            let _finishing = finishing;
            state.run(receiver, wake_sender);
        })?;
        Ok(Watcher { sender, thread: Some(thread), events, finished: Mutex::new(finished) })
    }

    /// Adds `file` to the watched files (it must already hold its first load result).
    pub fn watch(&self, file: Arc<KeyFile>) {
        let _ = self.sender.send(Message::Watch(file));
    }

    /// Removes `file` from the watched files.
    pub fn forget(&self, file: Arc<KeyFile>) {
        let _ = self.sender.send(Message::Forget(file));
    }

    /// Takes the events queued since the last call.
    pub fn take_events(&self) -> Vec<WatchEvent> {
        let Ok(mut queue) = self.events.lock() else { return Vec::new() };
        let mut events: Vec<WatchEvent> = queue.events.drain(..).collect();
        if queue.dropped > 0 {
            events.push(WatchEvent {
                severity: Severity::Warn,
                message: format!("{} key file events were not logged", queue.dropped),
                every_worker: false,
                reload: None,
            });
            queue.dropped = 0;
        }
        events
    }

    /// Stops the thread and waits for it (it wakes up at once and finishes its current step),
    /// for at most [`STOP_WAIT`]; returns whether it ended in time.
    pub fn stop(mut self) -> bool {
        self.shut_down()
    }

    fn shut_down(&mut self) -> bool {
        let _ = self.sender.send(Message::Stop);
        let Some(thread) = self.thread.take() else { return true };
        let finished = match self.finished.get_mut() {
            Ok(finished) => finished.recv_timeout(STOP_WAIT),
            Err(_) => Err(RecvTimeoutError::Timeout),
        };
        match finished {
            // Stuck in a filesystem call: detached; it touches only Rust-owned data, which
            // it keeps alive through its own Arcs, and ends with the process.
            Err(RecvTimeoutError::Timeout) => false,
            _ => {
                let _ = thread.join();
                true
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}

/// A change seen but not yet published.
struct Pending {
    stamp: Option<FileStamp>,
    since: Instant,
    parse_failed: bool,
}

struct WatchState {
    files: Vec<Arc<KeyFile>>,
    /// The files named in the configuration, watched by every worker (the others in `files`
    /// come and go with this worker's requests, see [`Watcher::watch`]).
    configured: Vec<Arc<KeyFile>>,
    rings: Vec<Arc<KeyRing>>,
    events: Arc<Mutex<EventQueue>>,
    /// Changes seen but not yet published, per file (keyed by [`file_key`]), so that files
    /// coming and going never disturb the pending changes of the others.
    pending: HashMap<usize, Pending>,
    watched_dirs: HashSet<PathBuf>,
    /// The set of files changed since the watches were last brought in line with it.
    watches_stale: bool,
}

/// Identity of a watched file: the address of its `KeyFile`, stable while we hold the `Arc`.
fn file_key(file: &Arc<KeyFile>) -> usize {
    Arc::as_ptr(file) as usize
}

impl WatchState {
    fn new(
        files: Vec<Arc<KeyFile>>,
        rings: Vec<Arc<KeyRing>>,
        events: Arc<Mutex<EventQueue>>,
    ) -> Self {
        WatchState {
            configured: files.clone(),
            files,
            rings,
            events,
            pending: HashMap::new(),
            watched_dirs: HashSet::new(),
            watches_stale: true,
        }
    }

    fn run(mut self, receiver: mpsc::Receiver<Message>, sender: Sender<Message>) {
        let mut watcher = match DirWatches::start(move || sender.send(Message::Changed).is_ok()) {
            Ok(watcher) => Some(watcher),
            Err(err) => {
                self.report(
                    Severity::Warn,
                    true,
                    format!("cannot watch key files ({err}); checking them every {POLL_INTERVAL:?} instead"),
                );
                None
            }
        };
        loop {
            if let Some(watcher) = watcher.as_mut() {
                if self.watches_stale {
                    self.sync_watches(watcher);
                }
            }
            self.examine_files();
            let wait = if self.pending.is_empty() { POLL_INTERVAL } else { SETTLE_TIME };
            let first = match receiver.recv_timeout(wait) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => {
                    // Directories may have appeared or gone since: check on every quiet pass.
                    self.watches_stale = true;
                    Message::Changed
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            // Handle a burst of messages in one pass.
            for message in std::iter::once(first).chain(receiver.try_iter()) {
                match message {
                    Message::Stop => return,
                    Message::Changed => {}
                    Message::Watch(file) => {
                        self.files.push(file);
                        self.watches_stale = true;
                    }
                    Message::Forget(file) => self.forget(&file),
                }
            }
        }
    }

    /// Watches the directory of each file and of its symlink target, as far as they exist, and
    /// stops watching directories no file needs any more. Configured files come first and are
    /// always watched; files named with variables share at most [`MAX_DYNAMIC_DIRS`]
    /// directories (the others are polled). Directories that appear later are picked up on a
    /// later pass.
    fn sync_watches(&mut self, watcher: &mut DirWatches) {
        self.watches_stale = false;
        let mut wanted: Vec<PathBuf> = Vec::new();
        let mut dynamic_dirs = 0;
        for file in &self.files {
            let configured = self.configured.iter().any(|own| Arc::ptr_eq(own, file));
            let mut dirs: Vec<PathBuf> =
                file.path().parent().map(Path::to_path_buf).into_iter().collect();
            if let Ok(target) = std::fs::canonicalize(file.path()) {
                dirs.extend(target.parent().map(Path::to_path_buf));
            }
            for dir in dirs {
                if wanted.contains(&dir) {
                    continue;
                }
                if !configured {
                    if dynamic_dirs >= MAX_DYNAMIC_DIRS {
                        continue;
                    }
                    dynamic_dirs += 1;
                }
                wanted.push(dir);
            }
        }
        // A watched directory that was removed loses its watch; forget it so that it is
        // watched again once it is back. One no file needs any more is unwatched.
        let watched: Vec<PathBuf> = self.watched_dirs.iter().cloned().collect();
        for dir in watched {
            if !dir.is_dir() {
                self.watched_dirs.remove(&dir);
            } else if !wanted.contains(&dir) {
                watcher.unwatch(&dir);
                self.watched_dirs.remove(&dir);
            }
        }
        for dir in wanted {
            if !self.watched_dirs.contains(&dir) && watcher.watch(&dir).is_ok() {
                self.watched_dirs.insert(dir);
            }
        }
    }

    /// Drops `file` and its pending change only.
    fn forget(&mut self, file: &Arc<KeyFile>) {
        self.files.retain(|own| !Arc::ptr_eq(own, file));
        self.pending.remove(&file_key(file));
        self.watches_stale = true;
    }

    /// How many directories are watched now (for tests).
    #[cfg(test)]
    fn watched_dir_count(&self) -> usize {
        self.watched_dirs.len()
    }

    fn examine_files(&mut self) {
        let now = Instant::now();
        for index in 0..self.files.len() {
            let file = Arc::clone(&self.files[index]);
            let key = file_key(&file);
            let stamp = FileStamp::of(file.path());
            if stamp == file.loaded().stamp {
                self.pending.remove(&key);
                continue;
            }
            let pending = self.pending.entry(key).or_insert(Pending {
                stamp,
                since: now,
                parse_failed: false,
            });
            if pending.stamp != stamp {
                *pending = Pending { stamp, since: now, parse_failed: false };
                continue;
            }
            let wait = if pending.parse_failed { RETRY_TIME } else { SETTLE_TIME };
            if now.duration_since(pending.since) >= wait {
                self.settle(key, &file, stamp, now);
            }
        }
    }

    /// The file has been stable long enough: read it and publish the outcome.
    fn settle(&mut self, key: usize, file: &Arc<KeyFile>, stamp: Option<FileStamp>, now: Instant) {
        // Names built from variables come from requests: escaped, so they cannot forge lines.
        let path = escape_name(file.path().as_os_str().as_bytes());
        let every_worker = self.configured.iter().any(|own| Arc::ptr_eq(own, file));
        if stamp.is_none() {
            self.pending.remove(&key);
            file.publish(Loaded { keys: Err("no such file or directory".into()), stamp: None });
            self.report_reload(
                Severity::Error,
                every_worker,
                format!(
                    "key file {path} was removed; requests that need it get 500 until it is back"
                ),
                reload_of(file, Some("no such file or directory".into())),
            );
            self.refresh_rings(file);
            return;
        }
        let read = read_key_file(file.path());
        if FileStamp::of(file.path()) != stamp {
            // Changed while we read it: start over from the new version.
            self.pending.remove(&key);
            return;
        }
        match read {
            Ok(keys) => {
                self.pending.remove(&key);
                let count = keys.usable_keys();
                // The same notes as at start-up: weak keys, and keys skipped on purpose.
                for weak in keys.warnings() {
                    self.report(Severity::Warn, every_worker, format!("key file {path}: {weak}"));
                }
                for note in keys.skipped() {
                    self.report(
                        Severity::Warn,
                        every_worker,
                        format!("key file {path}: ignored {note}"),
                    );
                }
                file.publish(Loaded { keys: Ok(Arc::new(keys)), stamp });
                self.report_reload(
                    Severity::Notice,
                    every_worker,
                    format!("key file {path} reloaded: {count} keys"),
                    reload_of(file, None),
                );
                self.refresh_rings(file);
            }
            Err(reason) => {
                let Some(pending) = self.pending.get_mut(&key) else { return };
                if !pending.parse_failed {
                    // Maybe a writer is not done yet: give it a little longer.
                    pending.parse_failed = true;
                    pending.since = now;
                    return;
                }
                self.pending.remove(&key);
                let previous = file.loaded();
                let kept = match &previous.keys {
                    Ok(keys) => {
                        file.publish(Loaded { keys: Ok(Arc::clone(keys)), stamp });
                        "the previous keys stay in force"
                    }
                    Err(_) => {
                        file.publish(Loaded { keys: Err(reason.clone()), stamp });
                        self.refresh_rings(file);
                        "requests that need it get 500"
                    }
                };
                self.report_reload(
                    Severity::Error,
                    every_worker,
                    format!("key file {path} not reloaded: {reason}; {kept}"),
                    reload_of(file, Some(reason.clone())),
                );
            }
        }
    }

    fn refresh_rings(&self, file: &KeyFile) {
        for ring in self.rings.iter().filter(|ring| ring.uses(file)) {
            ring.refresh();
        }
    }

    fn report(&self, severity: Severity, every_worker: bool, message: String) {
        self.report_reload(severity, every_worker, message, None);
    }

    fn report_reload(
        &self,
        severity: Severity,
        every_worker: bool,
        message: String,
        reload: Option<KeyFileReload>,
    ) {
        let Ok(mut queue) = self.events.lock() else { return };
        if queue.events.len() >= MAX_QUEUED_EVENTS {
            queue.events.pop_front();
            queue.dropped += 1;
        }
        queue.events.push_back(WatchEvent { severity, message, every_worker, reload });
    }
}

fn reload_of(file: &KeyFile, error: Option<String>) -> Option<KeyFileReload> {
    Some(KeyFileReload { path: file.path().to_path_buf(), error })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A thread stuck in a filesystem call (a hung network mount) ignores `Stop`: stopping must
    /// still return, after `STOP_WAIT`, so that the nginx worker can exit.
    #[test]
    fn stop_gives_up_on_a_stuck_thread_after_the_bound() {
        let (sender, _receiver) = mpsc::channel();
        let (finishing, finished) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let _finishing = finishing;
            std::thread::sleep(Duration::from_secs(30));
        });
        let watcher = Watcher {
            sender,
            thread: Some(thread),
            events: Arc::new(Mutex::new(EventQueue::default())),
            finished: Mutex::new(finished),
        };
        let start = Instant::now();
        assert!(!watcher.stop());
        let waited = start.elapsed();
        assert!(waited >= STOP_WAIT && waited < STOP_WAIT + Duration::from_secs(1), "{waited:?}");
    }

    #[test]
    fn stop_joins_a_thread_that_ends() {
        let watcher = Watcher::start(Vec::new(), Vec::new()).unwrap();
        let start = Instant::now();
        assert!(watcher.stop());
        assert!(start.elapsed() < STOP_WAIT);
    }

    /// Directories of files named with variables are bounded, and unwatched once no file
    /// needs them; the configured file's directory stays watched.
    #[test]
    fn dynamic_directories_are_bounded_and_unwatched_when_unused() {
        let root = std::env::temp_dir().join(format!("auth-jwt-watch-dirs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("conf")).unwrap();
        let configured = Arc::new(KeyFile::load(root.join("conf/keys.json")));
        let events = Arc::new(Mutex::new(EventQueue::default()));
        let mut state = WatchState::new(vec![Arc::clone(&configured)], Vec::new(), events);
        let mut watcher = DirWatches::start(|| true).unwrap();
        let mut dynamic = Vec::new();
        for i in 0..MAX_DYNAMIC_DIRS + 10 {
            let dir = root.join(format!("tenant{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            let file = Arc::new(KeyFile::load(dir.join("keys.json")));
            state.files.push(Arc::clone(&file));
            dynamic.push(file);
        }
        state.sync_watches(&mut watcher);
        assert_eq!(state.watched_dir_count(), 1 + MAX_DYNAMIC_DIRS);
        for file in &dynamic {
            state.forget(file);
        }
        state.sync_watches(&mut watcher);
        assert_eq!(state.watched_dir_count(), 1);
        assert!(state.watched_dirs.contains(&root.join("conf")));
        let _ = std::fs::remove_dir_all(&root);
    }
}
