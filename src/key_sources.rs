//! What a location's key sources hold for one request: the level's fixed key files (one key
//! ring), and key files named with variables, each name loaded once per worker, on first use,
//! then kept in a bounded cache and watched like fixed key files. Keys are never parsed per
//! request.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use auth_jwt_core::keystore::{KeyFile, KeyRing, KeyState};
use auth_jwt_core::remote::Lookup;
use auth_jwt_core::watch::Watcher;
use auth_jwt_core::{check_key_file_name, KeyNameError, KeySource, KeySourceError, SourceKeys};
use ngx::http::Request;

use crate::conf::{KeyFileTemplate, KeyRequest, KeySources, LocConf};
use crate::remote_keys::{self, KeySetName, RemoteUse};
use crate::worker;

/// Most key files named with variables kept per worker; the oldest is dropped beyond this, so
/// names built from request data cannot grow memory without bound.
pub const MAX_CACHED_KEY_FILES: usize = 256;

/// The key sources of a location as the validator sees them, in directive order: the fixed
/// files' ring first, then each file named with variables. Most locations have one source,
/// which needs no allocation.
pub enum ResolvedSources {
    One([SourceKeys; 1]),
    Many(Vec<SourceKeys>),
}

impl std::ops::Deref for ResolvedSources {
    type Target = [SourceKeys];

    fn deref(&self) -> &[SourceKeys] {
        match self {
            ResolvedSources::One(one) => one,
            ResolvedSources::Many(many) => many,
        }
    }
}

/// Resolves the location's key sources for `request`: evaluates the file names and URIs built
/// from variables (nginx calls, made before any worker state is borrowed) and reads what each
/// source holds now; for key requests, also what the request may do about them.
pub fn resolve(
    request: &Request,
    conf: &LocConf,
    sources: &KeySources,
) -> (ResolvedSources, Vec<RemoteUse>) {
    let mut remote = Vec::new();
    let resolved = match (&sources.ring, sources.templates.as_slice(), sources.requests.as_slice())
    {
        (Some(ring), [], []) => ResolvedSources::One([ring_keys(ring)]),
        (None, [template], []) => ResolvedSources::One([template_keys(request, template)]),
        (None, [], [key_request]) => {
            ResolvedSources::One([request_keys(request, conf, key_request, &mut remote)])
        }
        (ring, templates, requests) => {
            let mut all = Vec::with_capacity(1 + templates.len() + requests.len());
            all.extend(ring.iter().map(|ring| ring_keys(ring)));
            all.extend(templates.iter().map(|template| template_keys(request, template)));
            for key_request in requests {
                all.push(request_keys(request, conf, key_request, &mut remote));
            }
            ResolvedSources::Many(all)
        }
    };
    (resolved, remote)
}

fn request_keys(
    request: &Request,
    conf: &LocConf,
    key_request: &KeyRequest,
    remote: &mut Vec<RemoteUse>,
) -> SourceKeys {
    let Some(name) = key_set_name(request, key_request) else {
        let uri = key_request.uri.evaluate(request).unwrap_or_default();
        return SourceKeys::Unusable(KeySourceError {
            origin: KeySource::Request(String::from_utf8_lossy(uri).into_owned()),
            reason: "the key request URI is empty or not a path".into(),
        });
    };
    let (keys, lookup) = remote_keys::lookup(request, conf, &name);
    // Keys in hand with nothing to do, the common case, are not recorded: nothing to
    // allocate per request.
    if !matches!(lookup, Lookup::Use { refresh: false, .. }) {
        remote.push(RemoteUse { uri: name.uri.into_owned(), slot: name.slot, lookup });
    }
    keys
}

/// Which key set a key request names for `request`: a URI without variables as parsed (no
/// evaluation), otherwise the path it evaluates to (borrowed when it is valid UTF-8, as it is
/// in practice); `None` when that is empty or not a path.
pub fn key_set_name<'r>(
    request: &'r Request,
    key_request: &'r KeyRequest,
) -> Option<KeySetName<'r>> {
    if let Some(fixed) = &key_request.fixed {
        return Some(KeySetName { uri: Cow::Borrowed(&fixed.uri), slot: Some(fixed.slot) });
    }
    let uri = key_request.uri.evaluate(request)?;
    if uri.first() != Some(&b'/') {
        return None;
    }
    // `from_utf8` first: `from_utf8_lossy` costs more even when it has nothing to replace.
    let uri = match std::str::from_utf8(uri) {
        Ok(uri) => Cow::Borrowed(uri),
        Err(_) => String::from_utf8_lossy(uri),
    };
    Some(KeySetName { uri, slot: None })
}

fn ring_keys(ring: &KeyRing) -> SourceKeys {
    match &**ring.state() {
        KeyState::Ready(keys) => SourceKeys::Ready(Arc::clone(keys)),
        KeyState::Broken { file, reason } => SourceKeys::Unusable(KeySourceError {
            origin: KeySource::File(PathBuf::from(file)),
            reason: reason.clone(),
        }),
    }
}

fn template_keys(request: &Request, template: &KeyFileTemplate) -> SourceKeys {
    let name = template.name.evaluate(request).unwrap_or_default();
    match check_key_file_name(template.name.source(), name) {
        Ok(()) => {}
        Err(KeyNameError::Empty) => return SourceKeys::Unusable(KeySourceError::empty_file_name()),
        Err(refused) => {
            return SourceKeys::Unusable(KeySourceError {
                origin: KeySource::File(PathBuf::from(OsStr::from_bytes(name))),
                reason: refused.to_string(),
            })
        }
    }
    let path = resolve_name(name, &template.conf_prefix);
    let file = worker::with(|worker| worker.variable_key_file(&path))
        .unwrap_or_else(|| Arc::new(KeyFile::load(path)));
    let loaded = file.loaded();
    match &loaded.keys {
        Ok(keys) => SourceKeys::Ready(Arc::clone(keys)),
        Err(reason) => SourceKeys::Unusable(KeySourceError {
            origin: KeySource::File(file.path().to_path_buf()),
            reason: reason.clone(),
        }),
    }
}

/// The path a variable key file name stands for: relative names resolve against nginx's
/// configuration prefix, as fixed names do.
fn resolve_name(name: &[u8], conf_prefix: &Path) -> PathBuf {
    conf_prefix.join(OsStr::from_bytes(name))
}

/// The key files named with variables that this worker has used, oldest first.
#[derive(Default)]
pub struct VariableKeyFiles {
    files: HashMap<PathBuf, Arc<KeyFile>>,
    order: VecDeque<PathBuf>,
}

impl VariableKeyFiles {
    /// The key file at `path`, loading it (and having `watcher` watch it) on first use.
    pub fn get_or_load(&mut self, path: &Path, watcher: Option<&Watcher>) -> Arc<KeyFile> {
        if let Some(file) = self.files.get(path) {
            return Arc::clone(file);
        }
        if self.order.len() >= MAX_CACHED_KEY_FILES {
            if let Some(oldest) = self.order.pop_front() {
                if let (Some(file), Some(watcher)) = (self.files.remove(&oldest), watcher) {
                    watcher.forget(file);
                }
            }
        }
        let file = Arc::new(KeyFile::load(path.to_path_buf()));
        self.order.push_back(path.to_path_buf());
        self.files.insert(path.to_path_buf(), Arc::clone(&file));
        if let Some(watcher) = watcher {
            watcher.watch(Arc::clone(&file));
        }
        file
    }
}
