//! Directory watches for the key file watcher ([`crate::watch`]): on Linux, inotify with only
//! the events that can change a file, read by a thread of its own that wakes the watcher;
//! elsewhere none (the watcher then examines its files every `POLL_INTERVAL`).
//!
//! Opens and reads are left out of the watch mask on purpose: a key file's directory often
//! holds files nginx opens on every request (a user file of `auth_basic`, a JWKS served as a
//! static file), and an event per open would wake every worker's watcher for nothing.

#[cfg(target_os = "linux")]
pub use linux::DirWatches;

#[cfg(not(target_os = "linux"))]
pub use other::DirWatches;

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::HashMap;
    use std::io;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use inotify::{Inotify, WatchDescriptor, WatchMask, Watches};

    /// Everything that can change what a path in the directory names or holds: new, removed
    /// and renamed entries (the Kubernetes `..data` symlink swap is a rename), a file closed
    /// after writing, data and metadata (permissions) changes, and the directory itself going.
    fn changes() -> WatchMask {
        WatchMask::CREATE
            | WatchMask::DELETE
            | WatchMask::MOVED_FROM
            | WatchMask::MOVED_TO
            | WatchMask::CLOSE_WRITE
            | WatchMask::MODIFY
            | WatchMask::ATTRIB
            | WatchMask::DELETE_SELF
            | WatchMask::MOVE_SELF
    }

    /// The watched directories, and the thread that reads their events.
    pub struct DirWatches {
        watches: Watches,
        by_dir: HashMap<PathBuf, WatchDescriptor>,
        stop: Arc<AtomicBool>,
    }

    impl DirWatches {
        /// Starts the reader thread, which calls `wake` after each batch of events, and ends
        /// when `wake` returns false or soon after the watches are dropped.
        pub fn start(wake: impl Fn() -> bool + Send + 'static) -> io::Result<DirWatches> {
            let inotify = Inotify::init()?;
            let watches = inotify.watches();
            let stop = Arc::new(AtomicBool::new(false));
            let reader_stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("auth_jwt inotify".into())
                .spawn(move || read_events(inotify, &reader_stop, wake))?;
            Ok(DirWatches { watches, by_dir: HashMap::new(), stop })
        }

        /// Watches `dir` (not its subdirectories).
        pub fn watch(&mut self, dir: &Path) -> io::Result<()> {
            let descriptor = self.watches.add(dir, changes())?;
            self.by_dir.insert(dir.to_path_buf(), descriptor);
            Ok(())
        }

        /// Stops watching `dir`; nothing if it was not watched.
        pub fn unwatch(&mut self, dir: &Path) {
            let Some(descriptor) = self.by_dir.remove(dir) else { return };
            // Two names of one directory (a symlink and its target) share a watch.
            if self.by_dir.values().any(|other| *other == descriptor) {
                return;
            }
            // Fails when the directory is gone: the kernel has removed its watch already.
            let _ = self.watches.remove(descriptor);
        }
    }

    impl Drop for DirWatches {
        /// Stops the reader, which is blocked in `read`. Removing a watch queues an event
        /// (`IN_IGNORED`) that wakes it, but the watches of directories that are gone were
        /// removed by the kernel already and queue nothing now: so a watch of `/` is added and
        /// removed for that, whatever was watched. If even that fails the thread stays
        /// blocked, harmless, until the process ends.
        fn drop(&mut self) {
            self.stop.store(true, Ordering::Release);
            for (_, descriptor) in self.by_dir.drain() {
                let _ = self.watches.remove(descriptor);
            }
            if let Ok(descriptor) = self.watches.add("/", WatchMask::DELETE_SELF) {
                let _ = self.watches.remove(descriptor);
            }
        }
    }

    /// The reader thread: blocks until events come, drains what is queued, and wakes the
    /// watcher once per batch.
    fn read_events(mut inotify: Inotify, stop: &AtomicBool, wake: impl Fn() -> bool) {
        let mut buffer = [0u8; 4096];
        loop {
            match inotify.read_events_blocking(&mut buffer) {
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            }
            // What else is queued already belongs to this batch (non-blocking reads).
            loop {
                match inotify.read_events(&mut buffer) {
                    Ok(mut events) => {
                        if events.next().is_none() {
                            break;
                        }
                    }
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            if stop.load(Ordering::Acquire) || !wake() {
                return;
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod other {
    use std::io;
    use std::path::Path;

    /// No directory watches on this system: the watcher polls.
    pub struct DirWatches;

    impl DirWatches {
        pub fn start(_wake: impl Fn() -> bool + Send + 'static) -> io::Result<DirWatches> {
            Err(io::Error::new(io::ErrorKind::Unsupported, "no inotify on this system"))
        }

        pub fn watch(&mut self, _dir: &Path) -> io::Result<()> {
            Err(io::Error::new(io::ErrorKind::Unsupported, "no inotify on this system"))
        }

        pub fn unwatch(&mut self, _dir: &Path) {}
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::DirWatches;

    /// The wake count once the events of the last step have all been read.
    fn settled(wakes: &AtomicUsize) -> usize {
        std::thread::sleep(Duration::from_millis(200));
        wakes.load(Ordering::SeqCst)
    }

    fn wait_for(wakes: &AtomicUsize, at_least: usize) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if wakes.load(Ordering::SeqCst) >= at_least {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// Reading files in a watched directory wakes nobody; writing, creating, renaming and
    /// removing one does. Dropping the watches ends the reader thread.
    #[test]
    fn changes_wake_the_watcher_and_reads_do_not() {
        let dir = std::env::temp_dir().join(format!("auth-jwt-dir-watch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("htpasswd"), "user:{PLAIN}pass\n").unwrap();
        let wakes = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&wakes);
        let mut watches = DirWatches::start(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            true
        })
        .unwrap();
        watches.watch(&dir).unwrap();

        for _ in 0..100 {
            std::fs::read(dir.join("htpasswd")).unwrap();
        }
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(wakes.load(Ordering::SeqCst), 0, "reads woke the watcher");

        std::fs::write(dir.join("keys.json.tmp"), "{}").unwrap();
        assert!(wait_for(&wakes, 1), "a new file did not wake the watcher");
        let seen = settled(&wakes);
        std::fs::rename(dir.join("keys.json.tmp"), dir.join("keys.json")).unwrap();
        assert!(wait_for(&wakes, seen + 1), "a rename did not wake the watcher");
        let seen = settled(&wakes);
        std::fs::remove_file(dir.join("keys.json")).unwrap();
        assert!(wait_for(&wakes, seen + 1), "a removal did not wake the watcher");

        drop(watches);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&wakes) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(Arc::strong_count(&wakes), 1, "the reader thread did not end");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A watched directory that was removed took its watch with it (nothing to remove, so
    /// nothing queued by removing it): dropping still ends the reader.
    #[test]
    fn the_reader_ends_when_dropped_after_its_directory_went() {
        let dir = std::env::temp_dir().join(format!("auth-jwt-dir-gone-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let wakes = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&wakes);
        let mut watches = DirWatches::start(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            true
        })
        .unwrap();
        watches.watch(&dir).unwrap();
        std::fs::remove_dir(&dir).unwrap();
        assert!(wait_for(&wakes, 1), "the removal did not wake the watcher");
        settled(&wakes);
        drop(watches);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&wakes) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(Arc::strong_count(&wakes), 1, "the reader thread did not end");
    }

    /// With no directory watched, dropping still ends the reader (it is woken by a watch
    /// added and removed for that).
    #[test]
    fn an_unused_reader_ends_when_dropped() {
        let alive = Arc::new(());
        let held = Arc::clone(&alive);
        let watches = DirWatches::start(move || {
            let _ = &held;
            true
        })
        .unwrap();
        drop(watches);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&alive) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(Arc::strong_count(&alive), 1, "the reader thread did not end");
    }
}
