//! The compact JWS serialization (RFC 7515 §7.1) of a JWT, and the Bearer scheme that usually
//! carries it (RFC 6750 §2.1).

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::base64url;
use crate::claims::TimeBounds;
use crate::error::{escape, Part, Rejection};
use crate::fields::TokenFields;
use crate::json::{self, CheckedObject, JsonError, Member};
use crate::Limits;

/// A token whose structure has been checked but whose signature may not yet be.
///
/// Holding a `Jws` proves only that the token is well formed and names a supported algorithm;
/// [`crate::verify_signature`] and [`crate::check_time`] decide whether to trust it. The header
/// and claims are checked by the JSON rules without being built; the members the verdict
/// needs are read on the way, the rest when something asks for them.
pub struct Jws<'a> {
    header: CheckedObject,
    claims: CheckedObject,
    alg: Algorithm,
    kid: Kid,
    /// `exp` and `nbf`, or why they are not times: reported when the times are checked, after
    /// the keys, as when the claims were read then.
    times: Result<TimeBounds, Rejection>,
    /// `BASE64URL(header) '.' BASE64URL(payload)`, exactly as received: the signature covers
    /// these bytes, not a re-encoding of the parsed JSON.
    signing_input: &'a [u8],
    signature: Vec<u8>,
}

/// The header's `kid`: usually a span of the decoded header, unescaped on its own when the
/// token spelled it with escapes.
enum Kid {
    Absent,
    InHeader(Range<usize>),
    Unescaped(Box<str>),
}

impl<'a> Jws<'a> {
    /// Splits, decodes and checks a compact JWS. Refuses anything that is not a signed JWT
    /// with a JSON object header and payload and a supported `alg`.
    pub fn parse(token: &'a [u8], limits: &Limits) -> Result<Self, Rejection> {
        if token.len() > limits.max_token_bytes {
            return Err(Rejection::TooLong { limit: limits.max_token_bytes });
        }

        // memchr finds the dots many bytes at a time; a byte-by-byte split costs a request
        // more than the whole JSON check does.
        let mut dots = memchr::memchr_iter(b'.', token);
        let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
            // A JWE compact serialization has five parts (RFC 7516 §7.1).
            return Err(if memchr::memchr_iter(b'.', token).count() == 4 {
                Rejection::Encrypted
            } else {
                Rejection::PartCount
            });
        };
        let (header_b64, payload_b64, signature_b64) =
            (&token[..first], &token[first + 1..second], &token[second + 1..]);
        for (part, b64) in [
            (Part::Header, header_b64),
            (Part::Payload, payload_b64),
            (Part::Signature, signature_b64),
        ] {
            if b64.is_empty() {
                // An empty signature is what an `alg: none` token looks like: say so, rather
                // than report a missing part the sender left out on purpose.
                if part == Part::Signature {
                    return Err(unsigned_rejection(header_b64, limits));
                }
                return Err(Rejection::EmptyPart(part));
            }
        }

        let header = decode(Part::Header, header_b64)?;
        let [alg, kid, crit] = scan(Part::Header, &header, limits, ["alg", "kid", "crit"])?;
        let alg = check_header(alg.as_ref(), kid.as_ref(), crit.is_some())?;
        let kid = Kid::of(kid, &header);
        let (claims, times) = checked_claims(decode(Part::Payload, payload_b64)?, limits)?;
        let signature = base64url::decode(signature_b64)
            .map_err(|e| Rejection::Base64 { part: Part::Signature, reason: e.reason() })?;

        // Both parts and the dot between them.
        let signing_input = &token[..second];

        Ok(Jws {
            header: CheckedObject::from_checked_json(header),
            claims,
            alg,
            kid,
            times,
            signing_input,
            signature,
        })
    }

    /// The algorithm named by the header.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The header's `kid`, if it has one.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        match &self.kid {
            Kid::Absent => None,
            // The span is a whole JSON string without escapes, so UTF-8 on its own.
            Kid::InHeader(span) => std::str::from_utf8(self.header.json().get(span.clone())?).ok(),
            Kid::Unescaped(kid) => Some(kid),
        }
    }

    /// The JOSE header (parsed into values on the first call).
    #[must_use]
    pub fn header(&self) -> &Map<String, Value> {
        self.header.values()
    }

    /// The JWT claims set, the payload (parsed into values on the first call).
    #[must_use]
    pub fn claims(&self) -> &Map<String, Value> {
        self.claims.values()
    }

    /// Checks `exp` and `nbf` against `now` (unix seconds) with `leeway_secs` of skew either
    /// way; see [`crate::check_time`].
    pub fn check_time(&self, now: i64, leeway_secs: u64) -> Result<(), Rejection> {
        self.time_bounds()?.check(now, leeway_secs)
    }

    pub(crate) fn time_bounds(&self) -> Result<TimeBounds, Rejection> {
        self.times.clone()
    }

    /// The header and claims, owned, for use as variables once the token has been judged.
    #[must_use]
    pub fn into_fields(self) -> TokenFields {
        TokenFields::from_checked(self.header, self.claims, self.times, Some(self.alg))
    }

    pub(crate) fn signing_input(&self) -> &[u8] {
        self.signing_input
    }

    pub(crate) fn signature(&self) -> &[u8] {
        &self.signature
    }
}

