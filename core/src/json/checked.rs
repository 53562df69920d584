//! A JSON object that has passed the token rules, kept as its text and turned into values only
//! when something reads it: a token's verdict needs a few members (see `scan.rs`), while the
//! variables, `auth_jwt_require` and `$jwt_payload` need the values, and most locations use
//! none of them.

use std::cell::OnceCell;
use std::fmt;

use serde_json::{Map, Value};

use super::{parse_object, MAX_DEPTH};

/// The decoded header or claims of a token.
#[derive(Clone, Default)]
pub(crate) struct CheckedObject {
    /// The object's text, as decoded from the token; empty when it was built from values.
    json: Vec<u8>,
    values: OnceCell<Map<String, Value>>,
}

impl CheckedObject {
    /// `json` must have passed [`super::scan_object`] (or [`parse_object`]) with the token
    /// limits: reading it again then cannot fail.
    pub(crate) fn from_checked_json(json: Vec<u8>) -> CheckedObject {
        CheckedObject { json, values: OnceCell::new() }
    }

    pub(crate) fn from_values(values: Map<String, Value>) -> CheckedObject {
        CheckedObject { json: Vec::new(), values: OnceCell::from(values) }
    }

    /// The object's text; empty for an object built from values.
    pub(crate) fn json(&self) -> &[u8] {
        &self.json
    }

    /// The members, parsed on the first call.
    pub(crate) fn values(&self) -> &Map<String, Value> {
        // The text passed the same rules with a depth limit of at most MAX_DEPTH, so this
        // parse succeeds; an empty object is the total answer should it ever not.
        self.values.get_or_init(|| parse_object(&self.json, MAX_DEPTH).unwrap_or_default())
    }

    /// Releases spare capacity, for objects kept beyond one request.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.json.shrink_to_fit();
        if let Some(values) = self.values.take() {
            // serde_json's Map has no shrink_to_fit; collecting moves the members (no string
            // is copied) into a map sized by the iterator's exact length.
            self.values = OnceCell::from(values.into_iter().collect::<Map<_, _>>());
        }
    }
}

/// Equal when the members are (the text may differ in spacing and escapes).
impl PartialEq for CheckedObject {
    fn eq(&self, other: &CheckedObject) -> bool {
        self.values() == other.values()
    }
}

/// The members, never the text: the values are what a reader compares.
impl fmt::Debug for CheckedObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.values().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_parsed_once_on_first_read() {
        let object = CheckedObject::from_checked_json(br#"{"b":1,"a":[true]}"#.to_vec());
        assert!(object.values.get().is_none());
        assert_eq!(object.values()["a"][0], Value::Bool(true));
        assert!(object.values.get().is_some());
        let keys: Vec<_> = object.values().keys().collect();
        assert_eq!(keys, ["b", "a"]);
    }

    #[test]
    fn shrinking_keeps_text_and_values() {
        let mut json = Vec::with_capacity(64);
        json.extend_from_slice(br#"{"z":1,"a":2}"#);
        let mut object = CheckedObject::from_checked_json(json);
        let _ = object.values();
        let before = object.clone();
        object.shrink_to_fit();
        assert_eq!(object.json.capacity(), object.json.len());
        assert_eq!(object, before);
        assert_eq!(object.json(), br#"{"z":1,"a":2}"#);
    }

    #[test]
    fn built_from_values_or_text_compare_by_members() {
        let text = CheckedObject::from_checked_json(br#"{ "a" : "\u0062" }"#.to_vec());
        let values = CheckedObject::from_values(parse_object(br#"{"a":"b"}"#, 32).unwrap());
        assert_eq!(text, values);
        assert!(values.json().is_empty());
    }
}
