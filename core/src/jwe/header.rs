//! The JOSE header members that key management reads (RFC 7518 §4.6, §4.7, §4.8), checked
//! when the token is parsed, before any key is touched.

use std::borrow::Cow;

use aws_lc_rs::agreement::{ParsedPublicKey, UnparsedPublicKey};
use serde_json::Value;

use crate::base64url;
use crate::error::escape;
use crate::json::{self, Member};

use super::algorithms::KeyAlgorithm;
use super::error::JweError;
use super::keys::EcdhCurve;

/// Longest `apu`/`apv` accepted (decoded). They name the parties, typically a few dozen bytes.
const MAX_PARTY_INFO_BYTES: usize = 256;
/// Longest `p2s` accepted (decoded); RFC 7518 §4.8.1.1 asks for at least 8.
const MAX_SALT_BYTES: usize = 256;
const MIN_SALT_BYTES: usize = 8;
const GCM_IV_BYTES: usize = 12;
const GCM_TAG_BYTES: usize = 16;

/// An ECDH-ES ephemeral public key that is a valid point of its curve.
#[derive(Clone)]
pub(crate) struct EphemeralKey {
    pub(crate) curve: EcdhCurve,
    pub(crate) public: ParsedPublicKey,
}

/// The per-algorithm inputs of key management.
#[derive(Clone)]
pub(crate) enum KeyParams {
    None,
    Ecdh { epk: EphemeralKey, apu: Vec<u8>, apv: Vec<u8> },
    GcmKw { iv: [u8; GCM_IV_BYTES], tag: [u8; GCM_TAG_BYTES] },
    Pbes2 { salt: Vec<u8>, count: u32 },
}

impl KeyParams {
    pub(crate) fn epk_curve(&self) -> Option<EcdhCurve> {
        match self {
            KeyParams::Ecdh { epk, .. } => Some(epk.curve),
            _ => None,
        }
    }
}

/// The header members the checks and key management read, found by one scan of the header
/// (`json::scan_object`) without building it.
pub(crate) const SCANNED: [&str; 14] = [
    "alg", "enc", "crit", "zip", "kid", "cty", "typ", "epk", "apu", "apv", "iv", "tag", "p2s",
    "p2c",
];

/// The members of [`SCANNED`] a header has.
pub(crate) struct Scanned<'h> {
    members: [Option<Member<'h>>; SCANNED.len()],
}

