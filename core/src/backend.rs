//! Which crypto library verifies which signature, chosen by measurement (`bench/backends`;
//! the figures are in docs/performance.md): aws-lc-rs for RSA, ECDSA and Ed25519, where it is
//! at least as fast as OpenSSL 3.0 and for several curves much faster, and OpenSSL (the system
//! libcrypto that nginx links) for Ed448, which aws-lc-rs lacks, and for any key aws-lc-rs
//! refuses (RSA moduli above 8192 bits or exponents above 33 bits, which our key checks still
//! allow).
//!
//! Keys are parsed and checked with OpenSSL when a key set is loaded (see `jwk.rs`); the
//! aws-lc-rs forms are built from them at the same time, once per algorithm the key can
//! serve, so a request never parses a key.

use std::sync::Arc;

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self as lc, ParsedPublicKey};
use openssl::bn::BigNumContext;
use openssl::ec::PointConversionForm;
use openssl::pkey::{PKey, Public};

use crate::algorithm::{Algorithm, Curve, Hash};

/// An HMAC secret with its aws-lc-rs keys for HS256, HS384 and HS512, prepared once when the
/// key set is loaded (preparing one costs about as much as verifying a short token).
#[derive(Clone)]
pub(crate) struct HmacSecret {
    len: usize,
    /// Shared by clones (key sets are cloned when several files are combined), and out of line:
    /// the three keys take kilobytes.
    keys: Arc<HmacKeys>,
}

struct HmacKeys {
    sha256: hmac::Key,
    sha384: hmac::Key,
    sha512: hmac::Key,
}

impl HmacSecret {
    pub(crate) fn new(secret: &[u8]) -> HmacSecret {
        let keys = HmacKeys {
            sha256: hmac::Key::new(hmac::HMAC_SHA256, secret),
            sha384: hmac::Key::new(hmac::HMAC_SHA384, secret),
            sha512: hmac::Key::new(hmac::HMAC_SHA512, secret),
        };
        HmacSecret { len: secret.len(), keys: Arc::new(keys) }
    }

    /// Length of the secret in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether `tag` is the HMAC of `data` under `hash`, compared in constant time, so that
    /// response timing does not reveal how much of a forged tag was right.
    pub(crate) fn verify(&self, hash: Hash, data: &[u8], tag: &[u8]) -> bool {
        let key = match hash {
            Hash::Sha256 => &self.keys.sha256,
            Hash::Sha384 => &self.keys.sha384,
            Hash::Sha512 => &self.keys.sha512,
        };
        hmac::verify(key, data, tag).is_ok()
    }
}

/// A verification key: the OpenSSL key, and the aws-lc-rs keys pre-parsed for each algorithm
/// they serve (none when aws-lc-rs cannot take the key).
#[derive(Clone)]
pub(crate) struct PublicKey {
    pub(crate) openssl: PKey<Public>,
    /// Shared by clones: key sets are cloned when several files are combined.
    fast: Arc<[(Algorithm, ParsedPublicKey)]>,
}

const RSA_ALGS: [(Algorithm, &lc::RsaParameters); 6] = [
    (Algorithm::RS256, &lc::RSA_PKCS1_2048_8192_SHA256),
    (Algorithm::RS384, &lc::RSA_PKCS1_2048_8192_SHA384),
    (Algorithm::RS512, &lc::RSA_PKCS1_2048_8192_SHA512),
    (Algorithm::PS256, &lc::RSA_PSS_2048_8192_SHA256),
    (Algorithm::PS384, &lc::RSA_PSS_2048_8192_SHA384),
    (Algorithm::PS512, &lc::RSA_PSS_2048_8192_SHA512),
];

impl PublicKey {
    /// An RSA key; `openssl` has passed the checks of `jwk.rs`.
    pub(crate) fn rsa(openssl: PKey<Public>) -> PublicKey {
        let der = openssl.rsa().and_then(|rsa| rsa.public_key_to_der_pkcs1()).ok();
        let fast = der
            .map(|der| {
                RSA_ALGS
                    .iter()
                    .filter_map(|&(alg, params)| {
                        ParsedPublicKey::new(params, &der).ok().map(|key| (alg, key))
                    })
                    .collect()
            })
            .unwrap_or_default();
        PublicKey { openssl, fast }
    }

