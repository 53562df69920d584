//! Decryption keys from a JWK Set: the private and secret keys that can open a JWE.
//!
//! The same file may hold signing keys; those are skipped here (with a note) just as the
//! signing key parser skips these. What counts as a decryption key:
//! - `oct` keys, for `dir`, the AES key wraps and PBES2;
//! - RSA private keys (`n`, `e`, `d`, `p`, `q`, `dp`, `dq`, `qi`) for RSA-OAEP;
//! - EC private keys on P-256, P-384, P-521 and OKP `X25519` private keys, for ECDH-ES.
//!
//! A key with `use` other than `"enc"`, `key_ops` without `"decrypt"`/`"unwrapKey"`, a
//! signature `alg`, or no private part is skipped. Anything else wrong fails the whole set.
//! Key material never appears in a message or a `Debug` output.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_lc_rs::agreement;
use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey};
use openssl::bn::BigNum;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::base64url;
use crate::error::{escape, KeySetError};
use crate::jwk_set::{self, Entry, EntryShape};

use super::algorithms::{ContentEncryption, KeyAlgorithm};
use super::error::{DecryptionKeyError, DecryptionKeyProblem as Problem};

const MIN_RSA_BITS: u32 = 2048;
/// aws-lc-rs decrypts with RSA keys up to this size.
const MAX_RSA_BITS: u32 = 8192;

/// The lengths a CEK can have (RFC 7518 §5): what a `dir` key must be.
const CEK_LENGTHS: [usize; 5] = [16, 24, 32, 48, 64];

/// The key agreement curves of ECDH-ES (RFC 7518 §6.2, RFC 8037 §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EcdhCurve {
    P256,
    P384,
    P521,
    X25519,
}

impl EcdhCurve {
    /// The curve of a JWK's `kty` and `crv`, if it is one of ours.
    pub(crate) fn from_jwk(kty: &str, crv: &str) -> Option<EcdhCurve> {
        match (kty, crv) {
            ("EC", "P-256") => Some(EcdhCurve::P256),
            ("EC", "P-384") => Some(EcdhCurve::P384),
            ("EC", "P-521") => Some(EcdhCurve::P521),
            ("OKP", "X25519") => Some(EcdhCurve::X25519),
            _ => None,
        }
    }

    pub(crate) fn crv(self) -> &'static str {
        match self {
            EcdhCurve::P256 => "P-256",
            EcdhCurve::P384 => "P-384",
            EcdhCurve::P521 => "P-521",
            EcdhCurve::X25519 => "X25519",
        }
    }

    /// Bytes of a coordinate (and of the private scalar).
    pub(crate) fn field_len(self) -> usize {
        match self {
            EcdhCurve::P256 | EcdhCurve::X25519 => 32,
            EcdhCurve::P384 => 48,
            EcdhCurve::P521 => 66,
        }
    }

    pub(crate) fn is_okp(self) -> bool {
        self == EcdhCurve::X25519
    }

    pub(crate) fn agreement(self) -> &'static agreement::Algorithm {
        match self {
            EcdhCurve::P256 => &agreement::ECDH_P256,
            EcdhCurve::P384 => &agreement::ECDH_P384,
            EcdhCurve::P521 => &agreement::ECDH_P521,
            EcdhCurve::X25519 => &agreement::X25519,
        }
    }
}

/// The checked material of one decryption key. Shared by clones: key sets are cloned when
/// several files are combined.
#[derive(Clone)]
pub(crate) enum Material {
    Oct(Arc<[u8]>),
    Rsa(Arc<OaepPrivateDecryptingKey>),
    Ecdh(EcdhCurve, Arc<agreement::PrivateKey>),
}

/// One usable decryption key.
#[derive(Clone)]
pub(crate) struct DecryptionKey {
    pub(crate) kid: Option<String>,
    /// When set, the key serves only tokens with exactly this `alg`.
    pub(crate) alg: Option<KeyAlgorithm>,
    pub(crate) material: Material,
}

