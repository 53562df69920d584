//! Signature verification: choosing candidate keys and checking the signature with each.

use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Public};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Verifier};

use crate::algorithm::{Algorithm, Curve, Family, Hash};
use crate::backend::PublicKey;
use crate::error::{escape, Rejection};
use crate::jwk::{KeySet, Material};
use crate::token::Jws;

/// Verifies `jws` against `keys`.
///
/// `None` means that no key directive is configured: like NGINX Plus, the signature is then not
/// checked at all (the token has still been through [`Jws::parse`], which refuses `alg: none`).
///
/// With a `kid` in the token, only keys with exactly that `kid`, or with no `kid` at all, are
/// candidates (never keys under another `kid`); without one, every key that suits the
/// algorithm is. Candidates are tried in key-set order. No candidate
/// gives `no_key`; candidates that all fail give `bad_signature`.
pub fn verify_signature(jws: &Jws, keys: Option<&KeySet>) -> Result<(), Rejection> {
    let Some(keys) = keys else { return Ok(()) };
    let alg = jws.algorithm();
    let mut candidates = keys.candidates(alg, jws.kid()).peekable();
    if candidates.peek().is_none() {
        return Err(Rejection::NoKey { kid: jws.kid().map(escape), alg });
    }
    for key in candidates {
        if verify_with(&key.material, alg, jws.signing_input(), jws.signature()) {
            return Ok(());
        }
    }
    Err(Rejection::BadSignature)
}

/// Whether `signature` over `data` verifies with `material` under `alg`. Any crypto library
/// failure counts as "does not verify": the input is attacker-controlled, and a malformed
/// signature is just a wrong one. aws-lc-rs verifies where it has the key, OpenSSL otherwise
/// (see `backend.rs`).
fn verify_with(material: &Material, alg: Algorithm, data: &[u8], signature: &[u8]) -> bool {
    // Candidate selection already matched the key to the family; matching again here keeps
    // this function safe on its own.
    match (material, alg.family(), alg.hash()) {
        (Material::Oct(secret), Family::Hmac, Some(hash)) => secret.verify(hash, data, signature),
        (Material::Rsa(key), Family::RsaPkcs1, Some(hash)) => key
            .verify_fast(alg, data, signature)
            .unwrap_or_else(|| rsa(&key.openssl, hash, false, data, signature).unwrap_or(false)),
        (Material::Rsa(key), Family::RsaPss, Some(hash)) => key
            .verify_fast(alg, data, signature)
            .unwrap_or_else(|| rsa(&key.openssl, hash, true, data, signature).unwrap_or(false)),
        (Material::Ec(curve, key), Family::Ecdsa(wanted), Some(hash)) if *curve == wanted => {
            ecdsa(*curve, key, alg, hash, data, signature).unwrap_or(false)
        }
        (Material::Okp(_, key), Family::EdDsa, None) => key
            .verify_fast(alg, data, signature)
            .unwrap_or_else(|| eddsa(&key.openssl, data, signature).unwrap_or(false)),
        _ => false,
    }
}

fn digest(hash: Hash) -> MessageDigest {
    match hash {
        Hash::Sha256 => MessageDigest::sha256(),
        Hash::Sha384 => MessageDigest::sha384(),
        Hash::Sha512 => MessageDigest::sha512(),
    }
}

/// RSASSA-PKCS1-v1_5 (RS*) or RSASSA-PSS (PS*). RFC 7518 §3.5 fixes PSS to MGF1 with the same
/// hash and a salt as long as the hash; accepting other salt lengths would accept signatures
/// no conforming signer makes.
fn rsa(
    key: &PKey<Public>,
    hash: Hash,
    pss: bool,
    data: &[u8],
    sig: &[u8],
) -> Result<bool, ErrorStack> {
    let md = digest(hash);
    let mut verifier = Verifier::new(md, key)?;
    if pss {
        verifier.set_rsa_padding(Padding::PKCS1_PSS)?;
        verifier.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
        verifier.set_rsa_mgf1_md(md)?;
    } else {
        verifier.set_rsa_padding(Padding::PKCS1)?;
    }
    verifier.verify_oneshot(sig, data)
}

/// ECDSA with the JWS signature format: `r || s`, each exactly the field size (RFC 7518 §3.4).
/// aws-lc-rs takes that form as is; for OpenSSL it is converted to DER.
fn ecdsa(
    curve: Curve,
    key: &PublicKey,
    alg: Algorithm,
    hash: Hash,
    data: &[u8],
    sig: &[u8],
) -> Result<bool, ErrorStack> {
    let half = curve.field_len();
    if sig.len() != 2 * half {
        return Ok(false);
    }
    let (r, s) = sig.split_at(half);
    // r = 0 or s = 0 is never a valid signature; Java's "psychic signatures" bug
    // (CVE-2022-21449) accepted it for every message. OpenSSL refuses it too, but this must not
    // depend on the library version.
    if r.iter().all(|&b| b == 0) || s.iter().all(|&b| b == 0) {
        return Ok(false);
    }
    if let Some(valid) = key.verify_fast(alg, data, sig) {
        return Ok(valid);
    }
    let der = EcdsaSig::from_private_components(BigNum::from_slice(r)?, BigNum::from_slice(s)?)?
        .to_der()?;
    Verifier::new(digest(hash), &key.openssl)?.verify_oneshot(&der, data)
}

/// EdDSA (RFC 8037): Ed25519 or Ed448 by the key's curve, pure mode with an empty context.
fn eddsa(key: &PKey<Public>, data: &[u8], sig: &[u8]) -> Result<bool, ErrorStack> {
    Verifier::new_without_digest(key)?.verify_oneshot(sig, data)
}

/// [`verify_signature`] over the union of several key sets (a level whose key files are
/// resolved per request), without building the union: the outcome is the same.
pub fn verify_signature_any(jws: &Jws, sets: &[&KeySet]) -> Result<(), Rejection> {
    let mut outcome = None;
    for keys in sets {
        match verify_signature(jws, Some(keys)) {
            Ok(()) => return Ok(()),
            // A set with candidates that all failed decides over sets without candidates.
            Err(Rejection::NoKey { .. }) if outcome.is_some() => {}
            Err(rejection) => outcome = Some(rejection),
        }
    }
    Err(outcome.unwrap_or(Rejection::NoKey { kid: jws.kid().map(escape), alg: jws.algorithm() }))
}
