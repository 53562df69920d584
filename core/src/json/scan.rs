//! The rules of [`super::parse_object`] checked without building the document: what a token's
//! header and claims go through on every request, where only a few top-level members decide
//! the verdict (`alg`, `kid`, `crit`; `exp`, `nbf`) and the rest is needed only if a variable
//! asks for it.
//!
//! The same serde_json reader does the syntax (so both accept exactly the same texts: UTF-8,
//! escapes, lone surrogates, numbers, trailing characters), and the same limits apply: no
//! duplicate member names at any depth (compared after unescaping), at most `max_depth`
//! levels. Nothing is allocated for a document whose objects have at most
//! [`INLINE_NAMES`] members with unescaped names, which is every token we have seen.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use super::{depth_limit, finite, with_limits, Deserializer, JsonError, Limits, Violation};

/// Member names of one object compared one by one before a set is built for them.
const INLINE_NAMES: usize = 8;

/// A top-level member the caller asked for, as far as the caller needs to know it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Member<'de> {
    /// A string, borrowed from the input unless it had escapes.
    Str(Cow<'de, str>),
    Number(Number),
    /// An object, as its text (from the byte-level scan only: the serde_json scan reports
    /// objects as [`Member::Other`]).
    Object(&'de str),
    /// `true`, `false`, `null`, an array, or an object the serde_json scan read.
    Other,
}

/// Checks that `input` is one JSON object by the rules of [`super::parse_object`] and returns
/// its top-level members named in `names` (`None` for a name it does not have).
pub(crate) fn scan_object<'de, const N: usize>(
    input: &'de [u8],
    max_depth: usize,
    names: [&str; N],
) -> Result<[Option<Member<'de>>; N], JsonError> {
    if let Some(found) = super::fast_scan::scan(input, depth_limit(max_depth), names) {
        return Ok(found);
    }
    let read =
        |limits: &Limits, de: &mut Deserializer<'de>| Top { limits, names: &names }.deserialize(de);
    with_limits(input, max_depth, read)?.ok_or(JsonError::NotObject)
}

/// The outer document: an object whose wanted members are kept (`None`: not an object).
struct Top<'l, 'n, const N: usize> {
    limits: &'l Limits,
    names: &'n [&'n str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for Top<'_, '_, N> {
    type Value = Option<[Option<Member<'de>>; N]>;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_any(self)
    }
}

/// Anything but an object is read through (a syntax error in it is still a syntax error, as
/// for `parse_object`) and then refused as not an object.
impl<'de, const N: usize> Visitor<'de> for Top<'_, '_, N> {
    type Value = Option<[Option<Member<'de>>; N]>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        finite(v).map(|_| None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Skip { limits: self.limits, depth: 0 }.visit_seq(seq).map(|()| None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let inner = Skip { limits: self.limits, depth: 0 }.enter()?;
        let mut seen = SeenNames::default();
        let mut found: [Option<Member<'de>>; N] = std::array::from_fn(|_| None);
        while let Some(name) = access.next_key_seed(NameSeed)? {
            let wanted = self.names.iter().position(|&wanted| *name == *wanted);
            seen.insert(name, self.limits)?;
            match wanted {
                Some(i) => found[i] = Some(access.next_value_seed(Capture { inner })?),
                None => access.next_value_seed(inner)?,
            }
        }
        Ok(Some(found))
    }
}

/// A value whose content is checked and dropped; `depth` is the nesting level of the
/// container it is in.
#[derive(Clone, Copy)]
struct Skip<'l> {
    limits: &'l Limits,
    depth: usize,
}

impl Skip<'_> {
    fn enter<E: serde::de::Error>(self) -> Result<Self, E> {
        Ok(Skip { limits: self.limits, depth: self.limits.enter(self.depth)? })
    }
}

impl<'de> DeserializeSeed<'de> for Skip<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        finite(v).map(|_| ())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.enter()?;
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let inner = self.enter()?;
        let mut seen = SeenNames::default();
        while let Some(name) = access.next_key_seed(NameSeed)? {
            seen.insert(name, self.limits)?;
            access.next_value_seed(inner)?;
        }
        Ok(())
    }
}

