//! The module's verdict on a token: every call into the core's validation is in this file, so
//! that `verify`, `explain` and the differential test in t/ follow the module when its
//! validation changes, by editing this one place.
//!
//! The decision is the core's validation pipeline (`auth_jwt_core::Validator`), the one the
//! module runs: an empty token is `missing`; structure first, keys second (a malformed token
//! is `malformed` even when the key file is broken, a well-formed one is `key_error`), then
//! `exp`/`nbf`, then the signature, then the `auth_jwt_require` values.

use std::path::PathBuf;
use std::sync::Arc;

use auth_jwt_core::jwe::{self, Jwe, JweError, JweLimits};
use auth_jwt_core::{
    require_refusal, verify_signature, Clock, Jws, JwtStatus, KeySet, KeySource, KeySourceError,
    Limits, Rejection, SourceKeys, TokenFields, TokenType, Validator, Verdict as CoreVerdict,
};
use serde_json::{Map, Value};

/// The keys a token is checked against, as the module would hold them at one configuration
/// level: the key files (one source, their union) first, then each key request (a JWKS URL).
/// No source at all is `auth_jwt` without keys: signatures are not checked.
pub struct Keys {
    sources: Vec<SourceKeys>,
    /// Every key of the usable sources as a one-key set (or why it is not one), in the order
    /// the module tries them, for the per-candidate explanation.
    each: Vec<KeyEntry>,
}

impl Keys {
    /// Whether no key source is given (signatures are then not checked).
    pub fn is_none(&self) -> bool {
        self.sources.is_empty()
    }

    /// The union of the usable sources' keys, in the module's order.
    fn union(&self) -> Option<KeySet> {
        let mut union: Option<KeySet> = None;
        for source in &self.sources {
            if let SourceKeys::Ready(set) = source {
                match &mut union {
                    None => union = Some((**set).clone()),
                    Some(all) => all.extend((**set).clone()),
                }
            }
        }
        union
    }
}

/// One key of the key files.
pub struct KeyEntry {
    /// The key file it is in.
    pub file: String,
    /// From 1, in file order, as the module's messages count.
    pub index: usize,
    pub kid: Option<String>,
    /// The key alone as a set; `Err` when the module skips it (the skip note).
    pub alone: Result<KeySet, String>,
}

/// One `--require` check: a claim (or header member) path whose rendered value must pass
/// like an `auth_jwt_require` variable (neither empty nor `0`).
pub struct Require {
    pub header: bool,
    pub path: Vec<String>,
}

/// What became of one key of the file for this token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFate {
    /// Its signature verified (the first such key is the one the module uses).
    Verified,
    /// It decrypted the token (JWE; the first such key is the one the module uses).
    Decrypted,
    /// A decryption candidate that did not open the token: another key's token, or one that
    /// was altered (the module cannot tell which, and says `decrypt_failed`).
    DoesNotDecrypt,
    /// A candidate after the key that verified or decrypted: the module stops at the first.
    NotTried,
    /// The `kid` or the algorithm does not fit: not a candidate.
    NotCandidate,
    /// A candidate whose signature check failed.
    BadSignature,
    /// The module skips this key when it loads the file.
    Skipped(String),
}

/// What became of one key.
pub struct KeyReport {
    pub file: String,
    /// From 1 within its file.
    pub index: usize,
    pub kid: Option<String>,
    pub fate: KeyFate,
}

/// The outcome, as `$jwt_status` and the module's log line give it.
pub struct Verdict {
    /// The `$jwt_status` word.
    pub status: &'static str,
    /// The module's log line for a refusal (`rejected token: ...`), `None` for `ok`.
    pub reason: Option<String>,
    /// Position (from 0) in `keys` of the key that verified the signature, or for a JWE the
    /// one that decrypted it.
    pub matched: Option<usize>,
    /// For a nested token: position in `keys` of the key that verified the enclosed JWS.
    pub signed_by: Option<usize>,
    /// Per key, in the order the module tries them (empty without key files or when one is
    /// broken).
    pub keys: Vec<KeyReport>,
    /// Header and claims, when the token parsed.
    pub header: Option<Map<String, Value>>,
    pub claims: Option<Map<String, Value>>,
}

