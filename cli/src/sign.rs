//! Signing test tokens with implementations independent of the module's verifier:
//! `jsonwebtoken` where it has the algorithm, OpenSSL's signer for ES512 and Ed448, which
//! `jsonwebtoken` lacks. The header and claims are serialized here, so any member can be set.

use jsonwebtoken::{Algorithm as JwtAlg, EncodingKey};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use serde_json::{Map, Value};

use crate::error::{Context, Result};
use crate::fail;
use crate::keys::{b64, Curve, PrivateKey};

/// Signs `header` (its `alg` must be set) and `claims` with `key`; the compact JWS.
pub fn sign(
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
    key: &PrivateKey,
) -> Result<String> {
    let Some(Value::String(alg)) = header.get("alg") else {
        fail!("the header has no \"alg\"");
    };
    if !key.fits(alg) {
        fail!("cannot sign {alg} with this key ({})", key.describe());
    }
    let input = format!(
        "{}.{}",
        b64(Value::Object(header.clone()).to_string().as_bytes()),
        b64(Value::Object(claims.clone()).to_string().as_bytes())
    );
    let signature = match (key, alg.as_str()) {
        (PrivateKey::Ec(Curve::P521, pkey), "ES512") => b64(&openssl_ecdsa(pkey, &input)?),
        (PrivateKey::Ed448(pkey), "EdDSA") => b64(&openssl_eddsa(pkey, &input)?),
        _ => {
            let (jwt_alg, encoding_key) = jsonwebtoken_key(key, alg)?;
            jsonwebtoken::crypto::sign(input.as_bytes(), &encoding_key, jwt_alg)
                .context(format_args!("cannot sign with {alg}"))?
        }
    };
    Ok(format!("{input}.{signature}"))
}

fn jsonwebtoken_key(key: &PrivateKey, alg: &str) -> Result<(JwtAlg, EncodingKey)> {
    let jwt_alg: JwtAlg = alg.parse().context(format_args!("algorithm {alg}"))?;
    let what = "cannot encode the key for signing";
    let encoding_key = match key {
        PrivateKey::Oct(secret) => EncodingKey::from_secret(secret),
        // PKCS#1 DER for RSA, PKCS#8 DER for EC and Ed25519: what jsonwebtoken's backend reads.
        PrivateKey::Rsa(pkey) => EncodingKey::from_rsa_der(
            &pkey.rsa().context(what)?.private_key_to_der().context(what)?,
        ),
        PrivateKey::Ec(_, pkey) => {
            EncodingKey::from_ec_der(&pkey.private_key_to_pkcs8().context(what)?)
        }
        PrivateKey::Ed25519(pkey) => {
            EncodingKey::from_ed_der(&pkey.private_key_to_pkcs8().context(what)?)
        }
        PrivateKey::Ed448(_) => fail!("Ed448 is signed with OpenSSL"),
        PrivateKey::X25519(_) => fail!("X25519 keys cannot sign"),
    };
    Ok((jwt_alg, encoding_key))
}

/// ECDSA P-521 with SHA-512, in the JWS form `r || s` (66 bytes each, RFC 7518 §3.4).
fn openssl_ecdsa(pkey: &PKey<Private>, input: &str) -> Result<Vec<u8>> {
    let what = "cannot sign with ES512";
    let mut signer = Signer::new(MessageDigest::sha512(), pkey).context(what)?;
    let der = signer.sign_oneshot_to_vec(input.as_bytes()).context(what)?;
    let sig = EcdsaSig::from_der(&der).context(what)?;
    let len = Curve::P521.field_len() as i32;
    let mut out = sig.r().to_vec_padded(len).context(what)?;
    out.extend(sig.s().to_vec_padded(len).context(what)?);
    Ok(out)
}

/// Pure EdDSA (RFC 8037), no pre-hash.
fn openssl_eddsa(pkey: &PKey<Private>, input: &str) -> Result<Vec<u8>> {
    let what = "cannot sign with EdDSA";
    let mut signer = Signer::new_without_digest(pkey).context(what)?;
    signer.sign_oneshot_to_vec(input.as_bytes()).context(what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{generate, KeyType};

    /// Every algorithm signed here verifies with the module's core (the real check is t/70).
    #[test]
    fn every_algorithm_verifies_with_the_core() {
        let cases = [
            (KeyType::Oct(64), ["HS256", "HS384", "HS512"].as_slice()),
            (KeyType::Rsa(2048), &["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]),
            (KeyType::Ec(Curve::P256), &["ES256"]),
            (KeyType::Ec(Curve::P384), &["ES384"]),
            (KeyType::Ec(Curve::P521), &["ES512"]),
            (KeyType::Ed25519, &["EdDSA"]),
            (KeyType::Ed448, &["EdDSA"]),
        ];
        for (kind, algs) in cases {
            let key = generate(kind).unwrap();
            let public = key.public_jwk("k1", None, crate::keys::Usage::Sig).unwrap();
            let set = serde_json::json!({ "keys": [public] }).to_string();
            let set = auth_jwt_core::KeySet::from_json(set.as_bytes()).unwrap();
            for alg in algs {
                let mut header = Map::new();
                header.insert("alg".into(), Value::String((*alg).into()));
                header.insert("kid".into(), Value::String("k1".into()));
                let token = sign(&header, &Map::new(), &key).unwrap();
                let jws = auth_jwt_core::Jws::parse(token.as_bytes(), &Default::default()).unwrap();
                assert_eq!(
                    auth_jwt_core::verify_signature(&jws, Some(&set)),
                    Ok(()),
                    "{alg} {kind:?}"
                );
            }
        }
    }

    #[test]
    fn a_key_of_the_wrong_type_is_an_error() {
        let key = generate(KeyType::Ec(Curve::P256)).unwrap();
        let mut header = Map::new();
        header.insert("alg".into(), Value::String("RS256".into()));
        assert_eq!(
            sign(&header, &Map::new(), &key).unwrap_err().0,
            "cannot sign RS256 with this key (EC P-256)"
        );
    }
}
