//! JSON Web Keys (RFC 7517) and key sets: parsed and checked once, when the set is loaded, so
//! that a request only selects keys and verifies.
//!
//! Rules worth knowing when writing a key file:
//! - Key members must be canonical unpadded base64url, like tokens (see `base64url.rs`).
//! - Keys that cannot sign JWS are skipped with a note ([`KeySet::skipped`]) instead of failing
//!   the file: unknown `kty`, `crv` or `alg` (RFC 7517 §5), `use` other than `"sig"`,
//!   `key_ops` without `"verify"`, and a JWE `alg` such as `RSA-OAEP` (IdPs publish encryption
//!   keys next to signing keys). These checks come before the key material is read, so a
//!   skipped key cannot fail the file. Each key is read for JWE decryption too
//!   (`jwe/keys.rs`, in the same pass: `jwk_set.rs`), and the set carries those keys.
//! - Everything else that is wrong with a key fails the whole set, like NGINX Plus does.
//! - Several keys may share a `kid` (an IdP's signing and encryption key often do); all of them
//!   are candidates for a token with that `kid`, tried in file order.
//! - Private members (`d`, `p`, `q`, ...) are ignored: only the public part is used.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Rsa;
use serde_json::{Map, Value};

use crate::algorithm::{self, Algorithm, Curve, Family, Hash};
use crate::backend::{HmacSecret, PublicKey};
use crate::base64url;
use crate::ed25519;
use crate::error::{escape, KeyProblem, KeySetError};
use crate::jwe::DecryptionKeys;
use crate::jwk_set::{self, Entry, EntryShape};
use crate::kid_index::KidIndex;

/// HMAC secret length below which a JWK without `alg` gets a warning: HS256's hash size.
const MIN_OCT_BYTES: usize = 32;

const MIN_RSA_BITS: u32 = 2048;
/// OpenSSL's own ceiling (`OPENSSL_RSA_MAX_MODULUS_BITS`); larger keys would fail at verify
/// time, so refuse them at load time instead.
const MAX_RSA_BITS: u32 = 16384;
/// OpenSSL's `OPENSSL_RSA_MAX_PUBEXP_BITS`; real keys use 65537 (17 bits).
const MAX_RSA_EXPONENT_BITS: i32 = 64;

/// Edwards curves of RFC 8037 usable with EdDSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EdCurve {
    Ed25519,
    Ed448,
}

impl EdCurve {
    fn crv(self) -> &'static str {
        match self {
            EdCurve::Ed25519 => "Ed25519",
            EdCurve::Ed448 => "Ed448",
        }
    }
}

/// The checked public key material of one JWK.
#[derive(Clone)]
pub(crate) enum Material {
    /// An HMAC secret.
    Oct(HmacSecret),
    Rsa(PublicKey),
    Ec(Curve, PublicKey),
    Okp(EdCurve, PublicKey),
}

/// One usable verification key.
#[derive(Clone)]
pub(crate) struct Jwk {
    pub(crate) kid: Option<String>,
    /// When set, the key serves only tokens with exactly this `alg` (RFC 7517 §4.4).
    pub(crate) alg: Option<Algorithm>,
    pub(crate) material: Material,
}

impl Jwk {
    /// Whether this key may be chosen for a token carrying `kid`. A key without a `kid` has no
    /// identity to mismatch and answers to any; a key with one answers only to that exact
    /// `kid`, so a token naming another key never falls back to it.
    pub(crate) fn answers_to(&self, kid: Option<&str>) -> bool {
        match (kid, self.kid.as_deref()) {
            (Some(wanted), Some(own)) => wanted == own,
            _ => true,
        }
    }

    /// Whether this key may verify a token signed with `alg`: the key type binds the algorithm
    /// family, so no key ever serves two families.
    pub(crate) fn serves(&self, alg: Algorithm) -> bool {
        self.alg.is_none_or(|own| own == alg) && self.material.fits(alg)
    }
}