impl DecryptionKey {
    /// As for signing keys: a key with a `kid` answers only to that `kid`, one without answers
    /// to any token.
    pub(crate) fn answers_to(&self, kid: Option<&str>) -> bool {
        match (kid, self.kid.as_deref()) {
            (Some(wanted), Some(own)) => wanted == own,
            _ => true,
        }
    }

    /// Whether this key can serve a token with `alg`, `enc` and (for ECDH-ES) an ephemeral
    /// key on `epk_curve`.
    pub(crate) fn serves(
        &self,
        alg: KeyAlgorithm,
        enc: ContentEncryption,
        epk_curve: Option<EcdhCurve>,
    ) -> bool {
        if self.alg.is_some_and(|own| own != alg) {
            return false;
        }
        match (&self.material, alg) {
            (Material::Oct(k), KeyAlgorithm::Dir) => k.len() == enc.cek_len(),
            (Material::Oct(k), KeyAlgorithm::AesKw(size) | KeyAlgorithm::AesGcmKw(size)) => {
                k.len() == size.key_len()
            }
            (Material::Oct(_), KeyAlgorithm::Pbes2(..)) => true,
            (Material::Rsa(_), KeyAlgorithm::RsaOaep(_)) => true,
            (Material::Ecdh(curve, _), KeyAlgorithm::EcdhEs | KeyAlgorithm::EcdhEsKw(_)) => {
                epk_curve == Some(*curve)
            }
            _ => false,
        }
    }
}

/// An immutable set of decryption keys, loaded from one or more JWK Sets.
#[derive(Clone)]
pub struct DecryptionKeys {
    keys: Vec<DecryptionKey>,
    skipped: Vec<String>,
    generation: u64,
}

static GENERATIONS: AtomicU64 = AtomicU64::new(1);

impl DecryptionKeys {
    /// Loads the decryption keys of a JWK Set `{"keys":[...]}` or of a single JWK, alone (a
    /// key file's signing keys and decryption keys are loaded together by
    /// [`crate::KeySet::from_json`]).
    ///
    /// Fails with [`KeySetError::NoUsableKeys`] when the set holds only keys that cannot
    /// decrypt (a signing-only file).
    pub fn from_json(bytes: &[u8]) -> Result<DecryptionKeys, KeySetError> {
        let entries = jwk_set::entries(bytes)?;
        let mut set = DecryptionKeys::empty();
        for (i, value) in entries.iter().enumerate() {
            let entry = Entry::of(i + 1, value).map_err(|shape| {
                let problem = match shape {
                    EntryShape::NotObject => Problem::NotObject,
                    EntryShape::KidNotString => {
                        Problem::WrongType { member: "kid", expected: "a string" }
                    }
                };
                KeySetError::Decryption(DecryptionKeyError { index: i + 1, kid: None, problem })
            })?;
            set.consider(&entry).map_err(KeySetError::Decryption)?;
        }
        if set.keys.is_empty() {
            return Err(KeySetError::NoUsableKeys(entries.len()));
        }
        Ok(set)
    }

    /// Takes `entry` of a key file if it is a decryption key, else notes why it is skipped;
    /// `true` when taken. A key broken for the use it claims is an error.
    pub(crate) fn consider(&mut self, entry: &Entry) -> Result<bool, DecryptionKeyError> {
        match parse_key(entry.object) {
            Ok(Parsed::Key(alg, material)) => {
                self.keys.push(DecryptionKey { kid: entry.kid.clone(), alg, material });
                Ok(true)
            }
            Ok(Parsed::Skip(why)) => {
                self.skipped.push(entry.skipped(&why));
                Ok(false)
            }
            Err(problem) => Err(DecryptionKeyError {
                index: entry.index,
                kid: entry.shown_kid.clone(),
                problem,
            }),
        }
    }

