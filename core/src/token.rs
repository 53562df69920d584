//! The compact JWS serialization (RFC 7515 §7.1) of a JWT, and the Bearer scheme that usually
//! carries it (RFC 6750 §2.1).

use std::fmt;

use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::base64url;
use crate::error::{escape, Part, Rejection};
use crate::fields::TokenFields;
use crate::json::{self, JsonError};
use crate::Limits;

/// A token whose structure has been checked but whose signature may not yet be.
///
/// Holding a `Jws` proves only that the token is well formed and names a supported algorithm;
/// [`crate::verify_signature`] and [`crate::check_time`] decide whether to trust it.
pub struct Jws<'a> {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    alg: Algorithm,
    /// `BASE64URL(header) '.' BASE64URL(payload)`, exactly as received: the signature covers
    /// these bytes, not a re-encoding of the parsed JSON.
    signing_input: &'a [u8],
    signature: Vec<u8>,
}

impl<'a> Jws<'a> {
    /// Splits, decodes and checks a compact JWS. Refuses anything that is not a signed JWT
    /// with a JSON object header and payload and a supported `alg`.
    pub fn parse(token: &'a [u8], limits: &Limits) -> Result<Self, Rejection> {
        if token.len() > limits.max_token_bytes {
            return Err(Rejection::TooLong { limit: limits.max_token_bytes });
        }

        // memchr finds the dots many bytes at a time. Counted by callgrind on an RS256
        // request: the byte-by-byte split took ~3,500 instructions of our ~25,000, memchr
        // ~150.
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

        let header = decode_object(Part::Header, header_b64, limits)?;
        let alg = check_header(&header)?;
        let claims = decode_object(Part::Payload, payload_b64, limits)?;
        let signature = base64url::decode(signature_b64)
            .map_err(|e| Rejection::Base64 { part: Part::Signature, reason: e.reason() })?;

        // Both parts and the dot between them.
        let signing_input = &token[..second];

        Ok(Jws { header, claims, alg, signing_input, signature })
    }

    /// The algorithm named by the header.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The header's `kid`, if it has one.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        // `check_header` made sure that a `kid` member is a string.
        self.header.get("kid").and_then(Value::as_str)
    }

    /// The JOSE header.
    #[must_use]
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The JWT claims set (the payload).
    #[must_use]
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The header and claims, owned, for use as variables once the token has been judged.
    #[must_use]
    pub fn into_fields(self) -> TokenFields {
        TokenFields::new(self.header, self.claims)
    }

    pub(crate) fn signing_input(&self) -> &[u8] {
        self.signing_input
    }

    pub(crate) fn signature(&self) -> &[u8] {
        &self.signature
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

fn decode_object(part: Part, b64: &[u8], limits: &Limits) -> Result<Map<String, Value>, Rejection> {
    let bytes =
        base64url::decode(b64).map_err(|e| Rejection::Base64 { part, reason: e.reason() })?;
    json::parse_object(&bytes, limits.max_json_depth).map_err(|e| match e {
        JsonError::Syntax(detail) => Rejection::Json { part, detail },
        JsonError::NotObject => Rejection::NotObject(part),
        JsonError::DuplicateMember => Rejection::DuplicateMember(part),
        JsonError::TooDeep(limit) => Rejection::TooDeep { part, limit },
    })
}

/// Checks the JOSE header members we act on. `jku`, `x5u`, `x5c` and `jwk` are ignored on
/// purpose: trusting a key named or embedded by the token itself would let anyone sign.
fn check_header(header: &Map<String, Value>) -> Result<Algorithm, Rejection> {
    let alg = match header.get("alg") {
        None => return Err(Rejection::MissingAlg),
        Some(Value::String(name)) if is_none_alg(name) => {
            return Err(Rejection::AlgNone { alg: escape(name) })
        }
        Some(Value::String(name)) => Algorithm::from_name(name)
            .ok_or_else(|| Rejection::UnsupportedAlg { alg: escape(name) })?,
        Some(_) => return Err(Rejection::AlgNotString),
    };
    // RFC 7515 §4.1.11: a recipient that does not understand a listed extension must refuse
    // the token, and we understand none (not even `b64`, RFC 7797).
    if header.contains_key("crit") {
        return Err(Rejection::Crit);
    }
    match header.get("kid") {
        None | Some(Value::String(_)) => Ok(alg),
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
    match decode_object(Part::Header, header_b64, limits) {
        Ok(header) => match header.get("alg") {
            Some(Value::String(name)) if is_none_alg(name) => {
                Rejection::AlgNone { alg: escape(name) }
            }
            _ => Rejection::EmptyPart(Part::Signature),
        },
        Err(_) => Rejection::EmptyPart(Part::Signature),
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
    const SCHEME: &[u8] = b"Bearer";
    let scheme = authorization.get(..SCHEME.len())?;
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    let rest = authorization.get(SCHEME.len()..)?;
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
}
