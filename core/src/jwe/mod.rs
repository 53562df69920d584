//! Encrypted tokens: the JWE compact serialization (RFC 7516 §7.1) and its decryption with the
//! algorithms of RFC 7518 that NGINX Plus and Apigee accept (see `docs/jwe.md`).
//!
//! Use: [`Jwe::parse`] checks the structure, the sizes and the header before any key is
//! touched; [`decrypt`] tries the candidate keys of a [`DecryptionKeys`] set and returns the
//! [`Plaintext`]: the claims set, or for a nested token (`cty: JWT`) a JWS to verify next.
//!
//! Files: `algorithms` (names and sizes), `header` (the members key management reads),
//! `keys` (decryption keys from JWK Sets), `key_management` (CEK per `alg`), `content`
//! (decryption per `enc`), `error`.

mod algorithms;
mod content;
mod error;
mod header;
mod key_management;
mod keys;

use std::fmt;

use serde_json::{Map, Value};

use crate::base64url;
use crate::error::escape;
use crate::json::{self, CheckedObject, JsonError};

pub use algorithms::{AesSize, ContentEncryption, KeyAlgorithm, OaepHash, Pbes2Hash};
pub use error::{DecryptionKeyError, DecryptionKeyProblem, JweError, JwePart};
pub use keys::DecryptionKeys;

use content::Sealed;
use header::{KeyParams, Scanned};

/// Longest base64url initialization vector accepted: 16 bytes (CBC); GCM's is 12.
const MAX_IV_CHARS: usize = 22;
/// Longest base64url tag accepted: 32 bytes (A256CBC-HS512).
const MAX_TAG_CHARS: usize = 43;

/// Resource limits for one encrypted token, checked on the encoded parts before any decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JweLimits {
    /// Longest protected header, in base64url characters (default 4096).
    pub max_header_chars: usize,
    /// Longest encrypted key, in base64url characters (default 1366: an RSA-8192 block).
    pub max_encrypted_key_chars: usize,
    /// Longest ciphertext, in base64url characters (default 16384).
    pub max_ciphertext_chars: usize,
    /// Deepest JSON nesting of the header (default 32, as for JWS).
    pub max_json_depth: usize,
    /// Highest PBES2 iteration count `p2c` accepted (default [`DEFAULT_MAX_PBES2_COUNT`]).
    pub max_pbes2_count: u32,
}

/// Default cap on `p2c`. PBKDF2 costs `p2c` HMAC pairs per candidate key; at this count one
/// token costs a few milliseconds of one core at worst (docs/jwe.md has the measured figure),
/// while the counts issuers use still pass (jwcrypto mints 8192; RFC 7518 §4.8.1.2 recommends
/// at least 1000).
pub const DEFAULT_MAX_PBES2_COUNT: u32 = 10_000;

impl Default for JweLimits {
    fn default() -> Self {
        JweLimits {
            max_header_chars: 4096,
            max_encrypted_key_chars: 1366,
            max_ciphertext_chars: 16384,
            max_json_depth: 32,
            max_pbes2_count: DEFAULT_MAX_PBES2_COUNT,
        }
    }
}

impl JweLimits {
    /// The limits that follow from the signed-token [`crate::Limits`]: the same JSON depth, and
    /// a ciphertext no longer than a whole token may be.
    #[must_use]
    pub fn from_token_limits(limits: &crate::Limits) -> JweLimits {
        JweLimits {
            max_ciphertext_chars: limits.max_token_bytes,
            max_json_depth: limits.max_json_depth,
            ..JweLimits::default()
        }
    }
}

/// Whether a compact token has the five parts of a JWE (four dots), for callers that must
/// tell an encrypted token from a signed one before parsing either.
#[must_use]
pub fn looks_encrypted(token: &[u8]) -> bool {
    memchr::memchr_iter(b'.', token).count() == 4
}

/// An encrypted token whose structure and header have been checked, not yet decrypted.
pub struct Jwe<'a> {
    /// The protected header, checked; parsed into values only when read (variables).
    header: CheckedObject,
    kid: Option<String>,
    nested: bool,
    alg: KeyAlgorithm,
    enc: ContentEncryption,
    params: KeyParams,
    /// The protected header exactly as received: the AAD of the content encryption.
    aad: &'a [u8],
    encrypted_key: Vec<u8>,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
}

