//! JSON parsing with the limits a security token needs and serde_json does not give by itself:
//! duplicate member names are refused at every depth, and nesting is bounded.
//!
//! Duplicates matter because parsers disagree on them ("first wins" vs "last wins"): a token
//! `{"sub":"alice","sub":"admin"}` could be read one way here and another way by the upstream
//! application that trusts our verdict (RFC 7515 §5.2 lets us refuse it, RFC 8725 §3.9 advises
//! it). serde_json's own `Value` silently keeps the last one.
//!
//! The depth limit is checked on entry to every array or object, before its contents are read,
//! so a 10,000-deep `[[[[...` fails after `max_depth` levels of recursion. serde_json also stops
//! on its own when it enters level 128, so larger limits are lowered to [`MAX_DEPTH`].

use std::cell::Cell;
use std::fmt::{self, Write as _};

mod checked;
mod fast_scan;
mod scan;
pub(crate) use checked::CheckedObject;
pub(crate) use scan::{scan_object, Member};

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

/// The deepest nesting serde_json will parse (its recursion limit is 128 and trips on entry).
pub(crate) const MAX_DEPTH: usize = 127;

/// Members the outermost object is sized for (it grows beyond). Eight: most access tokens
/// fit, and the entry vector (8 × 104 bytes) stays within the sizes glibc serves from its
/// per-thread cache; 16 would be a "large" request, which also consolidates the heap.
const TOP_LEVEL_MEMBERS: usize = 8;

/// Why a document was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// serde_json's message: a fixed phrase with line and column, never the input itself.
    Syntax(String),
    NotObject,
    DuplicateMember,
    TooDeep(usize),
}

/// A limit violation, recorded on the side: serde reports visitor errors as strings, and
/// matching on our own message text would be fragile.
#[derive(Clone, Copy)]
enum Violation {
    Duplicate,
    TooDeep,
}

pub(crate) struct Limits {
    max_depth: usize,
    violation: Cell<Option<Violation>>,
}

impl Limits {
    /// The nesting level inside a container entered from level `depth` (the outer object is
    /// level 1), or the depth violation when that level is beyond the limit.
    fn enter<E: serde::de::Error>(&self, depth: usize) -> Result<usize, E> {
        let inner = depth + 1;
        if inner > self.max_depth {
            return Err(self.fail(Violation::TooDeep));
        }
        Ok(inner)
    }

    fn fail<E: serde::de::Error>(&self, violation: Violation) -> E {
        self.violation.set(Some(violation));
        E::custom("limit exceeded")
    }
}

/// Parses `input` as one JSON object with no duplicate member names and at most `max_depth`
/// levels of nesting (the object itself is level 1; `max_depth` above [`MAX_DEPTH`] counts as
/// [`MAX_DEPTH`]).
pub(crate) fn parse_object(
    input: &[u8],
    max_depth: usize,
) -> Result<Map<String, Value>, JsonError> {
    let read =
        |limits: &Limits, de: &mut Deserializer<'_>| ValueSeed { limits, depth: 0 }.deserialize(de);
    match with_limits(input, max_depth, read)? {
        Value::Object(map) => Ok(map),
        _ => Err(JsonError::NotObject),
    }
}

/// The depth limit in force for a requested `max_depth`: at most [`MAX_DEPTH`].
fn depth_limit(max_depth: usize) -> usize {
    max_depth.min(MAX_DEPTH)
}

/// A number read as a float. serde_json never yields a non-finite one from text, but stay
/// total.
fn finite<E: serde::de::Error>(v: f64) -> Result<Number, E> {
    Number::from_f64(v).ok_or_else(|| E::custom("number out of range"))
}

/// serde_json's reader of a byte slice: strings without escapes are borrowed from it.
type Deserializer<'de> = serde_json::Deserializer<serde_json::de::SliceRead<'de>>;

/// Reads one JSON document from `input` with `read`, under the limits, and turns serde's
/// errors into a [`JsonError`]: the limit that was exceeded, else the syntax error. Trailing
/// characters after the value (`{}x`, `{}{}`) are a syntax error too.
fn with_limits<'de, T>(
    input: &'de [u8],
    max_depth: usize,
    read: impl FnOnce(&Limits, &mut Deserializer<'de>) -> Result<T, serde_json::Error>,
) -> Result<T, JsonError> {
    let max_depth = depth_limit(max_depth);
    let limits = Limits { max_depth, violation: Cell::new(None) };
    let mut de = serde_json::Deserializer::from_slice(input);
    let parsed = read(&limits, &mut de).and_then(|value| de.end().map(|()| value));
    parsed.map_err(|err| match limits.violation.get() {
        Some(Violation::Duplicate) => JsonError::DuplicateMember,
        Some(Violation::TooDeep) => JsonError::TooDeep(max_depth),
        None => {
            // Formatted once, into one buffer: garbage tokens take this path.
            let mut detail = String::with_capacity(80);
            let _ = write!(detail, "{err}");
            if detail.starts_with("recursion limit exceeded") {
                JsonError::TooDeep(max_depth)
            } else {
                JsonError::Syntax(detail)
            }
        }
    })
}

