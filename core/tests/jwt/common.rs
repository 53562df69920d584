//! Test fixtures: keys, JWKs and tokens, all made with OpenSSL.

use std::sync::OnceLock;

use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{RsaPssSaltlen, Signer};
use serde_json::{json, Value};

use auth_jwt_core::{Algorithm, KeySet, Limits};

/// base64url without padding, written independently of the crate's decoder.
pub fn b64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// A signing key of any supported type.
pub enum Key {
    Hmac(Vec<u8>),
    Rsa(PKey<Private>),
    Ec(PKey<Private>, &'static str),
    Ed(PKey<Private>, &'static str),
}

pub struct Fixtures {
    pub hmac: Key,
    pub hmac_other: Key,
    pub hmac64: Key,
    pub hmac64_other: Key,
    pub rsa: Key,
    pub rsa_other: Key,
    pub p256: Key,
    pub p256_other: Key,
    pub p384: Key,
    pub p384_other: Key,
    pub p521: Key,
    pub p521_other: Key,
    pub ed25519: Key,
    pub ed25519_other: Key,
    pub ed448: Key,
    pub ed448_other: Key,
}

pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| Fixtures {
        hmac: Key::Hmac(random(32)),
        hmac_other: Key::Hmac(random(32)),
        hmac64: Key::Hmac(random(64)),
        hmac64_other: Key::Hmac(random(64)),
        rsa: rsa_key(2048),
        rsa_other: rsa_key(2048),
        p256: ec_key("P-256"),
        p256_other: ec_key("P-256"),
        p384: ec_key("P-384"),
        p384_other: ec_key("P-384"),
        p521: ec_key("P-521"),
        p521_other: ec_key("P-521"),
        ed25519: ed_key("Ed25519"),
        ed25519_other: ed_key("Ed25519"),
        ed448: ed_key("Ed448"),
        ed448_other: ed_key("Ed448"),
    })
}

pub fn random(len: usize) -> Vec<u8> {
    let mut buf = vec![0; len];
    openssl::rand::rand_bytes(&mut buf).unwrap();
    buf
}

pub fn rsa_key(bits: u32) -> Key {
    Key::Rsa(PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap())
}

pub fn curve_nid(crv: &str) -> Nid {
    match crv {
        "P-256" => Nid::X9_62_PRIME256V1,
        "P-384" => Nid::SECP384R1,
        "P-521" => Nid::SECP521R1,
        "secp256k1" => Nid::SECP256K1,
        _ => panic!("{crv}"),
    }
}

pub fn field_len(crv: &str) -> usize {
    match crv {
        "P-256" | "secp256k1" => 32,
        "P-384" => 48,
        "P-521" => 66,
        _ => panic!("{crv}"),
    }
}

pub fn ec_key(crv: &'static str) -> Key {
    let group = EcGroup::from_curve_name(curve_nid(crv)).unwrap();
    Key::Ec(PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap(), crv)
}

pub fn ed_key(crv: &'static str) -> Key {
    let key = match crv {
        "Ed25519" => PKey::generate_ed25519().unwrap(),
        "Ed448" => PKey::generate_ed448().unwrap(),
        _ => panic!("{crv}"),
    };
    Key::Ed(key, crv)
}

impl Key {
    /// The public JWK, with `extra` members merged in (e.g. `kid`, `alg`).
    pub fn jwk(&self, extra: Value) -> Value {
        let mut jwk = match self {
            Key::Hmac(secret) => json!({"kty": "oct", "k": b64(secret)}),
            Key::Rsa(key) => {
                let rsa = key.rsa().unwrap();
                json!({"kty": "RSA", "n": b64(&rsa.n().to_vec()), "e": b64(&rsa.e().to_vec())})
            }
            Key::Ec(key, crv) => {
                let ec = key.ec_key().unwrap();
                let (mut x, mut y) = (BigNum::new().unwrap(), BigNum::new().unwrap());
                let mut ctx = BigNumContext::new().unwrap();
                ec.public_key().affine_coordinates(ec.group(), &mut x, &mut y, &mut ctx).unwrap();
                let len = field_len(crv) as i32;
                json!({
                    "kty": "EC",
                    "crv": crv,
                    "x": b64(&x.to_vec_padded(len).unwrap()),
                    "y": b64(&y.to_vec_padded(len).unwrap()),
                })
            }
            Key::Ed(key, crv) => {
                json!({"kty": "OKP", "crv": crv, "x": b64(&key.raw_public_key().unwrap())})
            }
        };
        if let Value::Object(extra) = extra {
            jwk.as_object_mut().unwrap().extend(extra);
        }
        jwk
    }

    /// A key set holding just this key.
    pub fn set(&self, extra: Value) -> KeySet {
        keyset(&[self.jwk(extra)])
    }

