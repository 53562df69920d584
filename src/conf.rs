//! Location configuration of the module and its inheritance rules.
//!
//! Everything here is built while nginx parses the configuration and is read-only afterwards:
//! request handlers never mutate it (per-request state belongs in the request context).

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use crate::complex_value::ComplexValue;
use crate::key_files::KeyState;
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
    /// directive (it is inherited by many locations, one warning is enough).
    pub warned_unverified: Cell<bool>,
}

/// The value of `auth_jwt` at a level.
#[derive(Clone)]
pub enum AuthSetting {
    Off,
    On(Rc<AuthJwt>),
}

#[derive(Default)]
pub struct LocConf {
    /// `auth_jwt` at this level; `None` until set here or inherited by merge.
    pub auth: Option<AuthSetting>,
    /// Keys of the `auth_jwt_key_file` directives written at this level, being collected.
    pub own_keys: Option<KeyState>,
    /// The keys in force here after merge: this level's own, or the parent's.
    /// `None` when no key directive applies: signatures are then not verified (NGINX Plus).
    pub keys: Option<Arc<KeyState>>,
    /// `auth_jwt_leeway` in seconds.
    pub leeway: Option<u64>,
    /// `auth_jwt_require` and `auth_jwt_login_url`.
    pub policy: PolicyConf,
}

impl LocConf {
    /// Publishes the keys collected from this level's directives. Idempotent; called on both
    /// sides of a merge because the outermost (http) level is never itself merged.
    pub fn freeze_keys(&mut self) {
        if let Some(state) = self.own_keys.take() {
            self.keys = Some(Arc::new(state));
        }
    }

    /// Inherits every setting not written at this level. Key files are not merged across
    /// levels: a level with its own key files replaces the parent's, as in NGINX Plus.
    pub fn inherit(&mut self, parent: &LocConf) {
        if self.auth.is_none() {
            self.auth = parent.auth.clone();
        }
        if self.keys.is_none() {
            self.keys = parent.keys.clone();
        }
        if self.leeway.is_none() {
            self.leeway = parent.leeway;
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
}