impl Material {
    /// Whether this material can verify `alg` at all.
    fn fits(&self, alg: Algorithm) -> bool {
        match (self, alg.family()) {
            // Any length, as in NGINX Plus: RFC 7518 §3.2 wants the secret at least as long as
            // the hash, but refusing shorter ones refused NGINX's own documented example; a
            // short secret gets a warning at load time instead (see `short_secret_warning`).
            (Material::Oct(_), Family::Hmac) => true,
            (Material::Rsa(_), Family::RsaPkcs1 | Family::RsaPss) => true,
            (Material::Ec(curve, _), Family::Ecdsa(wanted)) => *curve == wanted,
            (Material::Okp(..), Family::EdDsa) => true,
            _ => false,
        }
    }
}

/// An immutable set of verification keys, loaded from one or more JWK Sets.
#[derive(Clone)]
pub struct KeySet {
    keys: Vec<Jwk>,
    /// The file's JWE decryption keys (see `jwe/keys.rs`).
    decryption: DecryptionKeys,
    /// Entries of the files that gave a signing key, a decryption key or both.
    usable_entries: usize,
    skipped: Vec<String>,
    warnings: Vec<String>,
    /// See [`KeySet::generation`].
    generation: u64,
    /// `keys` by kid; rebuilt whenever `keys` changes.
    index: KidIndex,
}

impl KeySet {
    /// Loads a JWK Set `{"keys":[...]}` or a single JWK object.
    ///
    /// All keys are parsed and checked here (OpenSSL keys built once), so a set that loads is
    /// ready for any number of verifications.
    pub fn from_json(bytes: &[u8]) -> Result<KeySet, KeySetError> {
        let entries = jwk_set::entries(bytes)?;
        let mut set = KeySet::empty();
        for (i, value) in entries.iter().enumerate() {
            let index = i + 1;
            let entry = Entry::of(index, value).map_err(|shape| {
                let problem = match shape {
                    EntryShape::NotObject => KeyProblem::NotObject,
                    EntryShape::KidNotString => {
                        KeyProblem::WrongType { member: "kid", expected: "a string" }
                    }
                };
                KeySetError::Key { index, kid: None, problem }
            })?;
            set.add_entry(&entry)?;
        }
        if set.keys.is_empty() && set.decryption.is_empty() {
            return Err(KeySetError::NoUsableKeys(entries.len()));
        }
        set.reindex();
        Ok(set)
    }

    /// Reads one key of a key file as a signing key and as a decryption key: each reader takes
    /// its own keys and skips the others; only a key broken for the use it claims fails the
    /// file. A key that neither takes gets the signing reader's note.
    fn add_entry(&mut self, entry: &Entry) -> Result<(), KeySetError> {
        let signing = parse_key(entry.object).map_err(|problem| KeySetError::Key {
            index: entry.index,
            kid: entry.shown_kid.clone(),
            problem,
        })?;
        let decrypts = self.decryption.consider(entry).map_err(KeySetError::Decryption)?;
        if decrypts || matches!(signing, Parsed::Key(..)) {
            self.usable_entries += 1;
        }
        match signing {
            Parsed::Key(alg, material) => {
                if let Some(why) = short_secret_warning(&material, alg) {
                    self.warnings.push(entry.note(&why));
                }
                self.keys.push(Jwk { kid: entry.kid.clone(), alg, material });
            }
            Parsed::Skip(_) if decrypts => {}
            Parsed::Skip(why) => self.skipped.push(entry.skipped(&why)),
        }
        Ok(())
    }

    /// A set with no keys: every token is refused with `no_key`.
    #[must_use]
    pub fn empty() -> KeySet {
        KeySet {
            keys: Vec::new(),
            decryption: DecryptionKeys::empty(),
            usable_entries: 0,
            skipped: Vec::new(),
            warnings: Vec::new(),
            generation: next_generation(),
            index: KidIndex::default(),
        }
    }