    /// Signs `input` the way `alg` prescribes, producing the JWS signature bytes.
    pub fn sign(&self, alg: &str, input: &[u8]) -> Vec<u8> {
        let md = match &alg[2..] {
            "256" => MessageDigest::sha256(),
            "384" => MessageDigest::sha384(),
            "512" => MessageDigest::sha512(),
            _ => MessageDigest::null(),
        };
        match (self, &alg[..2]) {
            (Key::Hmac(secret), "HS") => {
                let pkey = PKey::hmac(secret).unwrap();
                let mut signer = Signer::new(md, &pkey).unwrap();
                signer.sign_oneshot_to_vec(input).unwrap()
            }
            (Key::Rsa(key), "RS" | "PS") => {
                let mut signer = Signer::new(md, key).unwrap();
                if alg.starts_with("PS") {
                    signer.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
                    signer.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH).unwrap();
                    signer.set_rsa_mgf1_md(md).unwrap();
                } else {
                    signer.set_rsa_padding(Padding::PKCS1).unwrap();
                }
                signer.sign_oneshot_to_vec(input).unwrap()
            }
            (Key::Ec(key, crv), "ES") => {
                let mut signer = Signer::new(md, key).unwrap();
                let der = signer.sign_oneshot_to_vec(input).unwrap();
                let sig = EcdsaSig::from_der(&der).unwrap();
                let len = field_len(crv) as i32;
                let mut raw = sig.r().to_vec_padded(len).unwrap();
                raw.extend(sig.s().to_vec_padded(len).unwrap());
                raw
            }
            (Key::Ed(key, _), "Ed") => {
                let mut signer = Signer::new_without_digest(key).unwrap();
                signer.sign_oneshot_to_vec(input).unwrap()
            }
            _ => panic!("cannot sign {alg} with this key"),
        }
    }

    /// The public key as DER (SubjectPublicKeyInfo) and PEM, for confusion attacks.
    pub fn public_der_pem(&self) -> (Vec<u8>, Vec<u8>) {
        match self {
            Key::Rsa(key) | Key::Ec(key, _) | Key::Ed(key, _) => {
                (key.public_key_to_der().unwrap(), key.public_key_to_pem().unwrap())
            }
            Key::Hmac(_) => panic!("no public key"),
        }
    }
}

/// A key of every type, each under its own kid (used by the adversarial and allocation tests).
#[allow(dead_code)]
pub fn every_key_type() -> KeySet {
    let f = fixtures();
    keyset(&[
        f.hmac.jwk(json!({"kid": "hs256"})),
        f.hmac64.jwk(json!({"kid": "hs512"})),
        f.rsa.jwk(json!({"kid": "rsa"})),
        f.p256.jwk(json!({"kid": "ec256"})),
        f.p384.jwk(json!({"kid": "ec384"})),
        f.p521.jwk(json!({"kid": "ec521"})),
        f.ed25519.jwk(json!({"kid": "ed25519"})),
        f.ed448.jwk(json!({"kid": "ed448"})),
    ])
}

pub fn keyset(jwks: &[Value]) -> KeySet {
    KeySet::from_json(json!({ "keys": jwks }).to_string().as_bytes()).unwrap()
}

/// `header` and `claims` are raw JSON text, so tests can put anything in them.
pub fn unsigned(header: &str, claims: &str) -> String {
    format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()))
}

/// A complete token: raw JSON header and claims, signed with `key` under `alg`.
pub fn token_raw(key: &Key, alg: &str, header: &str, claims: &str) -> String {
    let input = unsigned(header, claims);
    let sig = key.sign(alg, input.as_bytes());
    format!("{input}.{}", b64(&sig))
}

/// A complete token with header `{"alg": alg}` plus `header_extra`.
pub fn token(key: &Key, alg: &str, header_extra: Value, claims: Value) -> String {
    let mut header = json!({ "alg": alg });
    if let Value::Object(extra) = header_extra {
        header.as_object_mut().unwrap().extend(extra);
    }
    token_raw(key, alg, &header.to_string(), &claims.to_string())
}

/// Replaces the signature of `token` with `sig`.
pub fn with_signature(token: &str, sig: &[u8]) -> String {
    let input = token.rsplit_once('.').unwrap().0;
    format!("{input}.{}", b64(sig))
}

pub fn limits() -> Limits {
    Limits::default()
}

pub fn verify(token: &str, keys: &KeySet) -> Result<(), String> {
    let jws =
        auth_jwt_core::Jws::parse(token.as_bytes(), &limits()).map_err(|r| r.kind().to_owned())?;
    auth_jwt_core::verify_signature(&jws, Some(keys)).map_err(|r| r.kind().to_owned())
}

/// Every algorithm, with the fixture key that signs it and a wrong key of the same type.
pub fn all_algorithms() -> Vec<(Algorithm, &'static Key, &'static Key)> {
    let f = fixtures();
    vec![
        (Algorithm::HS256, &f.hmac, &f.hmac_other),
        (Algorithm::HS384, &f.hmac64, &f.hmac64_other),
        (Algorithm::HS512, &f.hmac64, &f.hmac64_other),
        (Algorithm::RS256, &f.rsa, &f.rsa_other),
        (Algorithm::RS384, &f.rsa, &f.rsa_other),
        (Algorithm::RS512, &f.rsa, &f.rsa_other),
        (Algorithm::PS256, &f.rsa, &f.rsa_other),
        (Algorithm::PS384, &f.rsa, &f.rsa_other),
        (Algorithm::PS512, &f.rsa, &f.rsa_other),
        (Algorithm::ES256, &f.p256, &f.p256_other),
        (Algorithm::ES384, &f.p384, &f.p384_other),
        (Algorithm::ES512, &f.p521, &f.p521_other),
        (Algorithm::EdDSA, &f.ed25519, &f.ed25519_other),
        (Algorithm::EdDSA, &f.ed448, &f.ed448_other),
    ]
}