impl<'h> Scanned<'h> {
    pub(crate) fn of(members: [Option<Member<'h>>; SCANNED.len()]) -> Scanned<'h> {
        Scanned { members }
    }

    fn get(&self, name: &str) -> Option<&Member<'h>> {
        let index = SCANNED.iter().position(|&scanned| scanned == name)?;
        self.members.get(index)?.as_ref()
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The member `name` as a string: `None` when absent, an error when not a string.
    pub(crate) fn string(&self, member: &'static str) -> Result<Option<&str>, JweError> {
        match self.get(member) {
            None => Ok(None),
            Some(Member::Str(s)) => Ok(Some(s)),
            Some(_) => Err(JweError::WrongType { member, expected: "a string" }),
        }
    }
}

/// Reads the members `alg` needs. `header_json` is the header's text, for the `epk` object of
/// ECDH-ES; `max_depth` its depth limit. `max_pbes2_count` is
/// [`super::JweLimits::max_pbes2_count`].
pub(crate) fn key_params(
    header: &Scanned<'_>,
    header_json: &[u8],
    max_depth: usize,
    alg: KeyAlgorithm,
    max_pbes2_count: u32,
) -> Result<KeyParams, JweError> {
    match alg {
        KeyAlgorithm::Dir | KeyAlgorithm::AesKw(_) | KeyAlgorithm::RsaOaep(_) => {
            Ok(KeyParams::None)
        }
        KeyAlgorithm::EcdhEs | KeyAlgorithm::EcdhEsKw(_) => {
            let epk = ephemeral_key_of(header, header_json, max_depth)?;
            let apu = optional_bytes(header, "apu", MAX_PARTY_INFO_BYTES)?;
            let apv = optional_bytes(header, "apv", MAX_PARTY_INFO_BYTES)?;
            Ok(KeyParams::Ecdh { epk, apu, apv })
        }
        KeyAlgorithm::AesGcmKw(_) => {
            let iv = fixed::<GCM_IV_BYTES>(header, "iv", "header \"iv\"", alg)?;
            let tag = fixed::<GCM_TAG_BYTES>(header, "tag", "header \"tag\"", alg)?;
            Ok(KeyParams::GcmKw { iv, tag })
        }
        KeyAlgorithm::Pbes2(..) => {
            let salt = required_bytes(header, "p2s", MAX_SALT_BYTES)?;
            if salt.len() < MIN_SALT_BYTES {
                return Err(JweError::Pbes2SaltTooShort(salt.len()));
            }
            let positive = || JweError::WrongType { member: "p2c", expected: "a positive integer" };
            let count = match header.get("p2c") {
                None => return Err(JweError::Missing("p2c")),
                Some(Member::Number(n)) => n.as_u64().ok_or_else(positive)?,
                Some(_) => return Err(positive()),
            };
            if count == 0 {
                return Err(JweError::Pbes2CountZero);
            }
            if count > u64::from(max_pbes2_count) {
                return Err(JweError::Pbes2CountTooHigh { got: count, limit: max_pbes2_count });
            }
            // Fits: bounded by a u32 just above.
            Ok(KeyParams::Pbes2 { salt, count: u32::try_from(count).unwrap_or(max_pbes2_count) })
        }
    }
}

/// The members of an `epk` object that make the key, in the order they are checked.
const EPK_MEMBERS: [&str; 4] = ["kty", "crv", "x", "y"];

/// The key of the `epk` member, which must be an object. The byte-level scan hands over its
/// text, which is scanned for the members of the key (checked by the same JSON rules, no map
/// built); after the serde_json scan, which does not tell an object from other values, the
/// whole header is parsed for it.
fn ephemeral_key_of(
    header: &Scanned<'_>,
    header_json: &[u8],
    max_depth: usize,
) -> Result<EphemeralKey, JweError> {
    let not_object = || JweError::WrongType { member: "epk", expected: "an object" };
    match header.get("epk") {
        None => Err(JweError::Missing("epk")),
        // Part of a header that passed the limits, so within them on its own.
        Some(Member::Object(text)) => {
            let members = json::scan_object(text.as_bytes(), max_depth, EPK_MEMBERS)
                .map_err(super::json_error)?;
            ephemeral_key(&members)
        }
        Some(Member::Other) => {
            let whole = json::parse_object(header_json, max_depth).map_err(super::json_error)?;
            match whole.get("epk") {
                Some(Value::Object(epk)) => ephemeral_key(&EPK_MEMBERS.map(|name| {
                    epk.get(name).map(|value| match value {
                        Value::String(s) => Member::Str(Cow::Borrowed(s)),
                        _ => Member::Other,
                    })
                })),
                _ => Err(not_object()),
            }
        }
        Some(Member::Str(_) | Member::Number(_)) => Err(not_object()),
    }
}

fn optional_bytes(
    header: &Scanned<'_>,
    member: &'static str,
    limit: usize,
) -> Result<Vec<u8>, JweError> {
    let Some(b64) = header.string(member)? else { return Ok(Vec::new()) };
    // Checked on the encoded length first, so an oversized member is never decoded.
    if b64.len() > limit.div_ceil(3) * 4 {
        // The decoded length of a canonical encoding.
        return Err(JweError::MemberTooLong { member, got: b64.len() * 3 / 4, limit });
    }
    let bytes = base64url::decode(b64.as_bytes())
        .map_err(|_| JweError::WrongType { member, expected: "base64url" })?;
    if bytes.len() > limit {
        return Err(JweError::MemberTooLong { member, got: bytes.len(), limit });
    }
    Ok(bytes)
}

fn required_bytes(
    header: &Scanned<'_>,
    member: &'static str,
    limit: usize,
) -> Result<Vec<u8>, JweError> {
    if !header.has(member) {
        return Err(JweError::Missing(member));
    }
    optional_bytes(header, member, limit)
}

fn fixed<const N: usize>(
    header: &Scanned<'_>,
    member: &'static str,
    shown: &'static str,
    alg: KeyAlgorithm,
) -> Result<[u8; N], JweError> {
    let bytes = required_bytes(header, member, N)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| JweError::Length {
        part: shown,
        got: bytes.len(),
        expected: N,
        alg: alg.name(),
    })
}

/// Parses `epk` and checks that it is a point of its curve: aws-lc-rs decodes the point with
/// the curve equation check, which is what defeats the invalid-curve attack (a point of a
/// weak twist curve would leak the private key bit by bit). Whether the curve is the one of
/// our key is checked when candidate keys are chosen.
fn ephemeral_key(epk: &[Option<Member<'_>>; EPK_MEMBERS.len()]) -> Result<EphemeralKey, JweError> {
    let bad = |what: &str| JweError::BadEphemeralKey(what.to_owned());
    // The string member at `index` of `EPK_MEMBERS`; `None` when absent.
    let string = |index: usize| match &epk[index] {
        None => Ok(None),
        Some(Member::Str(s)) => Ok(Some(&**s)),
        Some(_) => Err(JweError::WrongType { member: EPK_MEMBERS[index], expected: "a string" }),
    };
    let kty = string(0)?.ok_or_else(|| bad("has no \"kty\""))?;
    let crv = string(1)?.ok_or_else(|| bad("has no \"crv\""))?;
    let curve = EcdhCurve::from_jwk(kty, crv).ok_or_else(|| {
        JweError::BadEphemeralKey(format!(
            "has unsupported kty {} and crv {}",
            escape(kty),
            escape(crv)
        ))
    })?;
    let len = curve.field_len();
    let coordinate = |index: usize| -> Result<Vec<u8>, JweError> {
        let member = EPK_MEMBERS[index];
        let s = string(index)?.ok_or_else(|| bad(&format!("has no \"{member}\"")))?;
        let bytes = base64url::decode(s.as_bytes())
            .map_err(|_| bad(&format!("member \"{member}\" is not base64url")))?;
        if bytes.len() != len {
            return Err(bad(&format!("member \"{member}\" has the wrong length")));
        }
        Ok(bytes)
    };
    let mut point = Vec::with_capacity(1 + 2 * len);
    if curve.is_okp() {
        point.extend_from_slice(&coordinate(2)?);
    } else {
        point.push(0x04);
        point.extend_from_slice(&coordinate(2)?);
        point.extend_from_slice(&coordinate(3)?);
    }
    let public = ParsedPublicKey::try_from(UnparsedPublicKey::new(curve.agreement(), &point))
        .map_err(|_| JweError::BadEphemeralKey(format!("is not a point on {}", curve.crv())))?;
    Ok(EphemeralKey { curve, public })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epk_of(header: &str) -> Result<EcdhCurve, JweError> {
        let members = json::scan_object(header.as_bytes(), 32, SCANNED).expect("a valid header");
        ephemeral_key_of(&Scanned::of(members), header.as_bytes(), 32).map(|key| key.curve)
    }

    /// A P-256 point (the generator), as an `epk` with `extra` members after its own.
    fn p256_epk(extra: &str) -> String {
        let x = "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY";
        let y = "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU";
        format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}"{extra}}}"#)
    }

    #[test]
    fn epk_is_read_from_either_scan() {
        for epk in [p256_epk(""), p256_epk(r#","kid":"e\u0070k""#)] {
            // Plain names: the byte-level scan hands over the object's text.
            let fast = epk_of(&format!(r#"{{"alg":"ECDH-ES","epk":{epk}}}"#));
            // An escaped name sends the header to the serde_json scan, which parses it whole.
            let full = epk_of(&format!(r#"{{"\u0061lg":"ECDH-ES","epk":{epk}}}"#));
            assert_eq!(fast, Ok(EcdhCurve::P256), "{epk}");
            assert_eq!(full, fast, "{epk}");
        }
    }

    /// The same errors, worded the same, whichever scan read the header.
    #[test]
    fn epk_members_are_checked_alike_by_either_scan() {
        let wrong = |member| Err(JweError::WrongType { member, expected: "a string" });
        let bad = |what: &str| Err(JweError::BadEphemeralKey(what.to_owned()));
        for (epk, expected) in [
            (r#"{"crv":"P-256","x":"AA","y":"AQ"}"#.to_owned(), bad("has no \"kty\"")),
            (r#"{"kty":1,"crv":"P-256"}"#.to_owned(), wrong("kty")),
            (r#"{"kty":"EC","crv":["P-256"]}"#.to_owned(), wrong("crv")),
            (r#"{"kty":"EC","crv":"P-256","x":null}"#.to_owned(), wrong("x")),
            (
                r#"{"kty":"EC","crv":"P-256","x":"AA"}"#.to_owned(),
                bad("member \"x\" has the wrong length"),
            ),
            (p256_epk("").replace(r#""y":"#, r#""z":"#), bad("has no \"y\"")),
            (p256_epk("").replace("T-NC", "U-NC"), bad("is not a point on P-256")),
        ] {
            let fast = epk_of(&format!(r#"{{"alg":"ECDH-ES","epk":{epk}}}"#));
            let full = epk_of(&format!(r#"{{"\u0061lg":"ECDH-ES","epk":{epk}}}"#));
            assert_eq!(fast, expected, "{epk}");
            assert_eq!(full, expected, "{epk}");
        }
    }

    #[test]
    fn epk_must_be_an_object() {
        for header in [
            r#"{"epk":"x"}"#,
            r#"{"epk":[1]}"#,
            r#"{"epk":null}"#,
            r#"{"epk":3}"#,
            r#"{"\u0065pk":[1]}"#,
            r#"{"e":"\u0061","epk":true}"#,
        ] {
            let expected = JweError::WrongType { member: "epk", expected: "an object" };
            assert_eq!(epk_of(header), Err(expected), "{header}");
        }
        assert_eq!(epk_of(r#"{"alg":"ECDH-ES"}"#), Err(JweError::Missing("epk")));
    }
}