    /// Appends the keys of `other` (several key files at one configuration level). Keys keep
    /// their order, which is the order they are tried in.
    pub fn extend(&mut self, other: KeySet) {
        self.keys.extend(other.keys);
        self.decryption.extend(other.decryption);
        self.usable_entries += other.usable_entries;
        self.skipped.extend(other.skipped);
        self.warnings.extend(other.warnings);
        self.generation = next_generation();
        self.reindex();
    }

    fn reindex(&mut self) {
        self.index = KidIndex::build(self.keys.iter().map(|key| key.kid.as_deref()));
    }

    /// The JWE decryption keys of the set (possibly none).
    #[must_use]
    pub fn decryption_keys(&self) -> &DecryptionKeys {
        &self.decryption
    }

    /// An identity of this set's content, unique within the process: every set built or
    /// changed gets a new one, a clone keeps it (same keys). Caches of verification results
    /// key on it, so a key rotation (a new set) can never reuse a result of the old keys.
    /// Unlike an `Arc` address it is never reused after the set is dropped.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// What each usable key is, without its material (for a status page).
    #[must_use]
    pub fn describe(&self) -> Vec<crate::metrics::KeyInfo> {
        let kty = |material: &Material| match material {
            Material::Oct(_) => "oct",
            Material::Rsa(_) => "RSA",
            Material::Ec(..) => "EC",
            Material::Okp(..) => "OKP",
        };
        let info = |key: &Jwk| crate::metrics::KeyInfo {
            kid: key.kid.clone(),
            kty: kty(&key.material),
            alg: key.alg.map(Algorithm::name),
            usage: "sig",
        };
        self.keys.iter().map(info).chain(self.decryption.describe()).collect()
    }

    /// Number of usable signing keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Number of keys of the files that verify signatures, decrypt encrypted tokens, or both
    /// (an RSA private key, a secret without `use`): the "N keys" of the log.
    #[must_use]
    pub fn usable_keys(&self) -> usize {
        self.usable_entries
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// One line per key that was ignored on purpose, e.g.
    /// `key 2 (kid "enc1"): use "enc" is not "sig", skipped`, for a warning at load time.
    #[must_use]
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// One line per key that is used but weak, e.g.
    /// `key 1 (kid "0001"): oct key is 12 bytes, shorter than the 32 bytes of HS256 ...`, for a
    /// warning at load time.
    #[must_use]
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Keys that may verify a token with `alg` and `kid`, in file order. With a `kid`, only keys
    /// carrying exactly that `kid` qualify: falling back to other keys would make the `kid`
    /// meaningless and multiply the verification work an attacker can cause.
    pub(crate) fn candidates<'s>(
        &'s self,
        alg: Algorithm,
        kid: Option<&'s str>,
    ) -> impl Iterator<Item = &'s Jwk> + 's {
        self.index
            .answering(kid, self.keys.len())
            .filter_map(|position| self.keys.get(position))
            .filter(move |key| key.answers_to(kid) && key.serves(alg))
    }
}

/// Source of [`KeySet::generation`]; starts at 1 so that 0 never names a set.
static GENERATIONS: AtomicU64 = AtomicU64::new(1);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, Ordering::Relaxed)
}

/// Lists the keys without their material, which must never reach a log.
impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|key| {
                let kty = match &key.material {
                    Material::Oct(_) => "oct".to_owned(),
                    Material::Rsa(key) => format!("RSA-{}", key.openssl.bits()),
                    Material::Ec(curve, _) => format!("EC {}", curve.crv()),
                    Material::Okp(curve, _) => format!("OKP {}", curve.crv()),
                };
                let kid = key.kid.as_deref().map_or_else(|| "-".to_owned(), escape);
                let alg = key.alg.map_or("-", Algorithm::name);
                format!("{kty} kid={kid} alg={alg}")
            })
            .collect();
        f.debug_struct("KeySet")
            .field("keys", &keys)
            .field("decryption", &self.decryption)
            .field("skipped", &self.skipped)
            .finish()
    }
}