impl Kid {
    /// Where `member` (the header's `kid`, known to be a string or absent) is in `header`.
    fn of(member: Option<Member<'_>>, header: &[u8]) -> Kid {
        match member {
            Some(Member::Str(Cow::Borrowed(kid))) => {
                // A borrowed string lies inside the text it was read from.
                let start = (kid.as_ptr() as usize).wrapping_sub(header.as_ptr() as usize);
                Kid::InHeader(start..start + kid.len())
            }
            Some(Member::Str(Cow::Owned(kid))) => Kid::Unescaped(kid.into_boxed_str()),
            Some(_) | None => Kid::Absent,
        }
    }
}

/// Never prints the claims or the signature: a `{:?}` in a log line must not leak the token.
impl fmt::Debug for Jws<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jws")
            .field("alg", &self.alg)
            .field("kid", &self.kid())
            .finish_non_exhaustive()
    }
}

fn decode(part: Part, b64: &[u8]) -> Result<Vec<u8>, Rejection> {
    base64url::decode(b64).map_err(|e| Rejection::Base64 { part, reason: e.reason() })
}

/// Checks a decoded part by the JSON rules of a token and returns the members named.
fn scan<'j, const N: usize>(
    part: Part,
    json: &'j [u8],
    limits: &Limits,
    names: [&str; N],
) -> Result<[Option<Member<'j>>; N], Rejection> {
    json::scan_object(json, limits.max_json_depth, names).map_err(|e| json_rejection(part, e))
}

/// A decoded claims set (of a JWS, or the plaintext of an encrypted token) checked by the JSON
/// rules, and its `exp` and `nbf`: the bounds, or why they are not times (reported when the
/// times are checked).
pub(crate) fn checked_claims(
    json: Vec<u8>,
    limits: &Limits,
) -> Result<(CheckedObject, Result<TimeBounds, Rejection>), Rejection> {
    let [exp, nbf] = scan(Part::Payload, &json, limits, ["exp", "nbf"])?;
    let times = TimeBounds::from_members(exp.as_ref(), nbf.as_ref());
    Ok((CheckedObject::from_checked_json(json), times))
}

fn json_rejection(part: Part, error: JsonError) -> Rejection {
    match error {
        JsonError::Syntax(detail) => Rejection::Json { part, detail },
        JsonError::NotObject => Rejection::NotObject(part),
        JsonError::DuplicateMember => Rejection::DuplicateMember(part),
        JsonError::TooDeep(limit) => Rejection::TooDeep { part, limit },
    }
}

/// Checks the JOSE header members we act on. `jku`, `x5u`, `x5c` and `jwk` are ignored on
/// purpose: trusting a key named or embedded by the token itself would let anyone sign.
fn check_header(
    alg: Option<&Member<'_>>,
    kid: Option<&Member<'_>>,
    has_crit: bool,
) -> Result<Algorithm, Rejection> {
    let alg = match alg {
        None => return Err(Rejection::MissingAlg),
        Some(Member::Str(name)) if is_none_alg(name) => {
            return Err(Rejection::AlgNone { alg: escape(name) })
        }
        Some(Member::Str(name)) => Algorithm::from_name(name)
            .ok_or_else(|| Rejection::UnsupportedAlg { alg: escape(name) })?,
        Some(_) => return Err(Rejection::AlgNotString),
    };
    // RFC 7515 §4.1.11: a recipient that does not understand a listed extension must refuse
    // the token, and we understand none (not even `b64`, RFC 7797).
    if has_crit {
        return Err(Rejection::Crit);
    }
    match kid {
        None | Some(Member::Str(_)) => Ok(alg),
        Some(_) => Err(Rejection::KidNotString),
    }
}

/// `none` in any spelling: RFC 7518's "no digital signature or MAC".
fn is_none_alg(name: &str) -> bool {
    name.eq_ignore_ascii_case("none")
}