    /// A set with no keys: every token is refused with `no_key`.
    #[must_use]
    pub fn empty() -> DecryptionKeys {
        DecryptionKeys {
            keys: Vec::new(),
            skipped: Vec::new(),
            generation: GENERATIONS.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Appends the keys of `other`, which are tried after these.
    pub fn extend(&mut self, other: DecryptionKeys) {
        self.keys.extend(other.keys);
        self.skipped.extend(other.skipped);
        self.generation = GENERATIONS.fetch_add(1, Ordering::Relaxed);
    }

    /// An identity of this set's content, unique within the process (see
    /// [`crate::KeySet::generation`]), for caches keyed on the keys used.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// What each key is, without its material (for a status page).
    pub(crate) fn describe(&self) -> impl Iterator<Item = crate::metrics::KeyInfo> + '_ {
        self.keys.iter().map(|key| crate::metrics::KeyInfo {
            kid: key.kid.clone(),
            kty: match &key.material {
                Material::Oct(_) => "oct",
                Material::Rsa(_) => "RSA",
                Material::Ecdh(curve, _) if curve.is_okp() => "OKP",
                Material::Ecdh(..) => "EC",
            },
            alg: key.alg.map(KeyAlgorithm::name),
            usage: "enc",
        })
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// One line per key that was ignored on purpose, for a note at load time.
    #[must_use]
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    pub(crate) fn candidates<'s>(
        &'s self,
        alg: KeyAlgorithm,
        enc: ContentEncryption,
        kid: Option<&'s str>,
        epk_curve: Option<EcdhCurve>,
    ) -> impl Iterator<Item = &'s DecryptionKey> + 's {
        self.keys.iter().filter(move |k| k.answers_to(kid) && k.serves(alg, enc, epk_curve))
    }
}

/// Lists the keys without their material.
impl fmt::Debug for DecryptionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|key| {
                let kty = match &key.material {
                    Material::Oct(k) => format!("oct-{}", k.len() * 8),
                    Material::Rsa(k) => format!("RSA-{}", k.key_size_bits()),
                    Material::Ecdh(curve, _) => format!("ECDH {}", curve.crv()),
                };
                let kid = key.kid.as_deref().map_or_else(|| "-".to_owned(), escape);
                let alg = key.alg.map_or("-", KeyAlgorithm::name);
                format!("{kty} kid={kid} alg={alg}")
            })
            .collect();
        f.debug_struct("DecryptionKeys")
            .field("keys", &keys)
            .field("skipped", &self.skipped)
            .finish()
    }
}

enum Parsed {
    Key(Option<KeyAlgorithm>, Material),
    Skip(String),
}

fn parse_key(obj: &Map<String, Value>) -> Result<Parsed, Problem> {
    let kty = string(obj, "kty")?.ok_or(Problem::Missing("kty"))?;
    if let Some(usage) = string(obj, "use")? {
        if usage != "enc" {
            return Ok(Parsed::Skip(format!("use {} is not \"enc\"", escape(usage))));
        }
    }
    if let Some(ops) = obj.get("key_ops") {
        let wrong = Problem::WrongType { member: "key_ops", expected: "an array of strings" };
        let Value::Array(ops) = ops else { return Err(wrong) };
        if ops.iter().any(|op| !op.is_string()) {
            return Err(wrong);
        }
        if !ops.iter().any(|op| op == "decrypt" || op == "unwrapKey") {
            return Ok(Parsed::Skip(
                "key_ops includes neither \"decrypt\" nor \"unwrapKey\"".to_owned(),
            ));
        }
    }
    let alg = match string(obj, "alg")? {
        None => None,
        Some(name) => match KeyAlgorithm::from_name(name) {
            Some(alg) => Some(alg),
            None if name == "RSA1_5" => {
                return Ok(Parsed::Skip("alg \"RSA1_5\" is refused".to_owned()));
            }
            None if Algorithm::from_name(name).is_some() => {
                return Ok(Parsed::Skip(format!("alg {} is for signatures", escape(name))));
            }
            // RFC 7517 §5: a key of an algorithm we do not know is skipped, not fatal.
            None => return Ok(Parsed::Skip(format!("alg {} is not supported", escape(name)))),
        },
    };

    let material = match kty {
        "oct" => Material::Oct(oct(obj)?.into()),
        "RSA" => {
            if !obj.contains_key("d") {
                return Ok(Parsed::Skip("RSA public key cannot decrypt".to_owned()));
            }
            Material::Rsa(Arc::new(rsa(obj)?))
        }
        "EC" | "OKP" => {
            let crv = string(obj, "crv")?.ok_or(Problem::Missing("crv"))?;
            let Some(curve) = EcdhCurve::from_jwk(kty, crv) else {
                let why = format!("{kty} curve {} is not for key agreement", escape(crv));
                return Ok(Parsed::Skip(why));
            };
            if !obj.contains_key("d") {
                return Ok(Parsed::Skip(format!("{} public key cannot decrypt", curve.crv())));
            }
            Material::Ecdh(curve, Arc::new(ecdh(obj, curve)?))
        }
        _ => return Ok(Parsed::Skip(format!("kty {} is not supported", escape(kty)))),
    };

    if let Some(alg) = alg {
        check_alg_fits(alg, &material)?;
    }
    Ok(Parsed::Key(alg, material))
}