enum Parsed {
    Key(Option<Algorithm>, Material),
    /// Why the key was ignored.
    Skip(String),
}

fn parse_key(obj: &Map<String, Value>) -> Result<Parsed, KeyProblem> {
    let kty = string(obj, "kty")?.ok_or(KeyProblem::Missing("kty"))?;

    // RFC 7517 §4.2/§4.3: a key meant for something other than verifying signatures is not
    // ours to use, but it is not an error in the file either.
    if let Some(usage) = string(obj, "use")? {
        if usage != "sig" {
            return Ok(Parsed::Skip(format!("use {} is not \"sig\"", escape(usage))));
        }
    }
    if let Some(ops) = obj.get("key_ops") {
        let wrong = KeyProblem::WrongType { member: "key_ops", expected: "an array of strings" };
        let Value::Array(ops) = ops else { return Err(wrong) };
        if ops.iter().any(|op| !op.is_string()) {
            return Err(wrong);
        }
        if !ops.iter().any(|op| op == "verify") {
            return Ok(Parsed::Skip("key_ops does not include \"verify\"".to_owned()));
        }
    }

    let alg = match string(obj, "alg")? {
        None => None,
        Some(name) => match Algorithm::from_name(name) {
            Some(alg) => Some(alg),
            None if algorithm::is_encryption_alg(name) => {
                return Ok(Parsed::Skip(format!("alg {} is for encryption", escape(name))));
            }
            // RFC 7517 §5: a key whose alg we do not know (ES256K, a future algorithm) is
            // ignored; it must not take the other keys of the set down with it.
            None => return Ok(Parsed::Skip(format!("alg {} is not supported", escape(name)))),
        },
    };

    let material = match kty {
        "oct" => Material::Oct(HmacSecret::new(&oct(obj)?)),
        "RSA" => Material::Rsa(PublicKey::rsa(rsa(obj)?)),
        "EC" => {
            let crv = string(obj, "crv")?.ok_or(KeyProblem::Missing("crv"))?;
            let Some(curve) = Curve::from_crv(crv) else {
                return Ok(Parsed::Skip(format!("EC curve {} is not supported", escape(crv))));
            };
            Material::Ec(curve, PublicKey::ec(curve, ec(obj, curve)?))
        }
        "OKP" => {
            let crv = string(obj, "crv")?.ok_or(KeyProblem::Missing("crv"))?;
            let curve = match crv {
                "Ed25519" => EdCurve::Ed25519,
                "Ed448" => EdCurve::Ed448,
                // X25519 and X448 are key agreement curves (RFC 8037 §3.2).
                _ => {
                    return Ok(Parsed::Skip(format!("OKP curve {} is not supported", escape(crv))))
                }
            };
            Material::Okp(curve, PublicKey::okp(okp(obj, curve)?, curve == EdCurve::Ed25519))
        }
        _ => return Ok(Parsed::Skip(format!("kty {} is not supported", escape(kty)))),
    };

    // A declared `alg` must suit the key, or the key could never verify anything.
    if let Some(alg) = alg {
        if !material.fits(alg) {
            return Err(KeyProblem::AlgMismatch { alg, key: describe(&material) });
        }
    }
    Ok(Parsed::Key(alg, material))
}

/// Why an HMAC secret is weak: shorter than the hash of its `alg` or, without one, than HS256's
/// 32 bytes (RFC 7518 §3.2). A short secret can be brute-forced offline from any token it signed.
fn short_secret_warning(material: &Material, alg: Option<Algorithm>) -> Option<String> {
    let Material::Oct(secret) = material else { return None };
    let alg = alg.unwrap_or(Algorithm::HS256);
    let min = alg.hash().map_or(MIN_OCT_BYTES, Hash::len);
    (secret.len() < min).then(|| {
        format!(
            "oct key is {} bytes, shorter than the {min} bytes {alg} calls for; accepted as in \
             NGINX Plus, but a short secret can be guessed offline from any token it signed",
            secret.len()
        )
    })
}

