//! Keys this tool makes and reads: generation with OpenSSL, and the conversions between an
//! OpenSSL key and its JWK (RFC 7517/7518/8037), private or public, plus the RFC 7638
//! thumbprint used as the default `kid`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey, EcPoint};
use openssl::hash::{hash, MessageDigest};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Rsa;
use serde_json::{Map, Value};

use crate::error::{Context, Result};
use crate::fail;

/// Smallest RSA key the module accepts.
pub const MIN_RSA_BITS: u32 = 2048;

/// The NIST curves of ES256/384/512.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    pub fn crv(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    fn from_crv(crv: &str) -> Option<Curve> {
        [Curve::P256, Curve::P384, Curve::P521].into_iter().find(|c| c.crv() == crv)
    }

    fn nid(self) -> Nid {
        match self {
            Curve::P256 => Nid::X9_62_PRIME256V1,
            Curve::P384 => Nid::SECP384R1,
            Curve::P521 => Nid::SECP521R1,
        }
    }

    fn from_nid(nid: Nid) -> Option<Curve> {
        [Curve::P256, Curve::P384, Curve::P521].into_iter().find(|c| c.nid() == nid)
    }

    /// Size of a coordinate (and of `d`, `r`, `s`) in bytes.
    pub fn field_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// The JWS algorithm of this curve.
    pub fn alg(self) -> &'static str {
        match self {
            Curve::P256 => "ES256",
            Curve::P384 => "ES384",
            Curve::P521 => "ES512",
        }
    }
}

/// A private key (or shared secret) of any type the module can verify with or decrypt with.
pub enum PrivateKey {
    Oct(Vec<u8>),
    Rsa(PKey<Private>),
    Ec(Curve, PKey<Private>),
    Ed25519(PKey<Private>),
    Ed448(PKey<Private>),
    /// Key agreement only (ECDH-ES), never signing.
    X25519(PKey<Private>),
}

/// The `use` of a JWK: what the module does with the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// Verifying signatures (JWS).
    Sig,
    /// Decrypting tokens (JWE).
    Enc,
}

impl Usage {
    pub fn as_str(self) -> &'static str {
        match self {
            Usage::Sig => "sig",
            Usage::Enc => "enc",
        }
    }
}

/// What `keygen` makes, named as on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// An HMAC secret of this many bytes.
    Oct(usize),
    Rsa(u32),
    Ec(Curve),
    Ed25519,
    Ed448,
    X25519,
    /// A PBES2 password: this many random printable characters.
    Password(usize),
}

impl KeyType {
    /// The key type for `alg` (a JWS name, or `Ed25519`/`Ed448` for EdDSA keys).
    pub fn for_alg(alg: &str, rsa_bits: u32) -> Result<(KeyType, &'static str)> {
        Ok(match alg {
            "HS256" => (KeyType::Oct(32), "HS256"),
            "HS384" => (KeyType::Oct(48), "HS384"),
            "HS512" => (KeyType::Oct(64), "HS512"),
            "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => {
                if rsa_bits < MIN_RSA_BITS {
                    fail!("RSA keys must have at least {MIN_RSA_BITS} bits (the module refuses smaller ones)");
                }
                if rsa_bits > 16384 {
                    fail!("RSA keys larger than 16384 bits are not supported");
                }
                let name = auth_jwt_core::Algorithm::from_name(alg).map_or("RS256", |a| a.name());
                (KeyType::Rsa(rsa_bits), name)
            }
            "ES256" => (KeyType::Ec(Curve::P256), "ES256"),
            "ES384" => (KeyType::Ec(Curve::P384), "ES384"),
            "ES512" => (KeyType::Ec(Curve::P521), "ES512"),
            "EdDSA" | "Ed25519" => (KeyType::Ed25519, "EdDSA"),
            "Ed448" => (KeyType::Ed448, "EdDSA"),
            _ => fail!(
                "unknown algorithm \"{alg}\": use HS256, HS384, HS512, RS256, RS384, RS512, \
                 PS256, PS384, PS512, ES256, ES384, ES512, Ed25519 (EdDSA), Ed448, or for \
                 encryption keys {}",
                crate::enc_keys::JWE_ALGS
            ),
        })
    }
}