impl<'a> Jwe<'a> {
    /// Splits, checks and decodes a compact JWE. Sizes are checked on the encoded parts first,
    /// then the header is parsed (strict JSON: no duplicate members, bounded depth) and checked:
    /// `alg` and `enc` must be supported, `crit` and `zip` are refused, and the members the
    /// `alg` needs must be well formed (an ECDH-ES `epk` must be a point of its curve).
    pub fn parse(token: &'a [u8], limits: &JweLimits) -> Result<Jwe<'a>, JweError> {
        let mut dots = memchr::memchr_iter(b'.', token);
        let (Some(d1), Some(d2), Some(d3), Some(d4), None) =
            (dots.next(), dots.next(), dots.next(), dots.next(), dots.next())
        else {
            return Err(JweError::PartCount);
        };
        let parts = [
            (JwePart::Header, &token[..d1], limits.max_header_chars),
            (JwePart::EncryptedKey, &token[d1 + 1..d2], limits.max_encrypted_key_chars),
            (JwePart::Iv, &token[d2 + 1..d3], MAX_IV_CHARS),
            (JwePart::Ciphertext, &token[d3 + 1..d4], limits.max_ciphertext_chars),
            (JwePart::Tag, &token[d4 + 1..], MAX_TAG_CHARS),
        ];
        for &(part, b64, limit) in &parts {
            if b64.len() > limit {
                return Err(JweError::TooLong { part, limit });
            }
            if b64.is_empty() && part != JwePart::EncryptedKey {
                return Err(JweError::EmptyPart(part));
            }
        }
        let [header_b64, key_b64, iv_b64, ciphertext_b64, tag_b64] = parts.map(|(_, b64, _)| b64);

        let header_json = decode(JwePart::Header, header_b64)?;
        let members = json::scan_object(&header_json, limits.max_json_depth, header::SCANNED)
            .map_err(json_error)?;
        let scanned = Scanned::of(members);
        let (alg, enc) = check_header(&scanned)?;
        let params = header::key_params(
            &scanned,
            &header_json,
            limits.max_json_depth,
            alg,
            limits.max_pbes2_count,
        )?;
        let kid = scanned.string("kid")?.map(str::to_owned);
        let nested = scanned.string("cty")?.is_some_and(|cty| {
            cty.eq_ignore_ascii_case("JWT") || cty.eq_ignore_ascii_case("application/jwt")
        });
        drop(scanned);
        let header = CheckedObject::from_checked_json(header_json);

        let encrypted_key = decode(JwePart::EncryptedKey, key_b64)?;
        match (alg.has_encrypted_key(), encrypted_key.is_empty()) {
            (false, false) => return Err(JweError::UnexpectedEncryptedKey(alg)),
            (true, true) => return Err(JweError::EmptyPart(JwePart::EncryptedKey)),
            _ => {}
        }
        let iv = decode(JwePart::Iv, iv_b64)?;
        let ciphertext = decode(JwePart::Ciphertext, ciphertext_b64)?;
        let tag = decode(JwePart::Tag, tag_b64)?;
        let length = |part, got: usize, expected| {
            if got == expected {
                Ok(())
            } else {
                Err(JweError::Length { part, got, expected, alg: enc.name() })
            }
        };
        length("initialization vector", iv.len(), enc.iv_len())?;
        length("authentication tag", tag.len(), enc.tag_len())?;
        if matches!(enc, ContentEncryption::CbcHmac(_)) && ciphertext.len() % 16 != 0 {
            return Err(JweError::CiphertextBlocks);
        }

        Ok(Jwe {
            header,
            kid,
            nested,
            alg,
            enc,
            params,
            aad: header_b64,
            encrypted_key,
            iv,
            ciphertext,
            tag,
        })
    }

    /// The key management algorithm (`alg`).
    #[must_use]
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.alg
    }

    /// The content encryption algorithm (`enc`).
    #[must_use]
    pub fn encryption(&self) -> ContentEncryption {
        self.enc
    }

    /// The header's `kid`, if it has one.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The JOSE header (for `$jwt_header_*`), parsed into values on the first call.
    #[must_use]
    pub fn header(&self) -> &Map<String, Value> {
        self.header.values()
    }

    /// The header, owned, for use as variables once the token has been decrypted.
    #[must_use]
    pub(crate) fn into_header(self) -> CheckedObject {
        self.header
    }

    /// Whether the header declares a nested JWT: `cty` is `JWT` (RFC 7519 §5.2; media types
    /// compare case-insensitively and may carry the `application/` prefix).
    #[must_use]
    pub fn is_nested(&self) -> bool {
        self.nested
    }
}