    /// An EC key on `curve`, verified with the fixed-size `r || s` signatures of JWS.
    pub(crate) fn ec(curve: Curve, openssl: PKey<Public>) -> PublicKey {
        let (alg, params): (Algorithm, &'static lc::EcdsaVerificationAlgorithm) = match curve {
            Curve::P256 => (Algorithm::ES256, &lc::ECDSA_P256_SHA256_FIXED),
            Curve::P384 => (Algorithm::ES384, &lc::ECDSA_P384_SHA384_FIXED),
            Curve::P521 => (Algorithm::ES512, &lc::ECDSA_P521_SHA512_FIXED),
        };
        let point = openssl.ec_key().ok().and_then(|ec| {
            let mut ctx = BigNumContext::new().ok()?;
            ec.public_key().to_bytes(ec.group(), PointConversionForm::UNCOMPRESSED, &mut ctx).ok()
        });
        let fast = point
            .and_then(|point| ParsedPublicKey::new(params, point).ok())
            .map(|key| vec![(alg, key)].into())
            .unwrap_or_default();
        PublicKey { openssl, fast }
    }

    /// An Ed25519 key (aws-lc-rs), or an Ed448 key (`ed25519: false`, OpenSSL only).
    pub(crate) fn okp(openssl: PKey<Public>, ed25519: bool) -> PublicKey {
        let fast = match (ed25519, openssl.raw_public_key()) {
            (true, Ok(raw)) => ParsedPublicKey::new(&lc::ED25519, raw)
                .map(|key| vec![(Algorithm::EdDSA, key)].into())
                .unwrap_or_default(),
            _ => Arc::from([]),
        };
        PublicKey { openssl, fast }
    }

    /// Verifies with aws-lc-rs: `Some(valid)`, or `None` when this key has no aws-lc-rs form
    /// for `alg` (then OpenSSL decides).
    pub(crate) fn verify_fast(&self, alg: Algorithm, data: &[u8], sig: &[u8]) -> Option<bool> {
        let (_, key) = self.fast.iter().find(|(own, _)| *own == alg)?;
        Some(key.verify_sig(data, sig).is_ok())
    }

    /// Whether aws-lc-rs serves `alg` with this key.
    #[cfg(test)]
    pub(crate) fn has_fast(&self, alg: Algorithm) -> bool {
        self.fast.iter().any(|(own, _)| *own == alg)
    }
}

#[cfg(test)]
mod tests {
    use openssl::bn::BigNum;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::pkey::Private;
    use openssl::rsa::Rsa;
    use openssl::sign::Signer;

    use super::*;

    fn public(key: &PKey<Private>) -> PKey<Public> {
        PKey::public_key_from_der(&key.public_key_to_der().unwrap()).unwrap()
    }

    #[test]
    fn aws_lc_serves_rsa_ec_and_ed25519_keys() {
        let rsa = PublicKey::rsa(public(&PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()));
        for (alg, _) in RSA_ALGS {
            assert!(rsa.has_fast(alg), "{alg}");
        }
        assert!(!rsa.has_fast(Algorithm::ES256));
        for (curve, alg) in [
            (Curve::P256, Algorithm::ES256),
            (Curve::P384, Algorithm::ES384),
            (Curve::P521, Algorithm::ES512),
        ] {
            let group = EcGroup::from_curve_name(curve.nid()).unwrap();
            let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
            assert!(PublicKey::ec(curve, public(&key)).has_fast(alg), "{alg}");
        }
        let ed25519 = PublicKey::okp(public(&PKey::generate_ed25519().unwrap()), true);
        assert!(ed25519.has_fast(Algorithm::EdDSA));
        let ed448 = PublicKey::okp(public(&PKey::generate_ed448().unwrap()), false);
        assert!(!ed448.has_fast(Algorithm::EdDSA));
    }

    /// An exponent of 41 bits is allowed by our key checks (at most 64) but refused by
    /// aws-lc-rs (at most 33): OpenSSL must then verify.
    #[test]
    fn keys_aws_lc_refuses_are_left_to_openssl() {
        let e = BigNum::from_dec_str("1099511627791").unwrap(); // 2^40 + 15, odd
        let private = PKey::from_rsa(Rsa::generate_with_e(2048, &e).unwrap()).unwrap();
        let key = PublicKey::rsa(public(&private));
        assert!(!key.has_fast(Algorithm::RS256));
        let mut signer = Signer::new(MessageDigest::sha256(), &private).unwrap();
        let sig = signer.sign_oneshot_to_vec(b"data").unwrap();
        assert_eq!(key.verify_fast(Algorithm::RS256, b"data", &sig), None);
    }
}