fn describe(material: &Material) -> &'static str {
    match material {
        Material::Oct(_) => "an oct key",
        Material::Rsa(_) => "an RSA key",
        Material::Ec(Curve::P256, _) => "an EC P-256 key",
        Material::Ec(Curve::P384, _) => "an EC P-384 key",
        Material::Ec(Curve::P521, _) => "an EC P-521 key",
        Material::Okp(..) => "an OKP key",
    }
}

/// An optional string member; present with another type is an error.
fn string<'o>(
    obj: &'o Map<String, Value>,
    member: &'static str,
) -> Result<Option<&'o str>, KeyProblem> {
    match obj.get(member) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(KeyProblem::WrongType { member, expected: "a string" }),
    }
}

/// A required base64url member, decoded.
fn bytes(obj: &Map<String, Value>, member: &'static str) -> Result<Vec<u8>, KeyProblem> {
    let s = string(obj, member)?.ok_or(KeyProblem::Missing(member))?;
    base64url::decode(s.as_bytes()).map_err(|_| KeyProblem::Base64(member))
}

/// An HMAC secret of any non-empty length (short ones get a warning, see
/// `short_secret_warning`).
fn oct(obj: &Map<String, Value>) -> Result<Vec<u8>, KeyProblem> {
    let secret = bytes(obj, "k")?;
    if secret.is_empty() {
        return Err(KeyProblem::OctEmpty);
    }
    Ok(secret)
}

fn crypto(err: openssl::error::ErrorStack) -> KeyProblem {
    KeyProblem::Crypto(err.to_string())
}

fn rsa(obj: &Map<String, Value>) -> Result<PKey<Public>, KeyProblem> {
    // Leading zero octets in `n` are tolerated although RFC 7518 §6.3.1.1 forbids them: some
    // IdPs emit them, and they do not change the number.
    let n = BigNum::from_slice(&bytes(obj, "n")?).map_err(crypto)?;
    let e = BigNum::from_slice(&bytes(obj, "e")?).map_err(crypto)?;
    let bits = u32::try_from(n.num_bits()).unwrap_or(0);
    if bits < MIN_RSA_BITS {
        return Err(KeyProblem::RsaTooSmall(bits));
    }
    if bits > MAX_RSA_BITS {
        return Err(KeyProblem::RsaTooLarge(bits));
    }
    // A product of two odd primes is odd.
    if !n.is_bit_set(0) {
        return Err(KeyProblem::RsaModulusEven);
    }
    // An even or tiny exponent (e = 1 makes every "signature" equal its message) is never a
    // real RSA key. Above 64 bits OpenSSL refuses e for large moduli anyway, and a huge e would
    // make every verification as slow as a private-key operation.
    if !e.is_bit_set(0) || e.num_bits() < 2 || e.num_bits() > MAX_RSA_EXPONENT_BITS {
        return Err(KeyProblem::RsaExponent);
    }
    let rsa = Rsa::from_public_components(n, e).map_err(crypto)?;
    PKey::from_rsa(rsa).map_err(crypto)
}

fn ec(obj: &Map<String, Value>, curve: Curve) -> Result<PKey<Public>, KeyProblem> {
    let x = coordinate(obj, "x", curve)?;
    let y = coordinate(obj, "y", curve)?;
    let group = EcGroup::from_curve_name(curve.nid()).map_err(crypto)?;
    let off_curve = |_| KeyProblem::NotOnCurve(curve.crv());
    // OpenSSL refuses coordinates outside the field and points off the curve here; check_key
    // repeats that and adds the point at infinity and the subgroup order, so a bad key fails at
    // load time rather than silently at every request.
    let key = EcKey::from_public_key_affine_coordinates(&group, &x, &y).map_err(off_curve)?;
    key.check_key().map_err(off_curve)?;
    PKey::from_ec_key(key).map_err(crypto)
}

