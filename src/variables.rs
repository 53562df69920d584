//! Embedded variables: `$jwt_header_<name>`, `$jwt_claim_<name>`, `$jwt_payload`,
//! `$jwt_status`, and the variables defined by `auth_jwt_claim_set` / `auth_jwt_header_set`.
//!
//! Where the values come from (docs/variables.md has the user's view):
//! 1. Once the access handler has run for the request (it survives internal redirects, see
//!    `ffi/request.rs`): the token it verified, or nothing at all if it refused the request.
//! 2. Before that, in a location where `auth_jwt` is on (rewrite and preaccess phases, e.g.
//!    `limit_req`; subrequests, which skip the access phase): the token of the location's own
//!    source, validated here exactly as the access handler would (signature, `exp`, `nbf`, but
//!    not `auth_jwt_require`); a token that does not validate gives nothing.
//! 3. Where `auth_jwt` is off or absent: `Authorization: Bearer` decoded **without
//!    verification** (NGINX Plus behaviour, used for claim-based rate limiting).
//!
//! All variables are NOCACHEABLE: a value read before the access phase must not stick.

use std::rc::Rc;

use auth_jwt_core::{Jws, Limits, TokenFields, Verdict};
use ngx::http::{HttpModuleLocationConf, Request};

use crate::ffi::conf::Conf;
use crate::ffi::variables::{self, PrefixVariable};
use crate::ffi::NginxFailed;
use crate::state::{RequestState, Shown};
use crate::validation::{find_token, validate};
use crate::Module;

/// Which part of the token a variable reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Header,
    Claims,
}

/// The variable of one `auth_jwt_claim_set` or `auth_jwt_header_set` directive.
pub struct FieldPath {
    pub part: Part,
    pub names: Vec<String>,
}

/// Registers the built-in variables; called from `preconfiguration`, so that configuration
/// directives (`map`, `log_format`, `proxy_set_header`...) can refer to them.
pub fn register(conf: &mut Conf) -> Result<(), NginxFailed> {
    variables::add_prefix::<HeaderVariable>(conf)?;
    variables::add_prefix::<ClaimVariable>(conf)?;
    variables::add(conf, b"jwt_payload", (), |request, ()| Some(token_fields(request)?.payload()))?;
    variables::add(conf, b"jwt_status", (), |request, ()| {
        Some(RequestState::find(request)?.status()?.as_str().to_owned())
    })
}

/// `$jwt_claim_<name>`.
struct ClaimVariable;

impl PrefixVariable for ClaimVariable {
    const PREFIX: &'static [u8] = b"jwt_claim_";

    fn value(request: &Request, name: &str) -> Option<String> {
        let fields = token_fields(request)?;
        note_false_claim(request, fields.claim_is_false(&[name]));
        fields.claim(&[name])
    }
}

/// `$jwt_header_<name>`.
struct HeaderVariable;

impl PrefixVariable for HeaderVariable {
    const PREFIX: &'static [u8] = b"jwt_header_";

    fn value(request: &Request, name: &str) -> Option<String> {
        token_fields(request)?.header(&[name])
    }
}

/// The value of an `auth_jwt_claim_set` / `auth_jwt_header_set` variable.
pub fn field_value(request: &Request, path: &FieldPath) -> Option<String> {
    let fields = token_fields(request)?;
    match path.part {
        Part::Claims => {
            note_false_claim(request, fields.claim_is_false(&path.names));
            fields.claim(&path.names)
        }
        Part::Header => fields.header(&path.names),
    }
}

/// Tells `auth_jwt_require` that a claim variable rendered a `false` claim.
fn note_false_claim(request: &Request, is_false: bool) {
    if let (true, Some(state)) = (is_false, RequestState::find(request)) {
        state.false_claim_seen.set(true);
    }
}

/// The token fields that variables show for this request (see the module documentation for
/// the three cases). `None`: no token, or none that may be shown.
fn token_fields(request: &Request) -> Option<Rc<TokenFields>> {
    let state = RequestState::get_or_create(request)?;
    match state.judged() {
        Shown::Fields(fields) => return Some(fields),
        Shown::Nothing => return None,
        Shown::Undecided => {}
    }
    let conf = Module::location_conf(request)?;
    let auth = conf.enabled();
    let token = {
        // A token source that refers to a claim variable (`token=$jwt_claim_x`) finds nothing
        // while it is evaluated, instead of recursing until the stack overflows.
        let _decoding = state.enter_decoding()?;
        find_token(request, auth.and_then(|auth| auth.token.as_ref())).ok()??
    };
    match state.decoded(conf, token) {
        Shown::Fields(fields) => return Some(fields),
        Shown::Nothing => return None,
        Shown::Undecided => {}
    }
    let fields = if auth.is_some() {
        match validate(request, token, conf) {
            Verdict::Valid(fields) => Some(fields),
            _ => None,
        }
    } else {
        Jws::parse(token, &Limits::default()).ok().map(|jws| Rc::new(jws.into_fields()))
    };
    state.remember_decoded(conf, token, fields.clone());
    fields
}