/// A fresh key of `kind`.
pub fn generate(kind: KeyType) -> Result<PrivateKey> {
    let what = "cannot generate the key";
    Ok(match kind {
        KeyType::Oct(len) => {
            let mut secret = vec![0u8; len];
            openssl::rand::rand_bytes(&mut secret).context(what)?;
            PrivateKey::Oct(secret)
        }
        KeyType::Rsa(bits) => {
            PrivateKey::Rsa(PKey::from_rsa(Rsa::generate(bits).context(what)?).context(what)?)
        }
        KeyType::Ec(curve) => {
            let group = EcGroup::from_curve_name(curve.nid()).context(what)?;
            let key = EcKey::generate(&group).context(what)?;
            PrivateKey::Ec(curve, PKey::from_ec_key(key).context(what)?)
        }
        KeyType::Ed25519 => PrivateKey::Ed25519(PKey::generate_ed25519().context(what)?),
        KeyType::Ed448 => PrivateKey::Ed448(PKey::generate_ed448().context(what)?),
        KeyType::X25519 => PrivateKey::X25519(PKey::generate_x25519().context(what)?),
        KeyType::Password(len) => PrivateKey::Oct(random_password(len)?),
    })
}

/// Random characters from the base64url alphabet: a password people can paste (PBES2 keys
/// are passwords), 6 bits of entropy each.
fn random_password(len: usize) -> Result<Vec<u8>> {
    let mut bytes = vec![0u8; len.div_ceil(4) * 3];
    openssl::rand::rand_bytes(&mut bytes).context("cannot generate the key")?;
    let mut text = b64(&bytes).into_bytes();
    text.truncate(len);
    Ok(text)
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn b64_fixed(n: &openssl::bn::BigNumRef, len: usize) -> Result<String> {
    Ok(b64(&n.to_vec_padded(len as i32).context("cannot encode the key")?))
}

fn s(v: impl Into<String>) -> Value {
    Value::String(v.into())
}

impl PrivateKey {
    /// Whether this key holds a secret that must never leave a 0600 file: every key does, but
    /// for HMAC even the "public" JWK is the secret.
    pub fn is_symmetric(&self) -> bool {
        matches!(self, PrivateKey::Oct(_))
    }

    /// A short description for listings: `RSA 2048`, `EC P-256`, `OKP Ed25519`, `oct 256 bits`.
    pub fn describe(&self) -> String {
        match self {
            PrivateKey::Oct(k) => format!("oct {} bits", k.len() * 8),
            PrivateKey::Rsa(k) => format!("RSA {}", k.bits()),
            PrivateKey::Ec(c, _) => format!("EC {}", c.crv()),
            PrivateKey::Ed25519(_) => "OKP Ed25519".into(),
            PrivateKey::Ed448(_) => "OKP Ed448".into(),
            PrivateKey::X25519(_) => "OKP X25519".into(),
        }
    }

    /// What a key of this type is for when nothing says: X25519 only agrees on keys.
    pub fn usage(&self) -> Usage {
        match self {
            PrivateKey::X25519(_) => Usage::Enc,
            _ => Usage::Sig,
        }
    }

    /// Whether `alg` can be signed with this key.
    pub fn fits(&self, alg: &str) -> bool {
        match self {
            PrivateKey::Oct(_) => alg.starts_with("HS"),
            PrivateKey::Rsa(_) => alg.starts_with("RS") || alg.starts_with("PS"),
            PrivateKey::Ec(c, _) => alg == c.alg(),
            PrivateKey::Ed25519(_) | PrivateKey::Ed448(_) => alg == "EdDSA",
            PrivateKey::X25519(_) => false,
        }
    }

    /// The members that identify the public key, in the lexicographic order of RFC 7638.
    fn required_members(&self) -> Result<Map<String, Value>> {
        let mut m = Map::new();
        match self {
            PrivateKey::Oct(k) => {
                m.insert("k".into(), s(b64(k)));
                m.insert("kty".into(), s("oct"));
            }
            PrivateKey::Rsa(key) => {
                let rsa = key.rsa().context("cannot read the RSA key")?;
                m.insert("e".into(), s(b64(&rsa.e().to_vec())));
                m.insert("kty".into(), s("RSA"));
                m.insert("n".into(), s(b64(&rsa.n().to_vec())));
            }
            PrivateKey::Ec(curve, key) => {
                let ec = key.ec_key().context("cannot read the EC key")?;
                let (x, y) = affine(&ec)?;
                m.insert("crv".into(), s(curve.crv()));
                m.insert("kty".into(), s("EC"));
                m.insert("x".into(), s(b64_fixed(&x, curve.field_len())?));
                m.insert("y".into(), s(b64_fixed(&y, curve.field_len())?));
            }
            PrivateKey::Ed25519(key) | PrivateKey::Ed448(key) | PrivateKey::X25519(key) => {
                let crv = match self {
                    PrivateKey::Ed25519(_) => "Ed25519",
                    PrivateKey::Ed448(_) => "Ed448",
                    _ => "X25519",
                };
                m.insert("crv".into(), s(crv));
                m.insert("kty".into(), s("OKP"));
                let x = key.raw_public_key().context("cannot read the OKP key")?;
                m.insert("x".into(), s(b64(&x)));
            }
        }
        Ok(m)
    }

    /// RFC 7638 JWK thumbprint (SHA-256, base64url): the default `kid`.
    pub fn thumbprint(&self) -> Result<String> {
        let canonical = Value::Object(self.required_members()?).to_string();
        let digest = hash(MessageDigest::sha256(), canonical.as_bytes()).context("sha-256")?;
        Ok(b64(&digest))
    }

    /// The public JWK (for HMAC, the secret itself: the verifier needs it) with `kid`, `use`
    /// and `alg` first, so key sets read well.
    pub fn public_jwk(
        &self,
        kid: &str,
        alg: Option<&str>,
        usage: Usage,
    ) -> Result<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("kid".into(), s(kid));
        m.insert("use".into(), s(usage.as_str()));
        if let Some(alg) = alg {
            m.insert("alg".into(), s(alg));
        }
        let required = self.required_members()?;
        // kty first among the key members, as people expect to read it.
        if let Some(kty) = required.get("kty") {
            m.insert("kty".into(), kty.clone());
        }
        for (k, v) in required {
            m.entry(k).or_insert(v);
        }
        Ok(m)
    }

    /// The private JWK: the public one plus the private members.
    pub fn private_jwk(
        &self,
        kid: &str,
        alg: Option<&str>,
        usage: Usage,
    ) -> Result<Map<String, Value>> {
        let mut m = self.public_jwk(kid, alg, usage)?;
        match self {
            PrivateKey::Oct(_) => {}
            PrivateKey::Rsa(key) => {
                let rsa = key.rsa().context("cannot read the RSA key")?;
                let parts = [
                    ("d", Some(rsa.d())),
                    ("p", rsa.p()),
                    ("q", rsa.q()),
                    ("dp", rsa.dmp1()),
                    ("dq", rsa.dmq1()),
                    ("qi", rsa.iqmp()),
                ];
                for (name, value) in parts {
                    let Some(value) = value else {
                        fail!("the RSA key has no CRT parameters ({name})");
                    };
                    m.insert(name.into(), s(b64(&value.to_vec())));
                }
            }
            PrivateKey::Ec(curve, key) => {
                let ec = key.ec_key().context("cannot read the EC key")?;
                m.insert("d".into(), s(b64_fixed(ec.private_key(), curve.field_len())?));
            }
            PrivateKey::Ed25519(key) | PrivateKey::Ed448(key) | PrivateKey::X25519(key) => {
                let d = key.raw_private_key().context("cannot read the OKP key")?;
                m.insert("d".into(), s(b64(&d)));
            }
        }
        Ok(m)
    }

    /// PKCS#8 PEM of an asymmetric key.
    pub fn to_pem(&self) -> Result<Vec<u8>> {
        let key = match self {
            PrivateKey::Oct(_) => {
                fail!("secret (oct) keys have no PEM form: use --format jwk")
            }
            PrivateKey::Rsa(k)
            | PrivateKey::Ec(_, k)
            | PrivateKey::Ed25519(k)
            | PrivateKey::Ed448(k)
            | PrivateKey::X25519(k) => k,
        };
        key.private_key_to_pem_pkcs8().context("cannot encode the key as PEM")
    }

    /// Reads a private key from a PEM file (PKCS#8, or the traditional RSA/EC forms).
    pub fn from_pem(pem: &[u8]) -> Result<PrivateKey> {
        let key = PKey::private_key_from_pem(pem)
            .or_else(|_| PKey::private_key_from_pkcs8(pem))
            .context("not a private key in PEM form")?;
        Self::from_pkey(key)
    }

    fn from_pkey(key: PKey<Private>) -> Result<PrivateKey> {
        Ok(match key.id() {
            Id::RSA => PrivateKey::Rsa(key),
            Id::EC => {
                let ec = key.ec_key().context("cannot read the EC key")?;
                let nid = ec.group().curve_name();
                let Some(curve) = nid.and_then(Curve::from_nid) else {
                    fail!("EC curve is not P-256, P-384 or P-521");
                };
                PrivateKey::Ec(curve, key)
            }
            Id::ED25519 => PrivateKey::Ed25519(key),
            Id::ED448 => PrivateKey::Ed448(key),
            Id::X25519 => PrivateKey::X25519(key),
            _ => fail!(
                "unsupported key type (use RSA, EC P-256/P-384/P-521, Ed25519, Ed448 or X25519)"
            ),
        })
    }

    /// Reads a private JWK (`d` and the rest present; for `oct`, `k`).
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<PrivateKey> {
        let kty = member(jwk, "kty")?;
        let bn = |name: &str| -> Result<BigNum> {
            BigNum::from_slice(&decode(jwk, name)?).context(format_args!("member \"{name}\""))
        };
        match kty {
            "oct" => Ok(PrivateKey::Oct(decode(jwk, "k")?)),
            "RSA" => {
                if !jwk.contains_key("d") {
                    fail!("the JWK is a public key (no \"d\"): signing needs the private key");
                }
                let rsa = Rsa::from_private_components(
                    bn("n")?,
                    bn("e")?,
                    bn("d")?,
                    bn("p")?,
                    bn("q")?,
                    bn("dp")?,
                    bn("dq")?,
                    bn("qi")?,
                )
                .context("invalid RSA key")?;
                rsa.check_key().context("invalid RSA key")?;
                Ok(PrivateKey::Rsa(PKey::from_rsa(rsa).context("invalid RSA key")?))
            }
            "EC" => {
                let crv = member(jwk, "crv")?;
                let Some(curve) = Curve::from_crv(crv) else {
                    fail!("EC curve \"{crv}\" is not P-256, P-384 or P-521");
                };
                if !jwk.contains_key("d") {
                    fail!("the JWK is a public key (no \"d\"): signing needs the private key");
                }
                let group = EcGroup::from_curve_name(curve.nid()).context("EC group")?;
                let d = bn("d")?;
                let mut ctx = BigNumContext::new().context("bignum")?;
                let mut point = EcPoint::new(&group).context("EC point")?;
                point.mul_generator2(&group, &d, &mut ctx).context("invalid EC key")?;
                let key =
                    EcKey::from_private_components(&group, &d, &point).context("invalid EC key")?;
                key.check_key().context("invalid EC key")?;
                Ok(PrivateKey::Ec(curve, PKey::from_ec_key(key).context("invalid EC key")?))
            }
            "OKP" => {
                let crv = member(jwk, "crv")?;
                let id = match crv {
                    "Ed25519" => Id::ED25519,
                    "Ed448" => Id::ED448,
                    "X25519" => Id::X25519,
                    _ => fail!("OKP curve \"{crv}\" is not Ed25519, Ed448 or X25519"),
                };
                if !jwk.contains_key("d") {
                    fail!("the JWK is a public key (no \"d\"): signing needs the private key");
                }
                let key = PKey::private_key_from_raw_bytes(&decode(jwk, "d")?, id)
                    .context(format_args!("invalid {crv} key"))?;
                Self::from_pkey(key)
            }
            other => fail!("unsupported kty \"{other}\""),
        }
    }
}