fn check_alg_fits(alg: KeyAlgorithm, material: &Material) -> Result<(), Problem> {
    let mismatch = |key| Err(Problem::AlgMismatch { alg, key });
    match (material, alg) {
        (Material::Oct(k), KeyAlgorithm::Dir) if !CEK_LENGTHS.contains(&k.len()) => {
            Err(Problem::DirLength(k.len()))
        }
        (Material::Oct(k), KeyAlgorithm::AesKw(size) | KeyAlgorithm::AesGcmKw(size))
            if k.len() != size.key_len() =>
        {
            Err(Problem::OctLength { len: k.len(), expected: size.key_len(), alg })
        }
        (Material::Oct(_), a) if a.uses_oct_key() => Ok(()),
        (Material::Oct(_), _) => mismatch("an oct key"),
        (Material::Rsa(_), KeyAlgorithm::RsaOaep(_)) => Ok(()),
        (Material::Rsa(_), _) => mismatch("an RSA key"),
        (Material::Ecdh(..), KeyAlgorithm::EcdhEs | KeyAlgorithm::EcdhEsKw(_)) => Ok(()),
        (Material::Ecdh(..), _) => mismatch("a key agreement key"),
    }
}

fn string<'o>(
    obj: &'o Map<String, Value>,
    member: &'static str,
) -> Result<Option<&'o str>, Problem> {
    match obj.get(member) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Problem::WrongType { member, expected: "a string" }),
    }
}

fn bytes(obj: &Map<String, Value>, member: &'static str) -> Result<Vec<u8>, Problem> {
    let s = string(obj, member)?.ok_or(Problem::Missing(member))?;
    base64url::decode(s.as_bytes()).map_err(|_| Problem::Base64(member))
}

fn sized(obj: &Map<String, Value>, member: &'static str, len: usize) -> Result<Vec<u8>, Problem> {
    let value = bytes(obj, member)?;
    if value.len() != len {
        return Err(Problem::Length { member, got: value.len(), expected: len });
    }
    Ok(value)
}

fn oct(obj: &Map<String, Value>) -> Result<Vec<u8>, Problem> {
    let secret = bytes(obj, "k")?;
    if secret.is_empty() {
        return Err(Problem::OctEmpty);
    }
    Ok(secret)
}

fn bignum(obj: &Map<String, Value>, member: &'static str) -> Result<BigNum, Problem> {
    BigNum::from_slice(&bytes(obj, member)?).map_err(|e| Problem::Crypto(e.to_string()))
}