/// The module's verdict on `token` of `token_type` (`auth_jwt_type`) at `now` (unix
/// seconds) with `leeway_secs`: the core's validation pipeline decides, exactly as in the
/// module; the per-key report comes after.
pub fn verdict(
    token: &[u8],
    token_type: TokenType,
    keys: &Keys,
    now: i64,
    leeway_secs: u64,
    require: &[Require],
) -> Verdict {
    let mut out = Verdict {
        status: JwtStatus::Ok.as_str(),
        reason: None,
        matched: None,
        signed_by: None,
        keys: Vec::new(),
        header: None,
        claims: None,
    };
    if token.is_empty() {
        out.status = JwtStatus::Missing.as_str();
        out.reason = Some("no token in the request".into());
        return out;
    }
    // What the token says, shown even where it is refused (when it parses at all).
    let limits = Limits::default();
    let jws = Jws::parse(token, &limits).ok();
    let jwe = jwe::looks_encrypted(token)
        .then(|| Jwe::parse(token, &JweLimits::from_token_limits(&limits)).ok())
        .flatten();
    // The plaintext of a JWE, when the key files open it: the claims, or the enclosed JWS.
    let union = keys.union();
    let plaintext = match (&jwe, &union) {
        (Some(jwe), Some(set)) => jwe::decrypt(jwe, set.decryption_keys()).ok(),
        _ => None,
    };
    let inner = plaintext
        .as_ref()
        .filter(|p| p.is_nested())
        .and_then(|p| Jws::parse(p.bytes(), &limits).ok());
    if let Some(jws) = &jws {
        out.header = Some(jws.header().clone());
        out.claims = Some(jws.claims().clone());
    } else if let Some(jwe) = &jwe {
        out.header = Some(jwe.header().clone());
        out.claims = match (&inner, &plaintext) {
            (Some(inner), _) => Some(inner.claims().clone()),
            (None, Some(p)) => serde_json::from_slice::<Map<String, Value>>(p.bytes()).ok(),
            _ => None,
        };
    }
    let sources = (!keys.is_none()).then_some(keys.sources.as_slice());
    if !keys.each.is_empty() {
        let each = &keys.each;
        match (token_type, &jws, &jwe) {
            (TokenType::Signed, Some(jws), _) => out.keys = explain_keys(jws, each),
            (TokenType::Encrypted | TokenType::Nested, _, Some(jwe)) => {
                out.keys = explain_jwe_keys(jwe, inner.as_ref(), each);
            }
            _ => {}
        }
        out.matched = first_used(&mut out.keys, KeyFate::Decrypted);
        match out.matched {
            None => out.matched = first_used(&mut out.keys, KeyFate::Verified),
            Some(_) => out.signed_by = first_used(&mut out.keys, KeyFate::Verified),
        }
    }

    let clock = Clock { now, leeway_secs };
    let decided = Validator::new(clock, limits).with_token_type(token_type).validate(
        token,
        sources,
        |verified| verified.into_fields(),
    );
    let fields: TokenFields = match decided {
        CoreVerdict::Valid(fields) => fields,
        CoreVerdict::Rejected(rejection) => return refuse(out, &rejection),
        CoreVerdict::KeysUnusable(error) => {
            out.status = error.status().as_str();
            out.reason = Some(error.to_string());
            return out;
        }
        // Key files are never pending.
        CoreVerdict::NeedKeys(_) => {
            out.status = JwtStatus::KeyError.as_str();
            out.reason = Some("keys are not loaded".into());
            return out;
        }
    };
    for (i, check) in require.iter().enumerate() {
        let value =
            if check.header { fields.header(&check.path) } else { fields.claim(&check.path) };
        let is_false = !check.header && fields.claim_is_false(&check.path);
        if let Some(why) = require_refusal(value.unwrap_or_default().as_bytes(), is_false) {
            out.status = JwtStatus::RequireFailed.as_str();
            out.reason = Some(format!(
                "token refused by \"auth_jwt_require\": value {} ({}) is {why}",
                i + 1,
                describe_require(check)
            ));
            return out;
        }
    }
    out
}

/// `claim sub`, `header kid`, `claim realm_access.roles`.
pub fn describe_require(check: &Require) -> String {
    format!("{} {}", if check.header { "header" } else { "claim" }, check.path.join("."))
}

fn refuse(mut out: Verdict, rejection: &Rejection) -> Verdict {
    out.status = rejection.kind();
    out.reason = Some(format!("rejected token: {rejection}"));
    out
}

/// The first key whose fate is `used` (the one the module uses); the later candidates of
/// that step were never tried by the module.
fn first_used(keys: &mut [KeyReport], used: KeyFate) -> Option<usize> {
    let first = keys.iter().position(|k| k.fate == used)?;
    let failed = match used {
        KeyFate::Decrypted => KeyFate::DoesNotDecrypt,
        _ => KeyFate::BadSignature,
    };
    for key in keys.iter_mut().skip(first + 1) {
        if key.fate == used || key.fate == failed {
            key.fate = KeyFate::NotTried;
        }
    }
    Some(first)
}

