//! Key management (`alg`, RFC 7518 §4): recovering the content encryption key (CEK) of one
//! token with one candidate key.
//!
//! Failures carry nothing ([`Failed`]). The caller does not even stop on them: following RFC
//! 7516 §11.5 it goes on with a random CEK, so that a bad RSA-OAEP padding or a failed key wrap
//! integrity check costs the same time and ends in the same `decryption failed` as a bad tag.

use aws_lc_rs::agreement;
use aws_lc_rs::digest;
use aws_lc_rs::key_wrap::{self, AesKek, KeyWrap};
use aws_lc_rs::rsa::{
    OaepAlgorithm, OaepPrivateDecryptingKey, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256,
    OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512,
};
use openssl::aes::{unwrap_key, AesKey};
use openssl::hash::MessageDigest;

use super::algorithms::{AesSize, KeyAlgorithm, OaepHash, Pbes2Hash};
use super::content::{gcm_unwrap, Failed};
use super::header::{EphemeralKey, KeyParams};
use super::keys::{DecryptionKey, Material};
use super::Jwe;

/// The integrity check block that AES Key Wrap appends (RFC 3394 §2.2.3).
const KW_OVERHEAD: usize = 8;

/// The CEK of `jwe` under `key`, which the caller chose among the candidates for the token's
/// `alg`, `enc`, `kid` and ephemeral key curve.
pub(crate) fn content_key(jwe: &Jwe<'_>, key: &DecryptionKey) -> Result<Vec<u8>, Failed> {
    let cek_len = jwe.enc.cek_len();
    let wrapped = jwe.encrypted_key.as_slice();
    match (jwe.alg, &key.material, &jwe.params) {
        (KeyAlgorithm::Dir, Material::Oct(secret), _) if secret.len() == cek_len => {
            Ok(secret.to_vec())
        }
        (KeyAlgorithm::AesKw(_), Material::Oct(kek), _) => aes_unwrap(kek, wrapped, cek_len),
        (KeyAlgorithm::AesGcmKw(size), Material::Oct(kek), KeyParams::GcmKw { iv, tag }) => {
            let cek = gcm_unwrap(size, kek, iv, tag, wrapped)?;
            if cek.len() == cek_len {
                Ok(cek)
            } else {
                Err(Failed)
            }
        }
        (KeyAlgorithm::RsaOaep(hash), Material::Rsa(private), _) => {
            rsa_oaep(private, hash, wrapped, cek_len)
        }
        (KeyAlgorithm::EcdhEs, Material::Ecdh(_, private), KeyParams::Ecdh { epk, apu, apv }) => {
            ecdh_es(private, epk, jwe.enc.name(), apu, apv, cek_len)
        }
        (
            KeyAlgorithm::EcdhEsKw(size),
            Material::Ecdh(_, private),
            KeyParams::Ecdh { epk, apu, apv },
        ) => {
            let kek = ecdh_es(private, epk, jwe.alg.name(), apu, apv, size.key_len())?;
            aes_unwrap(&kek, wrapped, cek_len)
        }
        (
            KeyAlgorithm::Pbes2(hash, size),
            Material::Oct(password),
            KeyParams::Pbes2 { salt, count },
        ) => {
            let kek = pbes2_key(hash, size, jwe.alg.name(), password, salt, *count)?;
            aes_unwrap(&kek, wrapped, cek_len)
        }
        _ => Err(Failed),
    }
}

/// AES Key Wrap (RFC 3394). aws-lc-rs (AES-NI) for 128- and 256-bit keys; it has no 192-bit
/// key wrap, so that one goes to OpenSSL, whose low-level AES (no AES-NI) is several times
/// slower. Both check the integrity block in constant time.
fn aes_unwrap(kek: &[u8], wrapped: &[u8], cek_len: usize) -> Result<Vec<u8>, Failed> {
    // openssl's unwrap_key asserts on these lengths; refuse them here instead of panicking.
    if wrapped.len() != cek_len + KW_OVERHEAD || cek_len % 8 != 0 || cek_len < 16 {
        return Err(Failed);
    }
    let mut cek = vec![0; cek_len];
    let fast = match kek.len() {
        16 => Some(&key_wrap::AES_128),
        32 => Some(&key_wrap::AES_256),
        _ => None,
    };
    let len = match fast {
        Some(cipher) => AesKek::new(cipher, kek)?.unwrap(wrapped, &mut cek)?.len(),
        None => {
            let key = AesKey::new_decrypt(kek).map_err(|_| Failed)?;
            unwrap_key(&key, None, &mut cek, wrapped).map_err(|_| Failed)?
        }
    };
    if len != cek_len {
        return Err(Failed);
    }
    Ok(cek)
}