/// Builds the RSA key with OpenSSL, which checks that the CRT members are consistent, and
/// hands it to aws-lc-rs (constant-time OAEP decoding) as PKCS #8.
fn rsa(obj: &Map<String, Value>) -> Result<OaepPrivateDecryptingKey, Problem> {
    if ["p", "q", "dp", "dq", "qi"].iter().any(|m| !obj.contains_key(*m)) {
        return Err(Problem::RsaMissingPrimes);
    }
    let n = bignum(obj, "n")?;
    let bits = u32::try_from(n.num_bits()).unwrap_or(0);
    if bits < MIN_RSA_BITS {
        return Err(Problem::RsaTooSmall(bits));
    }
    if bits > MAX_RSA_BITS {
        return Err(Problem::RsaTooLarge(bits));
    }
    let rsa = Rsa::from_private_components(
        n,
        bignum(obj, "e")?,
        bignum(obj, "d")?,
        bignum(obj, "p")?,
        bignum(obj, "q")?,
        bignum(obj, "dp")?,
        bignum(obj, "dq")?,
        bignum(obj, "qi")?,
    )
    .map_err(|_| Problem::RsaInconsistent)?;
    if !rsa.check_key().unwrap_or(false) {
        return Err(Problem::RsaInconsistent);
    }
    let crypto = |e: String| Problem::Crypto(e);
    let pkcs8 = PKey::from_rsa(rsa)
        .and_then(|pkey| pkey.private_key_to_pkcs8())
        .map_err(|e| crypto(e.to_string()))?;
    let key = PrivateDecryptingKey::from_pkcs8(&pkcs8).map_err(|e| crypto(e.to_string()))?;
    OaepPrivateDecryptingKey::new(key).map_err(|e| crypto(e.to_string()))
}

/// The private scalar, checked against the public members: a file whose `x`/`y` belong to
/// another key is a mistake worth failing on, not a key to use silently.
fn ecdh(obj: &Map<String, Value>, curve: EcdhCurve) -> Result<agreement::PrivateKey, Problem> {
    let len = curve.field_len();
    let d = sized(obj, "d", len)?;
    let mut public = Vec::with_capacity(1 + 2 * len);
    if curve.is_okp() {
        public.extend_from_slice(&sized(obj, "x", len)?);
    } else {
        public.push(0x04);
        public.extend_from_slice(&sized(obj, "x", len)?);
        public.extend_from_slice(&sized(obj, "y", len)?);
    }
    let key = agreement::PrivateKey::from_private_key(curve.agreement(), &d)
        .map_err(|_| Problem::InvalidPrivate(curve.crv()))?;
    let computed = key.compute_public_key().map_err(|_| Problem::InvalidPrivate(curve.crv()))?;
    if computed.as_ref() != public.as_slice() {
        return Err(Problem::PublicMismatch);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn decryption_keys_are_send_and_sync() {
        assert_send_sync::<DecryptionKeys>();
    }

    #[test]
    fn signing_keys_are_skipped_and_oct_keys_kept() {
        let json = r#"{"keys":[
            {"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA","alg":"A128KW","kid":"w"},
            {"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","alg":"HS256"},
            {"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA","use":"sig"}
        ]}"#;
        let set = DecryptionKeys::from_json(json.as_bytes()).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.skipped().len(), 2, "{:?}", set.skipped());
        let shown = format!("{set:?}");
        assert!(shown.contains("oct-128 kid=") && shown.contains("alg=A128KW"), "{shown}");
        assert!(!shown.contains("AAAA"), "{shown}");
    }

    #[test]
    fn wrong_length_for_declared_alg_fails_the_set() {
        let json = r#"{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA","alg":"A256KW"}"#;
        let err = DecryptionKeys::from_json(json.as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), "key 1: oct key is 16 bytes, A256KW needs 32");
    }

    #[test]
    fn signing_only_file_has_no_usable_keys() {
        let json = r#"{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA","use":"sig"}"#;
        let err = DecryptionKeys::from_json(json.as_bytes()).unwrap_err();
        assert_eq!(err, KeySetError::NoUsableKeys(1));
    }
}
