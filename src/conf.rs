//! The module's configuration and its inheritance rules.
//!
//! Everything here is built while nginx parses the configuration and is immutable afterwards:
//! request handlers only read it. What changes at run time (key files that are reloaded, the
//! verified-signature caches) is owned elsewhere: key sets by `KeyFile`/`KeyRing` (published
//! through `ArcSwap`), caches by the worker state (`worker.rs`), which a `CacheId` here names.

use std::cell::Cell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use auth_jwt_core::keystore::{KeyFile, KeyRing};
use auth_jwt_core::remote::RemotePolicy;
use auth_jwt_core::TokenType;

use crate::ffi::complex_value::ComplexValue;
use crate::ffi::conf::Conf;
use crate::ffi::NginxFailed;
use crate::policy::PolicyConf;

/// One `auth_jwt "realm" [token=$variable]` directive. Shared with `Rc` by the levels that
/// inherit it: configuration is only ever touched by the nginx thread.
pub struct AuthJwt {
    /// The realm of the challenge; may contain variables. An empty realm still enables checks.
    pub realm: ComplexValue,
    /// Where the token comes from; `None` means `Authorization: Bearer <token>`.
    pub token: Option<ComplexValue>,
    /// `file:line` of the directive, for start-up warnings.
    pub declared_at: String,
    /// Whether the "signatures will not be verified" warning was already logged for this
    /// directive while merging (it is inherited by many locations, one warning is enough).
    pub warned_unverified: Cell<bool>,
}

/// The value of `auth_jwt` at a level.
#[derive(Clone)]
pub enum AuthSetting {
    Off,
    On(Rc<AuthJwt>),
}

/// One `auth_jwt_verify_cache size` directive: the index of its cache among the worker's
/// (see `MainConf::cache_sizes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheId(pub usize);

/// The value of `auth_jwt_verify_cache` at a level. One directive makes one cache, shared by
/// every level that inherits it; levels without any directive use the worker's default cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyCacheSetting {
    Off,
    On(CacheId),
}

#[derive(Default)]
pub struct LocConf {
    /// `auth_jwt` at this level; `None` until set here or inherited by merge.
    pub auth: Option<AuthSetting>,
    /// The files of the `auth_jwt_key_file` directives written at this level, being collected.
    pub own_key_files: Vec<Arc<KeyFile>>,
    /// The `auth_jwt_key_file` directives of this level whose file name has variables.
    pub own_key_templates: Vec<KeyFileTemplate>,
    /// The `auth_jwt_key_request` directives of this level.
    pub own_key_requests: Vec<KeyRequest>,
    /// The key sources in force here after merge: this level's own, or the parent's.
    /// `None` when no key directive applies: signatures are then not verified (NGINX Plus).
    pub keys: Option<Rc<KeySources>>,
    /// `auth_jwt_leeway` in seconds.
    pub leeway: Option<u64>,
    /// `auth_jwt_require` and `auth_jwt_login_url`.
    pub policy: PolicyConf,
    /// `auth_jwt_verify_cache`; `None`: the worker's default cache.
    pub verify_cache: Option<VerifyCacheSetting>,
    /// `auth_jwt_key_cache`, in seconds.
    pub key_cache: Option<u64>,
    /// `auth_jwt_key_stale`, in seconds (`off` is 0).
    pub key_stale: Option<u64>,
    /// `auth_jwt_key_refetch`.
    pub key_refetch: Option<RefetchSetting>,
    /// `auth_jwt_type`; `None`: signed.
    pub token_type: Option<TokenType>,
    /// `auth_jwt_metrics_label`, and the label this level counts under (see `metrics`).
    pub metrics_label_name: Option<crate::metrics::LabelSetting>,
    pub metrics_label: Option<usize>,
}

/// `auth_jwt_key_refetch interval | off;`
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefetchSetting {
    Off,
    Every(u64),
}

/// `auth_jwt_key_stale` when not set: a day, so that an identity provider that is down for a
/// night does not take every protected location with it.
pub const DEFAULT_KEY_STALE_SECS: u64 = 24 * 3600;
/// `auth_jwt_key_refetch` when not set.
pub const DEFAULT_KEY_REFETCH_SECS: u64 = 30;

impl LocConf {
    /// Combines the key files collected from this level's directives into the level's key
    /// ring, registered with `main` for the watcher. Idempotent; called on both sides of a
    /// merge because the outermost (http) level is never itself merged.
    fn freeze_keys(&mut self, main: &mut MainConf) {
        if self.own_key_files.is_empty()
            && self.own_key_templates.is_empty()
            && self.own_key_requests.is_empty()
        {
            return;
        }
        let ring = if self.own_key_files.is_empty() {
            None
        } else {
            let ring = Arc::new(KeyRing::new(std::mem::take(&mut self.own_key_files)));
            main.rings.push(Arc::clone(&ring));
            Some(ring)
        };
        let templates = std::mem::take(&mut self.own_key_templates);
        let requests = std::mem::take(&mut self.own_key_requests);
        self.keys = Some(Rc::new(KeySources { ring, templates, requests }));
    }

    /// Inherits every setting not written at this level. Key files are not merged across
    /// levels: a level with its own key files replaces the parent's, as in NGINX Plus.
    fn inherit(&mut self, parent: &LocConf) {
        if self.auth.is_none() {
            self.auth = parent.auth.clone();
        }
        if self.keys.is_none() {
            self.keys = parent.keys.clone();
        }
        if self.leeway.is_none() {
            self.leeway = parent.leeway;
        }
        if self.verify_cache.is_none() {
            self.verify_cache = parent.verify_cache;
        }
        if self.key_cache.is_none() {
            self.key_cache = parent.key_cache;
        }
        if self.key_stale.is_none() {
            self.key_stale = parent.key_stale;
        }
        if self.key_refetch.is_none() {
            self.key_refetch = parent.key_refetch;
        }
        if self.token_type.is_none() {
            self.token_type = parent.token_type;
        }
        if self.metrics_label_name.is_none() {
            self.metrics_label_name = parent.metrics_label_name.clone();
        }
        self.policy.inherit(&parent.policy);
    }

