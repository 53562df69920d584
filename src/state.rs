//! Per-request state: what the access handler concluded (for `$jwt_status` and the claim
//! variables), and the token decoded for variables before or without the access handler.
//! It is kept where internal redirects do not erase it (`ffi/request.rs`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use auth_jwt_core::remote::FetchId;
use auth_jwt_core::{JwtStatus, TokenFields, TokenType};
use ngx::http::Request;

use crate::conf::LocConf;
use crate::ffi::request;

/// What the access handler decided for the request.
pub struct Outcome {
    /// The `$jwt_status` word.
    pub status: JwtStatus,
    /// The fields of the verified token: set when the signature and times checked out (also
    /// when `auth_jwt_require` then refused the request: the claims are still authentic, and
    /// worth logging), `None` for a missing or rejected token, so its claims never show.
    pub fields: Option<Rc<TokenFields>>,
}

/// What variables may show of a token.
pub enum Shown {
    /// Not decided for this request (or this token) yet.
    Undecided,
    /// Decided: nothing (no token, or one that was refused).
    Nothing,
    /// Decided: the fields of a token that may be shown.
    Fields(Rc<TokenFields>),
}

impl From<Option<Rc<TokenFields>>> for Shown {
    fn from(fields: Option<Rc<TokenFields>>) -> Shown {
        fields.map_or(Shown::Nothing, Shown::Fields)
    }
}

/// A token decoded on behalf of the variables, remembered for the next variable of the same
/// request. Valid only for the same location configuration and the same token bytes.
struct Decoded {
    conf: *const LocConf,
    token: Vec<u8>,
    fields: Option<Rc<TokenFields>>,
}

#[derive(Default)]
pub struct RequestState {
    outcome: RefCell<Option<Outcome>>,
    decoded: RefCell<Option<Decoded>>,
    /// Set while the token source of a location is evaluated for the variables.
    decoding: Cell<bool>,
    /// Set by a claim variable that rendered a claim whose JSON value is `false` (read by
    /// `auth_jwt_require`, see `policy.rs`).
    pub false_claim_seen: Cell<bool>,
    /// The key request fetches this request waited for.
    waits: RefCell<Vec<Wait>>,
    /// The last token this request validated, for the ACCESS phase run again after an
    /// internal redirect.
    validated: RefCell<Option<Validated>>,
}

/// What makes a verdict valid again for the same request: the same token (the same bytes in
/// the request's memory: headers and variable values live as long as the request), the same
/// key sets and the same leeway. The times are checked again on reuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReuseKey {
    pub token_at: usize,
    pub token_len: usize,
    /// The generations of the location's key sets (up to four; unused ones are 0, which names
    /// no set); all 0 where no key directive applies.
    pub generations: [u64; MAX_REUSE_SOURCES],
    pub leeway_secs: u64,
    /// `auth_jwt_type`: a nested token's verdict must not serve a signed location.
    pub token_type: TokenType,
}

/// Most key sources of a location whose verdict can be reused (more is rare: such locations
/// validate again after an internal redirect).
pub const MAX_REUSE_SOURCES: usize = 4;

struct Validated {
    key: ReuseKey,
    fields: Rc<TokenFields>,
}

/// A fetch of a key request's keys that the request waited for.
struct Wait {
    uri: String,
    fetch: FetchId,
    /// Set while the request wants to be woken when the fetch ends.
    listening: Rc<Cell<bool>>,
}

impl Drop for RequestState {
    fn drop(&mut self) {
        // The request is gone: no fetch may wake it any more.
        self.stop_listening();
    }
}

impl RequestState {
    /// The state of `request`, if it has one, even after an internal redirect.
    pub fn find(request: &Request) -> Option<&RequestState> {
        request::state::<RequestState>(request)
    }

    /// The state of `request`, created empty on first use. `None` only when out of memory.
    pub fn get_or_create(request: &Request) -> Option<&RequestState> {
        request::state_or_insert(request, RequestState::default)
    }

    pub fn set_outcome(&self, outcome: Outcome) {
        if let Ok(mut slot) = self.outcome.try_borrow_mut() {
            *slot = Some(outcome);
        }
    }

    /// `$jwt_status`: `None` until the access handler has run for this request.
    pub fn status(&self) -> Option<JwtStatus> {
        Some(self.outcome.try_borrow().ok()?.as_ref()?.status)
    }

    /// What the access handler's decision lets variables show.
    pub fn judged(&self) -> Shown {
        match self.outcome.try_borrow().ok().as_deref() {
            Some(Some(outcome)) => outcome.fields.clone().into(),
            _ => Shown::Undecided,
        }
    }

    /// What was decoded earlier for the same location and token.
    pub fn decoded(&self, conf: &LocConf, token: &[u8]) -> Shown {
        let Ok(decoded) = self.decoded.try_borrow() else { return Shown::Undecided };
        match decoded.as_ref() {
            Some(d) if core::ptr::eq(d.conf, conf) && d.token == token => d.fields.clone().into(),
            _ => Shown::Undecided,
        }
    }

    pub fn remember_decoded(&self, conf: &LocConf, token: &[u8], fields: Option<Rc<TokenFields>>) {
        if let Ok(mut slot) = self.decoded.try_borrow_mut() {
            *slot = Some(Decoded { conf, token: token.to_vec(), fields });
        }
    }

    /// Records that the request waits for fetch `fetch` of the key request `uri`; `listening`
    /// is the flag the fetch checks before it wakes the request.
    pub fn add_wait(&self, uri: &str, fetch: FetchId, listening: Rc<Cell<bool>>) {
        if let Ok(mut waits) = self.waits.try_borrow_mut() {
            waits.push(Wait { uri: uri.to_owned(), fetch, listening });
        }
    }

    /// Whether this request waited for a fetch of any key request.
    pub fn has_waited(&self) -> bool {
        self.waits.try_borrow().map_or(true, |waits| !waits.is_empty())
    }

    /// The latest fetch of `uri` this request waited for.
    pub fn waited_for(&self, uri: &str) -> Option<FetchId> {
        let waits = self.waits.try_borrow().ok()?;
        waits.iter().filter(|wait| wait.uri == uri).map(|wait| wait.fetch).max()
    }

    /// The request runs again: the fetches it waited for need not wake it any more.
    pub fn stop_listening(&self) {
        if let Ok(waits) = self.waits.try_borrow() {
            for wait in waits.iter() {
                wait.listening.set(false);
            }
        }
    }

    /// The fields of a token this request validated before under `key`.
    pub fn reusable(&self, key: &ReuseKey) -> Option<Rc<TokenFields>> {
        let validated = self.validated.try_borrow().ok()?;
        let validated = validated.as_ref().filter(|validated| validated.key == *key)?;
        Some(Rc::clone(&validated.fields))
    }

    pub fn remember_validated(&self, key: ReuseKey, fields: Rc<TokenFields>) {
        if let Ok(mut slot) = self.validated.try_borrow_mut() {
            *slot = Some(Validated { key, fields });
        }
    }

    /// Marks the token source as being evaluated; `None` if it already is (a recursion).
    pub fn enter_decoding(&self) -> Option<DecodingGuard<'_>> {
        if self.decoding.replace(true) {
            return None;
        }
        Some(DecodingGuard(&self.decoding))
    }
}

/// Clears the decoding mark when dropped, even if the evaluation panicked.
pub struct DecodingGuard<'a>(&'a Cell<bool>);

impl Drop for DecodingGuard<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}