/// Builds a [`Value`] like serde_json's own `Deserialize` impl, plus the two checks. `depth` is
/// the nesting level of the container being visited.
#[derive(Clone, Copy)]
struct ValueSeed<'l> {
    limits: &'l Limits,
    depth: usize,
}

impl ValueSeed<'_> {
    fn enter<E: serde::de::Error>(self) -> Result<Self, E> {
        Ok(ValueSeed { limits: self.limits, depth: self.limits.enter(self.depth)? })
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        finite(v).map(Value::Number)
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        // A token's header and claims are read on every request: sized once for the members a
        // token usually has, instead of growing its entries and its index step by step.
        let mut map =
            if self.depth == 0 { Map::with_capacity(TOP_LEVEL_MEMBERS) } else { Map::new() };
        // Keys are compared after unescaping, so `"a"` and `"\u0061"` are duplicates too.
        while let Some(key) = access.next_key::<String>()? {
            // One lookup (and one hash of the name) finds a duplicate and the place to insert.
            match map.entry(key) {
                Entry::Occupied(_) => return Err(self.limits.fail(Violation::Duplicate)),
                Entry::Vacant(slot) => {
                    slot.insert(access.next_value_seed(inner)?);
                }
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Map<String, Value>, JsonError> {
        parse_object(s.as_bytes(), 32)
    }

    #[test]
    fn parses_objects() {
        let map = parse(r#" {"a": [1, -2, 3.5, "x", null, true, {"b": {}}]} "#).unwrap();
        assert_eq!(map["a"][1], Value::from(-2));
        assert_eq!(map["a"][2], Value::from(3.5));
        assert_eq!(map["a"][6]["b"], Value::Object(Map::new()));
        assert!(parse("{}").unwrap().is_empty());
    }

    #[test]
    fn refuses_non_objects() {
        for s in ["[]", "1", "\"x\"", "null", "true"] {
            assert_eq!(parse(s), Err(JsonError::NotObject), "{s}");
        }
    }

    #[test]
    fn refuses_syntax_errors() {
        for s in ["", "{", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":1}x", "{}{}", "{'a':1}", "{a:1}"] {
            assert!(matches!(parse(s), Err(JsonError::Syntax(_))), "{s}");
        }
    }

    #[test]
    fn refuses_invalid_utf8_and_lone_surrogates() {
        assert!(matches!(parse_object(b"{\"a\":\"\xff\"}", 32), Err(JsonError::Syntax(_))));
        assert!(matches!(parse_object(b"{\"\xc3\":1}", 32), Err(JsonError::Syntax(_))));
        assert!(matches!(parse(r#"{"a":"\ud800"}"#), Err(JsonError::Syntax(_))));
    }

    #[test]
    fn refuses_duplicates_at_any_depth() {
        assert_eq!(parse(r#"{"a":1,"a":2}"#), Err(JsonError::DuplicateMember));
        assert_eq!(parse(r#"{"a":1,"\u0061":2}"#), Err(JsonError::DuplicateMember));
        assert_eq!(parse(r#"{"x":{"b":{"c":1,"c":1}}}"#), Err(JsonError::DuplicateMember));
        assert_eq!(parse(r#"{"x":[{"c":1},{"c":1,"c":2}]}"#), Err(JsonError::DuplicateMember));
        // The same name in sibling objects is fine.
        assert!(parse(r#"{"x":[{"c":1},{"c":1}],"c":0}"#).is_ok());
    }

    #[test]
    fn depth_limit_is_exact() {
        let nested = |levels: usize| {
            // `levels` counts the outer object.
            format!("{{\"a\":{}1{}}}", "[".repeat(levels - 1), "]".repeat(levels - 1))
        };
        assert!(parse_object(nested(5).as_bytes(), 5).is_ok());
        assert_eq!(parse_object(nested(6).as_bytes(), 5), Err(JsonError::TooDeep(5)));
        assert!(parse_object(b"{}", 1).is_ok());
        assert_eq!(parse_object(b"{\"a\":{}}", 1), Err(JsonError::TooDeep(1)));
    }

    #[test]
    fn very_deep_input_fails_without_overflowing_the_stack() {
        let deep = format!("{{\"a\":{}", "[".repeat(10_000));
        assert_eq!(parse_object(deep.as_bytes(), 32), Err(JsonError::TooDeep(32)));
        let deep = format!("{{\"a\":{}", "{\"a\":".repeat(10_000));
        assert_eq!(parse_object(deep.as_bytes(), 32), Err(JsonError::TooDeep(32)));
        // Above serde_json's own ceiling the limit is lowered to it.
        let deep = format!("{{\"a\":{}", "[".repeat(10_000));
        assert_eq!(parse_object(deep.as_bytes(), 1000), Err(JsonError::TooDeep(MAX_DEPTH)));
        let at_ceiling = format!("{{\"a\":{}{}}}", "[".repeat(126), "]".repeat(126));
        assert!(parse_object(at_ceiling.as_bytes(), 1000).is_ok());
    }

    #[test]
    fn syntax_messages_do_not_quote_input() {
        let Err(JsonError::Syntax(msg)) = parse(r#"{"secret-value" 1}"#) else { panic!() };
        assert!(!msg.contains("secret"), "{msg}");
        assert!(msg.contains("line 1"), "{msg}");
    }
}
