//! The token rules checked byte by byte for the shape real tokens have, before serde_json is
//! asked: unescaped member names, at most [`MAX_MEMBERS`] members an object, no exponents.
//!
//! It answers only when it is sure the document is acceptable, with the members asked for;
//! for anything else (an error, or a shape it does not handle) it answers `None` and the caller
//! runs the serde_json scan, which then gives the verdict and the exact error text. So it can
//! never refuse a document the full rules accept, and the differential tests in `scan.rs` check
//! that it never accepts one they refuse. Its grammar is RFC 8259's, as serde_json reads it.

use std::borrow::Cow;

use super::scan::Member;

/// Members an object may have here; more, and the serde_json scan checks it (a hash set
/// keeps its duplicate check linear).
const MAX_MEMBERS: usize = 32;

/// Integer digits read here: 19 always fit a `u64` (and an `f64` without overflow).
const MAX_INTEGER_DIGITS: usize = 19;

/// The members named in `names` when `input` certainly passes the token rules with
/// `max_depth`; `None` when the serde_json scan must decide.
pub(super) fn scan<'de, const N: usize>(
    input: &'de [u8],
    max_depth: usize,
    names: [&str; N],
) -> Option<[Option<Member<'de>>; N]> {
    // One UTF-8 check of the whole text instead of one per string: outside strings only ASCII
    // is valid anyway.
    let text = std::str::from_utf8(input).ok()?;
    let mut reader = Reader { text, bytes: input, pos: 0, max_depth };
    reader.skip_whitespace();
    let mut found: [Option<Member<'de>>; N] = std::array::from_fn(|_| None);
    reader.object(1, &mut |name, reader: &mut Reader<'de>| {
        match names.iter().position(|&wanted| same(wanted, name)) {
            Some(i) => found[i] = Some(reader.captured_value(1)?),
            None => reader.value(1)?,
        }
        Some(())
    })?;
    reader.skip_whitespace();
    (reader.pos == input.len()).then_some(found)
}

struct Reader<'de> {
    text: &'de str,
    bytes: &'de [u8],
    pos: usize,
    max_depth: usize,
}

/// What is done with each member of an object: its value is read by the callback.
type OnMember<'c, 'de> = dyn FnMut(&'de str, &mut Reader<'de>) -> Option<()> + 'c;