/// aws-lc-rs decodes OAEP in constant time; a wrong length afterwards is one more failure of
/// the same kind.
fn rsa_oaep(
    key: &OaepPrivateDecryptingKey,
    hash: OaepHash,
    wrapped: &[u8],
    cek_len: usize,
) -> Result<Vec<u8>, Failed> {
    let alg: &'static OaepAlgorithm = match hash {
        OaepHash::Sha1 => &OAEP_SHA1_MGF1SHA1,
        OaepHash::Sha256 => &OAEP_SHA256_MGF1SHA256,
        OaepHash::Sha384 => &OAEP_SHA384_MGF1SHA384,
        OaepHash::Sha512 => &OAEP_SHA512_MGF1SHA512,
    };
    let mut out = vec![0; key.min_output_size()];
    let plain = key.decrypt(alg, wrapped, &mut out, None).map_err(|_| Failed)?;
    if plain.len() != cek_len {
        return Err(Failed);
    }
    Ok(plain.to_vec())
}

/// ECDH-ES key agreement followed by the Concat KDF. aws-lc-rs refuses a peer key of another
/// curve, and X25519 outputs of all zeros (a low-order point); the zero check is repeated
/// here so it does not rest on one library's behaviour.
fn ecdh_es(
    private: &agreement::PrivateKey,
    epk: &EphemeralKey,
    algorithm_id: &str,
    apu: &[u8],
    apv: &[u8],
    key_len: usize,
) -> Result<Vec<u8>, Failed> {
    agreement::agree(private, epk.public.clone(), Failed, |z| {
        if z.iter().fold(0, |acc, &b| acc | b) == 0 {
            return Err(Failed);
        }
        concat_kdf(z, algorithm_id, apu, apv, key_len)
    })
}

/// The Concat KDF of NIST SP 800-56A as profiled by RFC 7518 §4.6.2, with SHA-256:
/// `OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo`, each of the first
/// three prefixed with its 32-bit big-endian length, `SuppPubInfo` the key length in bits.
pub(crate) fn concat_kdf(
    z: &[u8],
    algorithm_id: &str,
    apu: &[u8],
    apv: &[u8],
    key_len: usize,
) -> Result<Vec<u8>, Failed> {
    let length_prefix = |data: &[u8]| u32::try_from(data.len()).map(u32::to_be_bytes);
    let alg_len = length_prefix(algorithm_id.as_bytes()).map_err(|_| Failed)?;
    let apu_len = length_prefix(apu).map_err(|_| Failed)?;
    let apv_len = length_prefix(apv).map_err(|_| Failed)?;
    let key_bits = u32::try_from(key_len * 8).map_err(|_| Failed)?.to_be_bytes();

    let rounds = key_len.div_ceil(digest::SHA256_OUTPUT_LEN);
    let mut out = Vec::with_capacity(rounds * digest::SHA256_OUTPUT_LEN);
    for counter in 1..=rounds {
        let counter = u32::try_from(counter).map_err(|_| Failed)?;
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(&counter.to_be_bytes());
        ctx.update(z);
        ctx.update(&alg_len);
        ctx.update(algorithm_id.as_bytes());
        ctx.update(&apu_len);
        ctx.update(apu);
        ctx.update(&apv_len);
        ctx.update(apv);
        ctx.update(&key_bits);
        out.extend_from_slice(ctx.finish().as_ref());
    }
    out.truncate(key_len);
    Ok(out)
}

/// PBES2 (RFC 7518 §4.8): PBKDF2 with salt `UTF8(alg) || 0x00 || p2s`. OpenSSL's PBKDF2 is
/// used because it reports failure instead of panicking. `count` is already capped.
fn pbes2_key(
    hash: Pbes2Hash,
    size: AesSize,
    alg_name: &str,
    password: &[u8],
    p2s: &[u8],
    count: u32,
) -> Result<Vec<u8>, Failed> {
    let digest = match hash {
        Pbes2Hash::Sha256 => MessageDigest::sha256(),
        Pbes2Hash::Sha384 => MessageDigest::sha384(),
        Pbes2Hash::Sha512 => MessageDigest::sha512(),
    };
    let mut salt = Vec::with_capacity(alg_name.len() + 1 + p2s.len());
    salt.extend_from_slice(alg_name.as_bytes());
    salt.push(0);
    salt.extend_from_slice(p2s);
    let mut kek = vec![0; size.key_len()];
    let iterations = usize::try_from(count).map_err(|_| Failed)?;
    openssl::pkcs5::pbkdf2_hmac(password, &salt, iterations, digest, &mut kek)
        .map_err(|_| Failed)?;
    Ok(kek)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7518 Appendix C: the ECDH-ES example's Z and the derived A128GCM key.
    #[test]
    fn concat_kdf_matches_rfc_7518_appendix_c() {
        let z = [
            158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49,
            110, 163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196,
        ];
        let key = concat_kdf(&z, "A128GCM", b"Alice", b"Bob", 16).unwrap();
        assert_eq!(key, [86, 170, 141, 234, 248, 35, 109, 32, 92, 34, 40, 205, 113, 167, 16, 26]);
    }
}