    /// The `auth_jwt` directive in force, if checking is enabled here.
    pub fn enabled(&self) -> Option<&AuthJwt> {
        match &self.auth {
            Some(AuthSetting::On(auth)) => Some(auth),
            _ => None,
        }
    }

    pub fn leeway_secs(&self) -> u64 {
        self.leeway.unwrap_or(0)
    }

    /// The rules for this location's `auth_jwt_key_request` key sets.
    pub fn remote_policy(&self) -> RemotePolicy {
        RemotePolicy {
            cache_secs: self.key_cache.unwrap_or(0),
            stale_secs: self.key_stale.unwrap_or(DEFAULT_KEY_STALE_SECS),
            refetch_secs: match self.key_refetch {
                None => Some(DEFAULT_KEY_REFETCH_SECS),
                Some(RefetchSetting::Every(secs)) => Some(secs),
                Some(RefetchSetting::Off) => None,
            },
        }
    }

    /// The kind of token accepted here (`auth_jwt_type`).
    pub fn token_type(&self) -> TokenType {
        self.token_type.unwrap_or_default()
    }
}

/// Merges the parent level into the child (nginx's `merge_loc_conf`). Written by hand
/// (instead of `ngx::http::Merge`) because the outermost level must publish its keys too, and
/// to warn about unverified signatures.
pub fn merge(conf: &mut Conf, prev: &mut LocConf, child: &mut LocConf) -> Result<(), NginxFailed> {
    let main = conf.main_conf().ok_or(NginxFailed)?;
    prev.freeze_keys(main);
    child.freeze_keys(main);
    child.inherit(prev);
    crate::metrics::bind_label(main, child);
    if let Some(auth) = child.enabled() {
        if child.keys.is_none() && !auth.warned_unverified.replace(true) {
            conf.warn_unpositioned(format_args!(
                "auth_jwt in {} has no auth_jwt_key_file or auth_jwt_key_request: token signatures \
                 will NOT be verified",
                auth.declared_at
            ));
        }
    }
    Ok(())
}

/// An `auth_jwt_key_file` whose name contains variables, resolved per request.
pub struct KeyFileTemplate {
    pub name: ComplexValue,
    /// nginx's configuration prefix: relative names resolve against it, as fixed names do.
    pub conf_prefix: PathBuf,
}

/// An `auth_jwt_key_request uri;`: a key set fetched by an in-memory subrequest to `uri`.
pub struct KeyRequest {
    /// May contain variables; each value is a key set of its own.
    pub uri: ComplexValue,
    /// A URI without variables, known at load time: requests then neither evaluate nor hash it.
    pub fixed: Option<FixedKeyRequest>,
}

/// A key request URI without variables, and where its key set is in each worker.
pub struct FixedKeyRequest {
    pub uri: String,
    /// Index into `MainConf::fixed_key_requests`, and into each worker's key sets.
    pub slot: usize,
}

/// Where the keys of a level come from: all of them together form the level's key set.
pub struct KeySources {
    /// The level's key files with fixed names, combined and kept current by the watcher.
    pub ring: Option<Arc<KeyRing>>,
    /// The level's key file names with variables.
    pub templates: Vec<KeyFileTemplate>,
    /// The level's key requests.
    pub requests: Vec<KeyRequest>,
}

/// Module-wide state built while parsing: every key file (each path loaded once, however many
/// levels use it), every level's key ring for the per-worker watcher, and the sizes of the
/// verified-signature caches that `auth_jwt_verify_cache` directives ask for.
#[derive(Default)]
pub struct MainConf {
    pub key_files: Vec<Arc<KeyFile>>,
    pub rings: Vec<Arc<KeyRing>>,
    /// Whether some key file name has variables (workers then need a watcher even without
    /// fixed key files).
    pub key_templates: bool,
    /// Entries of each `auth_jwt_verify_cache size` directive, indexed by `CacheId`.
    pub cache_sizes: Vec<usize>,
    /// `auth_jwt_zone` and the labels of the counters.
    pub metrics: crate::metrics::MetricsConf,
    /// The distinct key request URIs without variables, indexed by `FixedKeyRequest::slot`.
    pub fixed_key_requests: Vec<String>,
}

impl MainConf {
    /// The key file for `path`, loading it on first use; `true` when this is the first use.
    pub fn key_file(&mut self, path: &std::path::Path) -> (Arc<KeyFile>, bool) {
        if let Some(file) = self.key_files.iter().find(|file| file.path() == path) {
            return (Arc::clone(file), false);
        }
        let file = Arc::new(KeyFile::load(path.to_path_buf()));
        self.key_files.push(Arc::clone(&file));
        (file, true)
    }

    /// The slot of the key request URI `uri` (without variables). The same URI written at
    /// several levels shares one slot: one key set and one fetch at a time per worker.
    pub fn key_request_slot(&mut self, uri: &str) -> usize {
        if let Some(slot) = self.fixed_key_requests.iter().position(|known| known == uri) {
            return slot;
        }
        self.fixed_key_requests.push(uri.to_owned());
        self.fixed_key_requests.len() - 1
    }

    /// A new per-worker cache of `size` entries for one `auth_jwt_verify_cache` directive.
    pub fn add_cache(&mut self, size: usize) -> CacheId {
        self.cache_sizes.push(size);
        CacheId(self.cache_sizes.len() - 1)
    }
}