impl<'de> Reader<'de> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// A value inside a container at nesting level `depth`.
    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(depth + 1, &mut |_, reader| reader.value(depth + 1)),
            b'[' => self.array(depth + 1),
            b'"' => self.string().map(|_| ()),
            b'-' | b'0'..=b'9' => self.number().map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => None,
        }
    }

    /// A top-level member's value, kept when it is an unescaped string, a plain non-negative
    /// integer (any other string or number goes to the serde_json scan) or an object (its
    /// text).
    fn captured_value(&mut self, depth: usize) -> Option<Member<'de>> {
        match self.peek()? {
            b'"' => match self.string()? {
                (span, false) => Some(Member::Str(Cow::Borrowed(span))),
                (_, true) => None,
            },
            b'-' | b'0'..=b'9' => self.number()?.map(|n| Member::Number(n.into())),
            b'{' => {
                let start = self.pos;
                self.value(depth)?;
                Some(Member::Object(self.text.get(start..self.pos)?))
            }
            _ => self.value(depth).map(|()| Member::Other),
        }
    }

    /// An object at nesting level `depth`, each member handed to `on_member`.
    fn object(&mut self, depth: usize, on_member: &mut OnMember<'_, 'de>) -> Option<()> {
        if !self.open(b'{', b'}', depth)? {
            return Some(());
        }
        let mut seen = Names::default();
        loop {
            let (name, escaped) = self.string()?;
            if escaped {
                return None;
            }
            seen.insert(name)?;
            self.skip_whitespace();
            self.expect(b':')?;
            self.skip_whitespace();
            on_member(name, self)?;
            if self.closed(b'}')? {
                return Some(());
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if !self.open(b'[', b']', depth)? {
            return Some(());
        }
        loop {
            self.value(depth)?;
            if self.closed(b']')? {
                return Some(());
            }
        }
    }

    /// Enters a container at nesting level `depth`: `Some(false)` when it is empty (and read),
    /// `Some(true)` when its first member or element follows.
    fn open(&mut self, open: u8, close: u8, depth: usize) -> Option<bool> {
        if depth > self.max_depth {
            return None;
        }
        self.expect(open)?;
        self.skip_whitespace();
        if self.peek()? == close {
            self.pos += 1;
            return Some(false);
        }
        Some(true)
    }

    /// After a member or element: `Some(true)` at the container's end (read), `Some(false)`
    /// after a comma, with the next one to follow.
    fn closed(&mut self, close: u8) -> Option<bool> {
        self.skip_whitespace();
        let next = self.peek()?;
        self.pos += 1;
        if next == close {
            return Some(true);
        }
        if next != b',' {
            return None;
        }
        self.skip_whitespace();
        Some(false)
    }

    /// A string: its raw text between the quotes, and whether it has escapes. Control
    /// characters must be escaped; escapes of UTF-16 surrogates are left to serde_json (pairs
    /// are valid, lone ones are not).
    fn string(&mut self) -> Option<(&'de str, bool)> {
        self.expect(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        loop {
            self.skip_plain_string_bytes();
            match *self.bytes.get(self.pos)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    match *self.bytes.get(self.pos + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 2,
                        b'u' => {
                            let hex = self.bytes.get(self.pos + 2..self.pos + 6)?;
                            let unit = hex.iter().try_fold(0u32, |acc, &h| {
                                Some(acc << 4 | (h as char).to_digit(16)?)
                            })?;
                            if (0xd800..=0xdfff).contains(&unit) {
                                return None;
                            }
                            self.pos += 6;
                        }
                        _ => return None,
                    }
                }
                // A control character: it must be escaped.
                _ => return None,
            }
        }
        // The quotes are ASCII, so the span starts and ends on character boundaries.
        let span = self.text.get(start..self.pos)?;
        self.pos += 1;
        Some((span, escaped))
    }

    /// Moves past the bytes of a string that stand for themselves, up to a quote, a backslash
    /// or a control character, eight at a time.
    fn skip_plain_string_bytes(&mut self) {
        while let Some(word) = self.bytes.get(self.pos..self.pos + 8) {
            let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            let stops = plain_run_ends(word);
            if stops != 0 {
                // The lowest flagged byte is always a real stop (see `plain_run_ends`).
                self.pos += (stops.trailing_zeros() / 8) as usize;
                return;
            }
            self.pos += 8;
        }
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                return;
            }
            self.pos += 1;
        }
    }

    /// A number: `Some(Some(n))` for a plain non-negative integer `n`, `Some(None)` for any
    /// other valid number without an exponent; `None` for an exponent (serde_json decides
    /// whether it is in range) or a syntax error.
    fn number(&mut self) -> Option<Option<u64>> {
        let negative = self.peek()? == b'-';
        if negative {
            self.pos += 1;
        }
        let start = self.pos;
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.pos += 1;
                }
            }
            _ => return None,
        }
        let digits = self.bytes.get(start..self.pos)?;
        if digits.len() > MAX_INTEGER_DIGITS {
            return None;
        }
        let mut plain = !negative;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            let fraction = self.pos;
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
            if self.pos == fraction {
                return None;
            }
            plain = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            return None;
        }
        if !plain {
            return Some(None);
        }
        let value = digits.iter().fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0'));
        Some(Some(value))
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos + word.len();
        (self.bytes.get(self.pos..end)? == word).then(|| self.pos = end)
    }
}

/// The high bit of each byte of `word` (read little-endian, so byte 0 is the lowest) that is
/// a quote, a backslash or below 0x20. A subtraction's borrow can also flag a byte *after* a
/// flagged one, never before: the lowest flag is exact, and so is a result of zero.
fn plain_run_ends(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    // A byte below n gets its high bit set by the subtraction (bytes of 0x80 and above are
    // masked out by `!word`).
    let below = |n: u64| word.wrapping_sub(ONES * n) & !word & HIGH_BITS;
    let equal = |byte: u8| {
        let x = word ^ (ONES * u64::from(byte));
        x.wrapping_sub(ONES) & !x & HIGH_BITS
    };
    below(0x20) | equal(b'"') | equal(b'\\')
}

/// `a == b` for the short names of tokens, compared in place rather than through `memcmp`.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// The member names of one object so far, each with a short fingerprint (length, first and
/// last byte) so that most comparisons are one integer compare.
struct Names<'de> {
    seen: [(u32, &'de str); MAX_MEMBERS],
    len: usize,
}

impl Default for Names<'_> {
    fn default() -> Self {
        Names { seen: [(0, ""); MAX_MEMBERS], len: 0 }
    }
}

