//! Key files and the key sets of configuration levels, as they change over time.
//!
//! A [`KeyFile`] is one `auth_jwt_key_file` path with its latest load result; a [`KeyRing`] is
//! the combined key set of one configuration level (all key files written at that level).
//! Both publish their state through `ArcSwap`: request handlers read it without locks, the
//! watcher thread ([`crate::watch`]) replaces it whole. A failed reload never replaces keys
//! that work.

use std::fmt;
use std::fs::{File, FileType, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::{ArcSwap, Guard};

use crate::{KeySet, MAX_KEY_FILE_BYTES};

/// Identity and version of a file's content as seen through any symlinks: a rewrite in place
/// changes size or times, a rename or a Kubernetes `..data` swap changes the inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileStamp {
    /// The stamp of `path` now; `None` when it does not exist (or cannot be examined).
    pub fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        })
    }
}

/// What a key file holds for the requests: its keys, or why there are none.
#[derive(Clone)]
pub struct Loaded {
    pub keys: Result<Arc<KeySet>, String>,
    /// The file version this state was decided for (`None`: the file was missing), so the
    /// watcher reacts to the next change only.
    pub stamp: Option<FileStamp>,
}

/// One key file and its current keys.
pub struct KeyFile {
    path: PathBuf,
    loaded: ArcSwap<Loaded>,
}

impl KeyFile {
    /// Reads and parses `path` now. A failure is recorded, not returned: as in NGINX Plus the
    /// configuration loads anyway and requests that need the file get 500.
    pub fn load(path: PathBuf) -> KeyFile {
        let stamp = FileStamp::of(&path);
        let keys = read_key_file(&path).map(Arc::new);
        KeyFile { path, loaded: ArcSwap::from_pointee(Loaded { keys, stamp }) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current state.
    pub fn loaded(&self) -> Arc<Loaded> {
        self.loaded.load_full()
    }

    /// Publishes a new state (the watcher thread calls this).
    pub fn publish(&self, loaded: Loaded) {
        self.loaded.store(Arc::new(loaded));
    }
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFile").field("path", &self.path).finish_non_exhaustive()
    }
}

/// Reads and parses one JWK Set (or single JWK) file; the error is one line without the path.
pub fn read_key_file(path: &Path) -> Result<KeySet, String> {
    let file = open_regular_file(path)?;
    // Read one byte past the limit, so an oversized file is detected without trusting the
    // metadata (the file may be growing while we read it).
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| io_reason(&err))?;
    if bytes.len() > MAX_KEY_FILE_BYTES {
        return Err(format!("file is larger than {MAX_KEY_FILE_BYTES} bytes"));
    }
    KeySet::from_json(&bytes).map_err(|err| err.to_string())
}

/// Opens `path` for reading, refusing anything but a regular file.
///
/// A plain `open` of a named pipe waits for a writer, possibly for ever, which would freeze the
/// watcher thread, or the worker's event loop for a name built from variables. With
/// `O_NONBLOCK` the open returns at once; the type is then checked on the opened descriptor
/// (`fstat`), so a swap between a check and the open cannot slip a pipe or device in. On a
/// regular file `O_NONBLOCK` changes nothing. `O_NOCTTY`: a terminal never becomes ours.
pub fn open_regular_file(path: &Path) -> Result<File, String> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|err| io_reason(&err))?;
    let kind = file.metadata().map_err(|err| io_reason(&err))?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    Err(not_regular(kind))
}

fn not_regular(kind: FileType) -> String {
    let what = if kind.is_dir() {
        // The wording of EISDIR, which reading a directory used to give.
        return "is a directory".to_owned();
    } else if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    };
    format!("is {what}, not a regular file")
}

/// `No such file or directory (os error 2)` → `no such file or directory`, nginx-style.
pub(crate) fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    let text = text.find(" (os error").map_or(text.as_str(), |end| &text[..end]);
    let mut reason = text.to_owned();
    if let Some(first) = reason.get_mut(..1) {
        first.make_ascii_lowercase();
    }
    reason
}

/// The keys in force at one configuration level.
pub enum KeyState {
    Ready(Arc<KeySet>),
    /// One of the level's files has no usable keys: NGINX Plus answers 500 then.
    Broken {
        file: String,
        reason: String,
    },
}

/// The key files of one configuration level, combined into one key set.
pub struct KeyRing {
    files: Vec<Arc<KeyFile>>,
    state: ArcSwap<KeyState>,
    /// The [`KeySet::generation`] of `state` when it is ready, 0 when it is broken.
    ready_generation: AtomicU64,
}

impl KeyRing {
    pub fn new(files: Vec<Arc<KeyFile>>) -> KeyRing {
        let state = combine(&files);
        let ready_generation = AtomicU64::new(generation_of(&state));
        KeyRing { files, state: ArcSwap::from_pointee(state), ready_generation }
    }

    /// The state for a request: lock-free, valid for as long as the guard is held.
    pub fn state(&self) -> Guard<Arc<KeyState>> {
        self.state.load()
    }

    /// The generation of the key set in force, 0 while the level is broken: all that a
    /// lookup in the verified-signature cache needs of the keys, read with one atomic load
    /// and no guard. It is published after the state it names, so a reader may for a moment
    /// see the generation of the keys just replaced, as a request that loaded the state a
    /// moment earlier would use those keys.
    pub fn ready_generation(&self) -> u64 {
        self.ready_generation.load(Ordering::Acquire)
    }

    /// Whether `file` is one of this level's files.
    pub fn uses(&self, file: &KeyFile) -> bool {
        self.files.iter().any(|own| std::ptr::eq(Arc::as_ptr(own), file))
    }

    /// Recombines the files' current states (after one of them changed).
    pub fn refresh(&self) {
        let state = combine(&self.files);
        let generation = generation_of(&state);
        self.state.store(Arc::new(state));
        self.ready_generation.store(generation, Ordering::Release);
    }

    pub fn files(&self) -> &[Arc<KeyFile>] {
        &self.files
    }
}

fn generation_of(state: &KeyState) -> u64 {
    match state {
        KeyState::Ready(keys) => keys.generation(),
        KeyState::Broken { .. } => 0,
    }
}

/// One file: its own key set, shared. Several: a union, in directive order. Any broken file
/// breaks the level, naming the first such file.
fn combine(files: &[Arc<KeyFile>]) -> KeyState {
    let mut sets = Vec::with_capacity(files.len());
    for file in files {
        match &file.loaded().keys {
            Ok(keys) => sets.push(Arc::clone(keys)),
            Err(reason) => {
                return KeyState::Broken {
                    file: file.path.display().to_string(),
                    reason: reason.clone(),
                }
            }
        }
    }
    if sets.len() == 1 {
        if let Some(only) = sets.pop() {
            return KeyState::Ready(only);
        }
    }
    let mut union = KeySet::empty();
    for set in sets {
        union.extend((*set).clone());
    }
    KeyState::Ready(Arc::new(union))
}