/// An EC coordinate, which RFC 7518 §6.2.1.2 requires to be exactly the field size, leading
/// zeros included.
fn coordinate(
    obj: &Map<String, Value>,
    member: &'static str,
    curve: Curve,
) -> Result<BigNum, KeyProblem> {
    let coord = bytes(obj, member)?;
    let expected = curve.field_len();
    if coord.len() != expected {
        let got = coord.len();
        return Err(KeyProblem::Length { member, got, expected, crv: curve.crv() });
    }
    BigNum::from_slice(&coord).map_err(crypto)
}

fn okp(obj: &Map<String, Value>, curve: EdCurve) -> Result<PKey<Public>, KeyProblem> {
    let (expected, id) = match curve {
        EdCurve::Ed25519 => (32, Id::ED25519),
        EdCurve::Ed448 => (57, Id::ED448),
    };
    let x = bytes(obj, "x")?;
    if x.len() != expected {
        return Err(KeyProblem::Length { member: "x", got: x.len(), expected, crv: curve.crv() });
    }
    if curve == EdCurve::Ed25519 && x.as_slice().try_into().is_ok_and(ed25519::has_small_order) {
        return Err(KeyProblem::SmallOrder { crv: curve.crv() });
    }
    PKey::public_key_from_raw_bytes(&x, id).map_err(|_| KeyProblem::InvalidOkp { crv: curve.crv() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn key_set_is_send_and_sync() {
        assert_send_sync::<KeySet>();
    }

    #[test]
    fn oct_key_without_alg_serves_every_hs_algorithm() {
        let k32 = "A".repeat(43); // 32 zero bytes
        let set = KeySet::from_json(format!(r#"{{"kty":"oct","k":"{k32}"}}"#).as_bytes()).unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.warnings().is_empty());
        assert_eq!(set.candidates(Algorithm::HS256, None).count(), 1);
        assert_eq!(set.candidates(Algorithm::HS512, None).count(), 1);
        assert_eq!(set.candidates(Algorithm::RS256, None).count(), 0);
    }

    /// The log's "N keys" counts keys that verify or decrypt, each once; the status page lists
    /// each use of each key, without material.
    #[test]
    fn keys_are_counted_once_and_described_for_each_use() {
        let k32 = "A".repeat(43);
        let decrypting_only = format!(
            r#"{{"keys":[{{"kty":"oct","kid":"e","use":"enc","alg":"A256KW","k":"{k32}"}}]}}"#
        );
        let set = KeySet::from_json(decrypting_only.as_bytes()).unwrap();
        assert_eq!((set.len(), set.usable_keys()), (0, 1));
        let info = crate::metrics::KeyInfo {
            kid: Some("e".into()),
            kty: "oct",
            alg: Some("A256KW"),
            usage: "enc",
        };
        assert_eq!(set.describe(), vec![info]);

        // A secret without `use` or `alg` both verifies HS* and decrypts dir/A*KW: one key,
        // listed for each use.
        let both = KeySet::from_json(format!(r#"{{"kty":"oct","k":"{k32}"}}"#).as_bytes()).unwrap();
        assert_eq!(both.usable_keys(), 1);
        let uses: Vec<&str> = both.describe().iter().map(|key| key.usage).collect();
        assert_eq!(uses, ["sig", "enc"]);

        let mut combined = set.clone();
        combined.extend(both);
        assert_eq!(combined.usable_keys(), 2);
        let shown = format!("{:?}", combined.describe());
        assert!(!shown.contains(&k32), "{shown}");
    }

    #[test]
    fn debug_does_not_print_secrets() {
        let k = "QUJD".repeat(11); // "ABC" x 11 = 33 bytes
        let set = KeySet::from_json(format!(r#"{{"kty":"oct","k":"{k}","kid":"a"}}"#).as_bytes())
            .unwrap();
        let shown = format!("{set:?}");
        assert!(!shown.contains("ABC") && !shown.contains(&k), "{shown}");
        assert!(shown.contains("oct kid="), "{shown}");
    }
}
