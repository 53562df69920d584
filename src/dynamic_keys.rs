//! Key files whose names come from variables (`auth_jwt_key_file $name;`): each name is loaded
//! once in this worker, on first use, then kept in a bounded cache and watched like fixed key
//! files. Keys are never parsed per request.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use auth_jwt_core::keystore::KeyFile;

use crate::worker;

/// Most key files kept per worker; the oldest is dropped beyond this, so names built from
/// request data cannot grow memory without bound.
pub const MAX_CACHED_KEY_FILES: usize = 256;

#[derive(Default)]
struct Cache {
    files: HashMap<PathBuf, Arc<KeyFile>>,
    order: VecDeque<PathBuf>,
}

thread_local! {
    // Only the worker's own (event loop) thread ever uses this.
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

/// The path a variable key file name stands for: relative names resolve against nginx's
/// configuration prefix, as fixed names do.
pub fn resolve(name: &[u8], conf_prefix: &Path) -> PathBuf {
    conf_prefix.join(OsStr::from_bytes(name))
}

/// The key file at `path`, loading and watching it on first use.
pub fn key_file(path: PathBuf) -> Arc<KeyFile> {
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(file) = cache.files.get(&path) {
            return Arc::clone(file);
        }
        if cache.order.len() >= MAX_CACHED_KEY_FILES {
            if let Some(oldest) = cache.order.pop_front() {
                if let Some(file) = cache.files.remove(&oldest) {
                    worker::forget_key_file(file);
                }
            }
        }
        let file = Arc::new(KeyFile::load(path.clone()));
        cache.order.push_back(path.clone());
        cache.files.insert(path, Arc::clone(&file));
        worker::watch_key_file(Arc::clone(&file));
        file
    })
}