fn affine(ec: &EcKey<Private>) -> Result<(BigNum, BigNum)> {
    let mut ctx = BigNumContext::new().context("bignum")?;
    let mut x = BigNum::new().context("bignum")?;
    let mut y = BigNum::new().context("bignum")?;
    ec.public_key()
        .affine_coordinates(ec.group(), &mut x, &mut y, &mut ctx)
        .context("cannot read the EC point")?;
    Ok((x, y))
}

/// A required string member.
pub fn member<'j>(jwk: &'j Map<String, Value>, name: &str) -> Result<&'j str> {
    match jwk.get(name) {
        Some(Value::String(v)) => Ok(v),
        Some(_) => fail!("JWK member \"{name}\" is not a string"),
        None => fail!("JWK member \"{name}\" is missing"),
    }
}

fn decode(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(member(jwk, name)?)
        .context(format_args!("JWK member \"{name}\" is not base64url"))
}

/// JWK members that only a private key has: a key set for the module must not contain them.
pub const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// Whether `jwk` is a key for decrypting encrypted tokens (`"use": "enc"`): the module
/// decrypts with its private part, so a key file for nginx keeps it.
pub fn is_decryption_key(jwk: &Map<String, Value>) -> bool {
    jwk.get("use").and_then(Value::as_str) == Some("enc")
}