/// Never prints the token's parts.
impl fmt::Debug for Jwe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwe")
            .field("alg", &self.alg)
            .field("enc", &self.enc)
            .field("kid", &self.kid())
            .finish_non_exhaustive()
    }
}

fn decode(part: JwePart, b64: &[u8]) -> Result<Vec<u8>, JweError> {
    base64url::decode(b64).map_err(|e| JweError::Base64 { part, reason: e.reason() })
}

fn json_error(error: JsonError) -> JweError {
    match error {
        JsonError::Syntax(detail) => JweError::Json(detail),
        JsonError::NotObject => JweError::NotObject,
        JsonError::DuplicateMember => JweError::DuplicateMember,
        JsonError::TooDeep(limit) => JweError::TooDeep(limit),
    }
}

fn check_header(header: &Scanned<'_>) -> Result<(KeyAlgorithm, ContentEncryption), JweError> {
    let name = |member: &'static str| header.string(member)?.ok_or(JweError::Missing(member));
    let alg_name = name("alg")?;
    let alg = match KeyAlgorithm::from_name(alg_name) {
        Some(alg) => alg,
        None if alg_name == "RSA1_5" => return Err(JweError::Rsa15),
        None => return Err(JweError::unsupported_alg(alg_name)),
    };
    let enc_name = name("enc")?;
    let enc = ContentEncryption::from_name(enc_name)
        .ok_or_else(|| JweError::unsupported_enc(enc_name))?;
    if header.has("crit") {
        return Err(JweError::Crit);
    }
    // Compression before encryption makes the ciphertext length depend on the plaintext
    // (CRIME-style leaks) and a small token can inflate to a large one.
    if header.has("zip") {
        return Err(JweError::Zip);
    }
    for member in ["kid", "cty", "typ"] {
        header.string(member)?;
    }
    Ok((alg, enc))
}

/// A decrypted payload.
pub struct Plaintext {
    bytes: Vec<u8>,
    nested: bool,
}

impl Plaintext {
    /// The decrypted bytes: a JWT claims set, or (when [`Plaintext::is_nested`]) a compact JWS.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Whether the header said `cty: JWT`: the plaintext is a token to verify in turn.
    #[must_use]
    pub fn is_nested(&self) -> bool {
        self.nested
    }
}

/// Never prints the plaintext.
impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plaintext")
            .field("len", &self.bytes.len())
            .field("nested", &self.nested)
            .finish()
    }
}

/// Decrypts `jwe` with the first candidate key that opens it. Candidates are the keys that
/// answer to the token's `kid` (see [`crate::KeySet`]) and fit its `alg`, `enc` and, for
/// ECDH-ES, the curve of its ephemeral key.
///
/// With no candidate the answer is [`JweError::NoKey`]; when candidates exist but none opens
/// the token, it is [`JweError::DecryptFailed`], whatever step failed.
pub fn decrypt(jwe: &Jwe<'_>, keys: &DecryptionKeys) -> Result<Plaintext, JweError> {
    let sealed = Sealed { aad: jwe.aad, iv: &jwe.iv, ciphertext: &jwe.ciphertext, tag: &jwe.tag };
    let mut tried = false;
    for key in keys.candidates(jwe.alg, jwe.enc, jwe.kid(), jwe.params.epk_curve()) {
        tried = true;
        // RFC 7516 §11.5: a failed key unwrap goes on with a random CEK, so that it takes the
        // same path and time as a failed content decryption.
        let cek = match key_management::content_key(jwe, key) {
            Ok(cek) => cek,
            Err(_) => random_key(jwe.enc.cek_len())?,
        };
        if let Ok(bytes) = content::decrypt(jwe.enc, &cek, &sealed) {
            return Ok(Plaintext { bytes, nested: jwe.is_nested() });
        }
    }
    if tried {
        Err(JweError::DecryptFailed)
    } else {
        Err(JweError::NoKey { kid: jwe.kid().map(escape), alg: jwe.alg })
    }
}

fn random_key(len: usize) -> Result<Vec<u8>, JweError> {
    let mut key = vec![0; len];
    // Without randomness there is no safe stand-in key: fail rather than use a known one.
    aws_lc_rs::rand::fill(&mut key).map_err(|_| JweError::DecryptFailed)?;
    Ok(key)
}