/// The refusal of a token with an empty signature: [`Rejection::AlgNone`] when its header is
/// well formed and says `alg: none`, else the empty part.
fn unsigned_rejection(header_b64: &[u8], limits: &Limits) -> Rejection {
    let Ok(header) = decode(Part::Header, header_b64) else {
        return Rejection::EmptyPart(Part::Signature);
    };
    match scan(Part::Header, &header, limits, ["alg"]) {
        Ok([Some(Member::Str(name))]) if is_none_alg(&name) => {
            Rejection::AlgNone { alg: escape(&name) }
        }
        _ => Rejection::EmptyPart(Part::Signature),
    }
}

/// Extracts the token from an `Authorization` header value: scheme `Bearer` matched
/// case-insensitively (RFC 7235 §2.1), then one or more spaces (RFC 6750 `1*SP`), then the
/// token; trailing spaces and tabs are trimmed. Returns `None` when the scheme is not Bearer
/// or nothing follows it.
///
/// The token itself is not checked against the `b64token` grammar: `Jws::parse` is stricter.
///
/// ```
/// use auth_jwt_core::bearer_token;
/// assert_eq!(bearer_token(b"bearer  a.b.c \t"), Some(&b"a.b.c"[..]));
/// assert_eq!(bearer_token(b"Bearer "), None);
/// assert_eq!(bearer_token(b"Basic dXNlcjpwYXNz"), None);
/// ```
#[must_use]
pub fn bearer_token(authorization: &[u8]) -> Option<&[u8]> {
    // Setting bit 5 lower-cases an ASCII letter and turns no other byte into one, so
    // comparing the folded bytes with "bearer" is the case-insensitive comparison, in a few
    // instructions instead of a byte loop (this runs on every request).
    const SCHEME: u64 = u64::from_le_bytes(*b"bearer\0\0");
    const FOLD: u64 = 0x2020_2020_2020;
    let (&[a, b, c, d, e, f], rest) = authorization.split_first_chunk::<6>()?;
    if u64::from_le_bytes([a, b, c, d, e, f, 0, 0]) | FOLD != SCHEME {
        return None;
    }
    // The usual form, one space and nothing after the token, without a scan for spaces.
    if let [b' ', first, .., last] = rest {
        if *first != b' ' && *last != b' ' && *last != b'\t' {
            return rest.get(1..);
        }
    }
    // "Bearerx" is another scheme, not Bearer without a separator.
    if rest.first() != Some(&b' ') {
        return None;
    }
    let start = rest.iter().position(|&b| b != b' ')?;
    let end = rest.iter().rposition(|&b| b != b' ' && b != b'\t')?;
    rest.get(start..=end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_edge_cases() {
        assert_eq!(bearer_token(b"Bearer tok"), Some(&b"tok"[..]));
        assert_eq!(bearer_token(b"bearer  tok"), Some(&b"tok"[..]));
        assert_eq!(bearer_token(b"BEARER tok"), Some(&b"tok"[..]));
        assert_eq!(bearer_token(b"Bearer tok  "), Some(&b"tok"[..]));
        assert_eq!(bearer_token(b"Bearer tok \t "), Some(&b"tok"[..]));
        assert_eq!(bearer_token(b"Bearer a.b.c"), Some(&b"a.b.c"[..]));
        assert_eq!(bearer_token(b"Bearer"), None);
        assert_eq!(bearer_token(b"Bearer "), None);
        assert_eq!(bearer_token(b"Bearer   "), None);
        assert_eq!(bearer_token(b"Bearer \t"), None);
        assert_eq!(bearer_token(b"Bearer\ttok"), None);
        assert_eq!(bearer_token(b"Bearertok"), None);
        assert_eq!(bearer_token(b"Basic x"), None);
        assert_eq!(bearer_token(b"Bear"), None);
        assert_eq!(bearer_token(b""), None);
        assert_eq!(bearer_token(b" Bearer tok"), None);
        assert_eq!(bearer_token(b"Bearer\xff\xfe tok"), None);
        // Spaces inside the credentials are left for the parser to refuse.
        assert_eq!(bearer_token(b"Bearer a b"), Some(&b"a b"[..]));
    }

    #[test]
    fn the_scheme_matches_exactly_its_letters_in_either_case() {
        for position in 0..6 {
            for byte in 0..=255u8 {
                let mut header = b"Bearer tok".to_vec();
                header[position] = byte;
                let letter = b"bearer"[position];
                let same = byte == letter || byte == letter.to_ascii_uppercase();
                assert_eq!(bearer_token(&header).is_some(), same, "{position}: {byte:#04x}");
            }
        }
    }
}