/// The public JWK of any JWK: private members removed (an `oct` key stays as it is).
pub fn strip_private(jwk: &Map<String, Value>) -> Map<String, Value> {
    let mut out = jwk.clone();
    if jwk.get("kty").and_then(Value::as_str) != Some("oct") {
        for name in PRIVATE_MEMBERS {
            out.remove(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_example_thumbprint() {
        // RFC 7638 §3.1: the RSA key and its thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let rsa = Rsa::from_public_components(
            BigNum::from_slice(&URL_SAFE_NO_PAD.decode(n).unwrap()).unwrap(),
            BigNum::from_u32(65537).unwrap(),
        )
        .unwrap();
        let mut m = Map::new();
        m.insert("e".into(), s(b64(&rsa.e().to_vec())));
        m.insert("kty".into(), s("RSA"));
        m.insert("n".into(), s(b64(&rsa.n().to_vec())));
        let digest =
            hash(MessageDigest::sha256(), Value::Object(m).to_string().as_bytes()).unwrap();
        assert_eq!(b64(&digest), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn every_key_type_round_trips_through_its_private_jwk() {
        for kind in [
            KeyType::Oct(32),
            KeyType::Rsa(2048),
            KeyType::Ec(Curve::P256),
            KeyType::Ec(Curve::P521),
            KeyType::Ed25519,
            KeyType::Ed448,
            KeyType::X25519,
        ] {
            let key = generate(kind).unwrap();
            let kid = key.thumbprint().unwrap();
            let usage = if kind == KeyType::X25519 { Usage::Enc } else { Usage::Sig };
            let jwk = key.private_jwk(&kid, None, usage).unwrap();
            let back = PrivateKey::from_jwk(&jwk).unwrap();
            assert_eq!(back.thumbprint().unwrap(), kid, "{kind:?}");
            let public = strip_private(&jwk);
            if !key.is_symmetric() {
                assert!(!public.contains_key("d"), "{kind:?}");
            }
            // The module's own loader accepts the public JWK (an encryption key: the private
            // one, which is what decrypts).
            let loaded = if usage == Usage::Enc { &jwk } else { &public };
            let set = serde_json::json!({ "keys": [loaded] }).to_string();
            let set = auth_jwt_core::KeySet::from_json(set.as_bytes()).unwrap();
            assert_eq!(set.len() + set.decryption_keys().len(), 1, "{kind:?}");
        }
    }

    #[test]
    fn small_rsa_and_unknown_algorithms_are_refused() {
        assert!(KeyType::for_alg("RS256", 1024).unwrap_err().0.contains("at least 2048"));
        assert!(KeyType::for_alg("none", 2048).unwrap_err().0.starts_with("unknown algorithm"));
        assert_eq!(KeyType::for_alg("Ed448", 2048).unwrap(), (KeyType::Ed448, "EdDSA"));
    }

    #[test]
    fn public_jwk_cannot_sign() {
        let key = generate(KeyType::Ec(Curve::P256)).unwrap();
        let public = key.public_jwk("k", None, Usage::Sig).unwrap();
        let err = PrivateKey::from_jwk(&public).err().unwrap();
        assert!(err.0.contains("public key"), "{err}");
    }
}
