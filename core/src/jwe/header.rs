//! The JOSE header members that key management reads (RFC 7518 §4.6, §4.7, §4.8), checked
//! when the token is parsed, before any key is touched.

use aws_lc_rs::agreement::{ParsedPublicKey, UnparsedPublicKey};
use serde_json::{Map, Value};

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
            let epk = ephemeral_key(&epk_object(header, header_json, max_depth)?)?;
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

/// The `epk` member, which must be an object. The byte-level scan hands over its text (a few
/// members to parse); after the serde_json scan, which does not tell an object from other
/// values, the whole header is parsed for it.
fn epk_object(
    header: &Scanned<'_>,
    header_json: &[u8],
    max_depth: usize,
) -> Result<Map<String, Value>, JweError> {
    let not_object = || JweError::WrongType { member: "epk", expected: "an object" };
    match header.get("epk") {
        None => Err(JweError::Missing("epk")),
        // Part of a header that passed the limits, so within them on its own.
        Some(Member::Object(text)) => {
            json::parse_object(text.as_bytes(), max_depth).map_err(super::json_error)
        }
        Some(Member::Other) => {
            let mut whole =
                json::parse_object(header_json, max_depth).map_err(super::json_error)?;
            match whole.remove("epk") {
                Some(Value::Object(epk)) => Ok(epk),
                _ => Err(not_object()),
            }
        }
        Some(Member::Str(_) | Member::Number(_)) => Err(not_object()),
    }
}

/// The string member `member` of an `epk` object.
fn epk_string<'e>(
    epk: &'e Map<String, Value>,
    member: &'static str,
) -> Result<Option<&'e str>, JweError> {
    match epk.get(member) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JweError::WrongType { member, expected: "a string" }),
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
fn ephemeral_key(epk: &Map<String, Value>) -> Result<EphemeralKey, JweError> {
    let bad = |what: &str| JweError::BadEphemeralKey(what.to_owned());
    let kty = epk_string(epk, "kty")?.ok_or_else(|| bad("has no \"kty\""))?;
    let crv = epk_string(epk, "crv")?.ok_or_else(|| bad("has no \"crv\""))?;
    let curve = EcdhCurve::from_jwk(kty, crv).ok_or_else(|| {
        JweError::BadEphemeralKey(format!(
            "has unsupported kty {} and crv {}",
            escape(kty),
            escape(crv)
        ))
    })?;
    let len = curve.field_len();
    let coordinate = |member: &'static str| -> Result<Vec<u8>, JweError> {
        let s = epk_string(epk, member)?.ok_or_else(|| bad(&format!("has no \"{member}\"")))?;
        let bytes = base64url::decode(s.as_bytes())
            .map_err(|_| bad(&format!("member \"{member}\" is not base64url")))?;
        if bytes.len() != len {
            return Err(bad(&format!("member \"{member}\" has the wrong length")));
        }
        Ok(bytes)
    };
    let mut point = Vec::with_capacity(1 + 2 * len);
    if curve.is_okp() {
        point.extend_from_slice(&coordinate("x")?);
    } else {
        point.push(0x04);
        point.extend_from_slice(&coordinate("x")?);
        point.extend_from_slice(&coordinate("y")?);
    }
    let public = ParsedPublicKey::try_from(UnparsedPublicKey::new(curve.agreement(), &point))
        .map_err(|_| JweError::BadEphemeralKey(format!("is not a point on {}", curve.crv())))?;
    Ok(EphemeralKey { curve, public })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epk_of(header: &str) -> Result<Map<String, Value>, JweError> {
        let members = json::scan_object(header.as_bytes(), 32, SCANNED).expect("a valid header");
        epk_object(&Scanned::of(members), header.as_bytes(), 32)
    }

    #[test]
    fn epk_is_read_from_either_scan() {
        let epk = r#"{"kty":"EC","crv":"P-256","x":"AA","y":"AQ"}"#;
        // Plain names: the byte-level scan hands over the object's text.
        let fast = epk_of(&format!(r#"{{"alg":"ECDH-ES","epk":{epk}}}"#)).unwrap();
        // An escaped name sends the header to the serde_json scan, which parses it whole.
        let full = epk_of(&format!(r#"{{"\u0061lg":"ECDH-ES","epk":{epk}}}"#)).unwrap();
        assert_eq!(fast, full);
        assert_eq!(fast["crv"], "P-256");
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