/// A wanted top-level member: strings and numbers kept, anything else checked like [`Skip`].
struct Capture<'l> {
    /// The level inside the outer object.
    inner: Skip<'l>,
}

impl<'de> DeserializeSeed<'de> for Capture<'_> {
    type Value = Member<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Member<'de>, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Capture<'_> {
    type Value = Member<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Member<'de>, E> {
        Ok(Member::Other)
    }

    fn visit_i64<E>(self, v: i64) -> Result<Member<'de>, E> {
        Ok(Member::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Member<'de>, E> {
        Ok(Member::Number(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Member<'de>, E> {
        finite(v).map(Member::Number)
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Member<'de>, E> {
        Ok(Member::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Member<'de>, E> {
        Ok(Member::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_unit<E>(self) -> Result<Member<'de>, E> {
        Ok(Member::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Member<'de>, A::Error> {
        self.inner.visit_seq(seq).map(|()| Member::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Member<'de>, A::Error> {
        self.inner.visit_map(access).map(|()| Member::Other)
    }
}

/// A member name, borrowed from the input unless it had escapes.
struct NameSeed;

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Cow<'de, str>, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// The member names of one object so far. The first [`INLINE_NAMES`] unescaped names are
/// compared one by one (cheaper than hashing for the handful a token has); a larger object,
/// or one with an escaped name, moves them into a hash set, so that a crafted object of
/// thousands of members costs linear time, not quadratic.
#[derive(Default)]
struct SeenNames<'de> {
    inline: [&'de str; INLINE_NAMES],
    len: usize,
    set: Option<HashSet<Cow<'de, str>>>,
}

impl<'de> SeenNames<'de> {
    fn insert<E: serde::de::Error>(
        &mut self,
        name: Cow<'de, str>,
        limits: &Limits,
    ) -> Result<(), E> {
        let duplicate = match (&mut self.set, name) {
            (Some(set), name) => !set.insert(name),
            (None, Cow::Borrowed(name)) if self.len < INLINE_NAMES => {
                let duplicate = self.inline[..self.len].contains(&name);
                self.inline[self.len] = name;
                self.len += 1;
                duplicate
            }
            (None, name) => {
                let mut set: HashSet<Cow<'de, str>> =
                    self.inline[..self.len].iter().map(|&n| Cow::Borrowed(n)).collect();
                let duplicate = !set.insert(name);
                self.set = Some(set);
                duplicate
            }
        };
        if duplicate {
            return Err(limits.fail(Violation::Duplicate));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_object;
    use super::*;

    fn scan(s: &str) -> Result<[Option<Member<'_>>; 2], JsonError> {
        scan_object(s.as_bytes(), 32, ["alg", "exp"])
    }

    #[test]
    fn finds_the_members_asked_for() {
        let found = scan(r#"{"typ":"JWT","alg":"RS256","exp":17,"x":{"alg":1}}"#).unwrap();
        assert_eq!(found[0], Some(Member::Str(Cow::Borrowed("RS256"))));
        assert_eq!(found[1], Some(Member::Number(17.into())));
        let found = scan(r#"{"alg":"R\u0053256","exp":[1]}"#).unwrap();
        assert_eq!(found[0], Some(Member::Str(Cow::Owned("RS256".into()))));
        assert_eq!(found[1], Some(Member::Other));
        assert_eq!(scan("{}").unwrap(), [None, None]);
        let found = scan(r#"{"exp":-1.5e3,"alg":null}"#).unwrap();
        assert_eq!(found[1], Some(Member::Number(Number::from_f64(-1500.0).unwrap())));
        assert_eq!(found[0], Some(Member::Other));
    }

    #[test]
    fn refuses_what_parse_object_refuses() {
        let cases = [
            "",
            "{",
            "[]",
            "1",
            "\"x\"",
            "null",
            "{\"a\":1,}",
            "{\"a\":1}x",
            "{}{}",
            "{a:1}",
            r#"{"a":1,"a":2}"#,
            r#"{"a":1,"\u0061":2}"#,
            r#"{"x":{"b":{"c":1,"c":1}}}"#,
            r#"{"x":[{"c":1},{"c":1,"c":2}]}"#,
            r#"{"alg":"a","alg":"b"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":1e400}"#,
            "{\"a\":\"\u{7f}\"}",
            r#"{"x":[{"c":1},{"c":1}],"c":0}"#,
        ];
        for case in cases {
            let expected = parse_object(case.as_bytes(), 32).map(|_| ());
            assert_eq!(scan(case).map(|_| ()), expected, "{case}");
        }
        assert_eq!(
            scan_object(b"{\"a\":\"\xff\"}", 32, []).map(|_| ()),
            parse_object(b"{\"a\":\"\xff\"}", 32).map(|_| ())
        );
    }

    #[test]
    fn depth_limit_is_that_of_parse_object() {
        for levels in 1..8 {
            let doc = format!("{{\"a\":{}1{}}}", "[".repeat(levels - 1), "]".repeat(levels - 1));
            for max in 1..8 {
                let expected = parse_object(doc.as_bytes(), max).map(|_| ());
                assert_eq!(scan_object(doc.as_bytes(), max, ["a"]).map(|_| ()), expected);
            }
        }
        let deep = format!("{{\"a\":{}", "{\"a\":".repeat(10_000));
        assert_eq!(scan_object(deep.as_bytes(), 32, []).map(|_| ()), Err(JsonError::TooDeep(32)));
        let deep = format!("[{}", "[".repeat(10_000));
        assert_eq!(
            scan_object(deep.as_bytes(), 1000, []).map(|_| ()),
            Err(JsonError::TooDeep(127))
        );
    }

    /// A fixed xorshift: the same documents on every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    /// JSON made of the pieces real tokens and attacks are made of: mostly valid, with wrong
    /// spellings, duplicates, escapes, depth and size mixed in.
    fn generate(rng: &mut Rng, depth: usize, out: &mut String) {
        const NAMES: [&str; 10] = [
            "\"a\"",
            "\"b\"",
            "\"\\u0061\"",
            "\"exp\"",
            "\"alg\"",
            "\"kid\"",
            "\"nbf\"",
            "\"é\"",
            "\"\"",
            "\"a\\\"\"",
        ];
        const STRINGS: [&str; 12] = [
            "\"x\"",
            "\"\"",
            "\"RS256\"",
            "\"\\n\\t\\/\"",
            "\"\\u00e9\"",
            "\"\\ud800\"",
            "\"\\ud83d\\ude00\"",
            "\"\u{1}\"",
            "\"é\u{7f}\"",
            "\"\\x\"",
            "\"a",
            "\"\\u12\"",
        ];
        const NUMBERS: [&str; 16] = [
            "0",
            "1700000000",
            "-0",
            "-7",
            "1.5",
            "0.25",
            "1e3",
            "2E-3",
            "1e400",
            "01",
            "-",
            "1.",
            ".5",
            "12345678901234567890",
            "9999999999999999999",
            "-0.0",
        ];
        const OTHERS: [&str; 6] = ["true", "false", "null", "tru", "nul", "[]"];
        const SPACE: [&str; 6] = ["", "", "", " ", "\n\t", "\r"];
        out.push_str(rng.pick(&SPACE));
        match rng.below(8) {
            0 | 1 if depth < 6 => {
                out.push('{');
                let most = if rng.below(8) == 0 { 40 } else { 5 };
                let members = rng.below(most);
                for i in 0..members {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(rng.pick(&NAMES));
                    if rng.below(3) == 0 {
                        out.push_str(&i.to_string());
                    }
                    out.push_str(rng.pick(&SPACE));
                    out.push(':');
                    generate(rng, depth + 1, out);
                }
                out.push('}');
            }
            2 if depth < 6 => {
                out.push('[');
                for i in 0..rng.below(4) {
                    if i > 0 {
                        out.push(',');
                    }
                    generate(rng, depth + 1, out);
                }
                out.push(']');
            }
            3 | 4 => out.push_str(rng.pick(&STRINGS)),
            5 | 6 => out.push_str(rng.pick(&NUMBERS)),
            _ => out.push_str(rng.pick(&OTHERS)),
        }
        out.push_str(rng.pick(&SPACE));
    }

    /// The scan must give the verdict of `parse_object` on every generated document: the same
    /// error, or the same members found.
    #[test]
    fn agrees_with_parse_object_on_generated_documents() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut accepted, mut fast) = (0, 0);
        for _ in 0..100_000 {
            let mut doc = String::from("{");
            for i in 0..rng.below(6) {
                if i > 0 {
                    doc.push(',');
                }
                doc.push_str(rng.pick(&["\"alg\":", "\"exp\":", "\"kid\":", "\"x\":", "\"exp\":"]));
                generate(&mut rng, 1, &mut doc);
            }
            doc.push('}');
            // Now and then a byte too many or too few.
            match rng.below(10) {
                0 => {
                    let at = rng.below(doc.len());
                    if doc.is_char_boundary(at) {
                        doc.truncate(at);
                    }
                }
                1 => {
                    let at = rng.below(doc.len());
                    if doc.is_char_boundary(at) {
                        doc.insert(at, rng.pick(&["}", ",", "\"", "x"]).as_bytes()[0] as char);
                    }
                }
                _ => {}
            }
            let max_depth = 1 + rng.below(5);
            let full = parse_object(doc.as_bytes(), max_depth);
            let names = ["alg", "exp", "kid"];
            if super::super::fast_scan::scan(doc.as_bytes(), max_depth, names).is_some() {
                fast += 1;
            }
            match (&full, &scan_object(doc.as_bytes(), max_depth, names)) {
                (Ok(map), Ok(found)) => {
                    accepted += 1;
                    for (member, name) in found.iter().zip(names) {
                        let expected = map.get(name).map(|v| match v {
                            serde_json::Value::String(s) => Member::Str(Cow::Owned(s.clone())),
                            serde_json::Value::Number(n) => Member::Number(n.clone()),
                            _ => Member::Other,
                        });
                        let got = member.clone().map(|m| match m {
                            Member::Str(s) => Member::Str(Cow::Owned(s.into_owned())),
                            Member::Object(text) => {
                                // The text is the member's object, exactly.
                                let object: serde_json::Value =
                                    serde_json::from_str(text).expect("an object's text");
                                assert_eq!(Some(&object), map.get(name), "{doc}");
                                Member::Other
                            }
                            other => other,
                        });
                        assert_eq!(got, expected, "{doc}");
                    }
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "{doc}"),
                (full, scanned) => panic!("{doc}: parse_object {full:?}, scan {scanned:?}"),
            }
        }
        assert!(accepted > 5_000, "too few valid documents to compare: {accepted}");
        assert!(fast > 2_000, "too few documents took the fast scan: {fast}");
    }

    #[test]
    fn large_objects_find_duplicates_past_the_inline_names() {
        let members: Vec<String> = (0..50).map(|i| format!("\"m{i}\":{i}")).collect();
        let unique = format!("{{{}}}", members.join(","));
        assert!(scan(&unique).is_ok());
        let duplicate = format!("{{{},\"m7\":0}}", members.join(","));
        assert_eq!(scan(&duplicate).map(|_| ()), Err(JsonError::DuplicateMember));
        // An escaped name among the first ones is compared after unescaping.
        assert_eq!(
            scan(r#"{"a":1,"b":2,"\u0062":3}"#).map(|_| ()),
            Err(JsonError::DuplicateMember)
        );
        assert_eq!(
            scan(r#"{"\u0062":3,"a":1,"b":2}"#).map(|_| ()),
            Err(JsonError::DuplicateMember)
        );
    }
}