impl<'de> Names<'de> {
    /// `None` for a duplicate, or one member too many for this scan.
    fn insert(&mut self, name: &'de str) -> Option<()> {
        let bytes = name.as_bytes();
        let first = bytes.first().copied().unwrap_or(0);
        let last = bytes.last().copied().unwrap_or(0);
        let fingerprint = (bytes.len() as u32) << 16 | u32::from(first) << 8 | u32::from(last);
        let seen = self.seen.get(..self.len)?;
        if seen.iter().any(|&(f, other)| f == fingerprint && same(other, name)) {
            return None;
        }
        *self.seen.get_mut(self.len)? = (fingerprint, name);
        self.len += 1;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_tokens_of_identity_providers() {
        let header = br#"{"alg":"RS256","typ":"JWT","kid":"k-1"}"#;
        let [alg, kid, crit] = scan(header, 32, ["alg", "kid", "crit"]).expect("fast");
        assert_eq!(alg, Some(Member::Str(Cow::Borrowed("RS256"))));
        assert_eq!(kid, Some(Member::Str(Cow::Borrowed("k-1"))));
        assert_eq!(crit, None);
        let claims = br#"{ "sub": "alice", "exp": 1700000000, "nbf": 0, "iat": 1.5,
            "aud": ["a", "b"], "realm_access": {"roles": ["x"]}, "ok": true, "n": null,
            "s": "a\"b\u00e9\n", "neg": -3 }"#;
        let [exp, nbf] = scan(claims, 32, ["exp", "nbf"]).expect("fast");
        assert_eq!(exp, Some(Member::Number(1_700_000_000u64.into())));
        assert_eq!(nbf, Some(Member::Number(0u64.into())));
        // A Keycloak access token has some twenty members.
        let many: Vec<String> = (0..MAX_MEMBERS).map(|i| format!("\"claim{i}\":{i}")).collect();
        assert!(scan(format!("{{{}}}", many.join(",")).as_bytes(), 32, ["exp"]).is_some());
    }

    #[test]
    fn leaves_unusual_shapes_to_serde_json() {
        for doc in [
            r#"{"a\u0062":1}"#,
            r#"{"exp":1e3}"#,
            r#"{"exp":-1}"#,
            r#"{"exp":1.5}"#,
            r#"{"kid":"a\u0062"}"#,
            r#"{"s":"\ud83d\ude00"}"#,
            r#"{"n":12345678901234567890}"#,
        ] {
            assert!(scan(doc.as_bytes(), 32, ["exp", "kid"]).is_none(), "{doc}");
        }
        let many: Vec<String> = (0..=MAX_MEMBERS).map(|i| format!("\"c{i}\":{i}")).collect();
        assert!(scan(format!("{{{}}}", many.join(",")).as_bytes(), 32, []).is_none());
        assert!(scan(br#"{"a":[[1]]}"#, 2, []).is_none());
        assert!(scan(br#"{"a":[[1]]}"#, 3, []).is_some());
    }

    #[test]
    fn plain_runs_end_at_quotes_backslashes_and_control_characters() {
        let word = |bytes: &[u8; 8]| u64::from_le_bytes(*bytes);
        assert_eq!(plain_run_ends(word(b"abcdefgh")), 0);
        assert_eq!(plain_run_ends(word(b"\x7f\x80\xff ~!#[")), 0);
        for stop in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for at in 0..8 {
                // Every other byte before it, and any stops after it.
                for after in [b'a', 0x00, b'"', 0x21, 0xff] {
                    let mut bytes = [b'a'; 8];
                    bytes[at] = stop;
                    for b in &mut bytes[at + 1..] {
                        *b = after;
                    }
                    let first = plain_run_ends(word(&bytes)).trailing_zeros() / 8;
                    assert_eq!(first as usize, at, "{stop} at {at}, then {after}");
                }
            }
        }
        // Strings longer than a word, with the quote anywhere.
        for len in 0..20 {
            let doc = format!("{{\"s\":\"{}\",\"t\":\"x\u{1}\"}}", "a".repeat(len));
            assert!(scan(doc.as_bytes(), 32, []).is_none(), "{len}");
            let doc = format!("{{\"s\":\"{}\"}}", "é".repeat(len));
            assert!(scan(doc.as_bytes(), 32, []).is_some(), "{len}");
        }
    }

    #[test]
    fn finds_duplicates_among_names_alike() {
        assert!(scan(br#"{"ab":1,"ab":2}"#, 32, []).is_none());
        assert!(scan(br#"{"axb":1,"ayb":2}"#, 32, []).is_some());
    }
}
