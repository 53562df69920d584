//! The outer shape of a key file, a JWK Set `{"keys":[...]}` or a single JWK, and of each key
//! in it: parsed once for both readers of its keys, the signing keys ([`crate::KeySet`]) and
//! the decryption keys ([`crate::jwe::DecryptionKeys`]).

use serde_json::{Map, Value};

use crate::error::{escape, KeySetError};
use crate::json::{self, JsonError};
use crate::MAX_KEY_FILE_BYTES;

/// Nesting allowed in a key file: a JWKS needs 4 levels (set, `keys`, key, `x5c`); the slack is
/// for vendor extensions.
const KEY_FILE_MAX_DEPTH: usize = 32;

/// The keys of a key file, in file order; not yet looked into.
pub(crate) fn entries(bytes: &[u8]) -> Result<Vec<Value>, KeySetError> {
    if bytes.len() > MAX_KEY_FILE_BYTES {
        return Err(KeySetError::TooLarge { size: bytes.len(), limit: MAX_KEY_FILE_BYTES });
    }
    let mut root = json::parse_object(bytes, KEY_FILE_MAX_DEPTH).map_err(|e| match e {
        JsonError::Syntax(detail) => KeySetError::Json(detail),
        JsonError::NotObject => KeySetError::NotObject,
        JsonError::DuplicateMember => KeySetError::DuplicateMember,
        JsonError::TooDeep(limit) => KeySetError::TooDeep(limit),
    })?;
    let entries = match (root.remove("keys"), root.contains_key("kty")) {
        (Some(Value::Array(keys)), _) => keys,
        (Some(_), _) => return Err(KeySetError::KeysNotArray),
        (None, true) => vec![Value::Object(root)],
        (None, false) => return Err(KeySetError::NotJwk),
    };
    if entries.is_empty() {
        return Err(KeySetError::Empty);
    }
    Ok(entries)
}

/// One key of a key file, with the members every reader needs first.
pub(crate) struct Entry<'a> {
    /// From 1, in file order, as every message counts keys.
    pub(crate) index: usize,
    pub(crate) object: &'a Map<String, Value>,
    pub(crate) kid: Option<String>,
    /// The `kid` as messages show it (escaped: a key set may come from a remote IdP).
    pub(crate) shown_kid: Option<String>,
}

/// Why a key is not even a key object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryShape {
    NotObject,
    KidNotString,
}

impl<'a> Entry<'a> {
    /// The key at `index` (from 1); its `kid` is read first so that every later message can
    /// name it.
    pub(crate) fn of(index: usize, value: &'a Value) -> Result<Entry<'a>, EntryShape> {
        let Value::Object(object) = value else { return Err(EntryShape::NotObject) };
        let kid = match object.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err(EntryShape::KidNotString),
        };
        let shown_kid = kid.as_deref().map(escape);
        Ok(Entry { index, object, kid, shown_kid })
    }

    /// The note for a key that a reader leaves alone on purpose.
    pub(crate) fn skipped(&self, why: &str) -> String {
        format!("key {}{}: {why}, skipped", self.index, kid_suffix(self.shown_kid.as_deref()))
    }

    /// A note about this key that is not a skip.
    pub(crate) fn note(&self, what: &str) -> String {
        format!("key {}{}: {what}", self.index, kid_suffix(self.shown_kid.as_deref()))
    }
}

/// ` (kid K)` for a key that has one.
pub(crate) fn kid_suffix(kid: Option<&str>) -> String {
    kid.map(|kid| format!(" (kid {kid})")).unwrap_or_default()
}