/// Each key of an encrypted token on its own: a decryption key decrypts it, is not a
/// candidate (`kid`, `alg`, `enc` or curve do not fit), or does not open it. For a nested
/// token the signing keys are then checked against the enclosed JWS, when it was decrypted.
fn explain_jwe_keys(jwe: &Jwe, inner: Option<&Jws>, each: &[KeyEntry]) -> Vec<KeyReport> {
    each.iter()
        .map(|entry| {
            let fate = match &entry.alone {
                Err(note) => KeyFate::Skipped(note.clone()),
                Ok(alone) if !alone.decryption_keys().is_empty() => {
                    match jwe::decrypt(jwe, alone.decryption_keys()) {
                        Ok(_) => KeyFate::Decrypted,
                        Err(JweError::NoKey { .. }) => KeyFate::NotCandidate,
                        Err(_) => KeyFate::DoesNotDecrypt,
                    }
                }
                Ok(alone) => match inner.map(|jws| verify_signature(jws, Some(alone))) {
                    Some(Ok(())) => KeyFate::Verified,
                    Some(Err(Rejection::NoKey { .. })) | None => KeyFate::NotCandidate,
                    Some(Err(_)) => KeyFate::BadSignature,
                },
            };
            KeyReport { file: entry.file.clone(), index: entry.index, kid: entry.kid.clone(), fate }
        })
        .collect()
}

/// Each key checked on its own: the module's candidate rules decide `NotCandidate` (no
/// candidate in a one-key set is `no_key`) against `BadSignature`.
fn explain_keys(jws: &Jws, each: &[KeyEntry]) -> Vec<KeyReport> {
    each.iter()
        .map(|entry| {
            let fate = match &entry.alone {
                Err(note) => KeyFate::Skipped(note.clone()),
                Ok(alone) => match verify_signature(jws, Some(alone)) {
                    Ok(()) => KeyFate::Verified,
                    Err(Rejection::NoKey { .. }) => KeyFate::NotCandidate,
                    Err(_) => KeyFate::BadSignature,
                },
            };
            KeyReport { file: entry.file.clone(), index: entry.index, kid: entry.kid.clone(), fate }
        })
        .collect()
}

/// Loads key files exactly as the module does (several: their union, in order; the first
/// broken file breaks all, as at one configuration level), then takes the key sets fetched
/// from JWKS URLs (or why each fetch failed, as the module judges it), plus each key alone
/// for the explanation.
pub fn load_keys(paths: &[std::path::PathBuf], fetched: Vec<Fetched>) -> Keys {
    let mut keys = Keys { sources: Vec::new(), each: Vec::new() };
    if !paths.is_empty() {
        keys.sources.push(load_files(paths, &mut keys.each));
    }
    for fetch in fetched {
        keys.sources.push(match fetch.result {
            Ok((set, body)) => {
                if let Ok(root) = serde_json::from_slice::<Value>(&body) {
                    keys.each.extend(one_key_sets(&root, set.skipped(), &fetch.url));
                }
                SourceKeys::Ready(Arc::new(set))
            }
            Err(reason) => SourceKeys::Unusable(KeySourceError {
                origin: KeySource::Request(fetch.url),
                reason,
            }),
        });
    }
    keys
}

/// A key set fetched from a JWKS URL (with the body it came in), or why there is none.
pub struct Fetched {
    pub url: String,
    pub result: Result<(KeySet, Vec<u8>), String>,
}

fn load_files(paths: &[std::path::PathBuf], each: &mut Vec<KeyEntry>) -> SourceKeys {
    let mut union: Option<KeySet> = None;
    let mut entries = Vec::new();
    for path in paths {
        let file = path.display().to_string();
        let set = match auth_jwt_core::keystore::read_key_file(path) {
            Ok(set) => set,
            Err(reason) => {
                return SourceKeys::Unusable(KeySourceError {
                    origin: KeySource::File(PathBuf::from(file)),
                    reason,
                })
            }
        };
        // The file parsed as the module parses it, so it is valid JSON without duplicates.
        let root = std::fs::read(path).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok());
        if let Some(root) = root {
            entries.extend(one_key_sets(&root, set.skipped(), &file));
        }
        match &mut union {
            None => union = Some(set),
            Some(all) => all.extend(set),
        }
    }
    each.extend(entries);
    SourceKeys::Ready(Arc::new(union.unwrap_or_else(KeySet::empty)))
}

fn one_key_sets(root: &Value, skipped: &[String], file: &str) -> Vec<KeyEntry> {
    let entries: Vec<&Value> = match root.get("keys") {
        Some(Value::Array(keys)) => keys.iter().collect(),
        _ => vec![root],
    };
    entries
        .into_iter()
        .enumerate()
        .map(|(i, jwk)| {
            let index = i + 1;
            let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_owned);
            let one = serde_json::json!({ "keys": [jwk] }).to_string();
            // The whole file loaded, so a key that does not load alone is one the loader
            // skipped; its note is the loader's ("key 2 (kid ...): use "enc" is not "sig", skipped").
            let alone = KeySet::from_json(one.as_bytes()).map_err(|_| {
                let prefix = format!("key {index}");
                skipped
                    .iter()
                    .find(|note| {
                        note.strip_prefix(&prefix).is_some_and(|rest| rest.starts_with([' ', ':']))
                    })
                    .cloned()
                    .unwrap_or_else(|| format!("{prefix}: skipped"))
            });
            KeyEntry { file: file.to_owned(), index, kid, alone }
        })
        .collect()
}
