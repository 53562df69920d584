//! Content decryption (`enc`, RFC 7518 §5): AES-CBC with HMAC-SHA-2 and AES-GCM.
//!
//! Every failure is the same [`Failed`]: the caller turns it into the one
//! `decryption failed` outcome.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{self, DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey};
use aws_lc_rs::constant_time;
use aws_lc_rs::hmac;
use aws_lc_rs::iv::FixedLength;

use super::algorithms::{AesSize, ContentEncryption};

/// Some secret-dependent step failed; deliberately carries nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Failed;

impl From<aws_lc_rs::error::Unspecified> for Failed {
    fn from(_: aws_lc_rs::error::Unspecified) -> Self {
        Failed
    }
}

/// The authenticated pieces of one JWE besides the key.
pub(crate) struct Sealed<'a> {
    /// `ASCII(BASE64URL(UTF8(protected header)))`, the additional authenticated data.
    pub(crate) aad: &'a [u8],
    pub(crate) iv: &'a [u8],
    pub(crate) ciphertext: &'a [u8],
    pub(crate) tag: &'a [u8],
}

/// Decrypts and authenticates with `cek`, whose length the caller has matched to `enc`.
pub(crate) fn decrypt(
    enc: ContentEncryption,
    cek: &[u8],
    sealed: &Sealed<'_>,
) -> Result<Vec<u8>, Failed> {
    if cek.len() != enc.cek_len()
        || sealed.iv.len() != enc.iv_len()
        || sealed.tag.len() != enc.tag_len()
    {
        return Err(Failed);
    }
    match enc {
        ContentEncryption::CbcHmac(size) => cbc_hmac(size, cek, sealed),
        ContentEncryption::AesGcm(size) => gcm(size, cek, sealed),
    }
}

/// RFC 7518 §5.2.2.2: the MAC over `AAD || IV || ciphertext || AL` is checked, in constant
/// time, before a single block is decrypted; only an authentic ciphertext reaches the padding
/// check, so the padding cannot serve as an oracle.
fn cbc_hmac(size: AesSize, cek: &[u8], sealed: &Sealed<'_>) -> Result<Vec<u8>, Failed> {
    let half = size.key_len();
    let (mac_key, enc_key) = cek.split_at(half);
    let (hmac_alg, aes) = match size {
        AesSize::Aes128 => (hmac::HMAC_SHA256, &cipher::AES_128),
        AesSize::Aes192 => (hmac::HMAC_SHA384, &cipher::AES_192),
        AesSize::Aes256 => (hmac::HMAC_SHA512, &cipher::AES_256),
    };
    let mut mac = hmac::Context::with_key(&hmac::Key::new(hmac_alg, mac_key));
    mac.update(sealed.aad);
    mac.update(sealed.iv);
    mac.update(sealed.ciphertext);
    // AL: the AAD length in bits, 64-bit big-endian. The AAD is bounded by the header limit.
    let aad_bits = u64::try_from(sealed.aad.len()).map_err(|_| Failed)?.wrapping_mul(8);
    mac.update(&aad_bits.to_be_bytes());
    let full = mac.sign();
    let expected = full.as_ref().get(..half).ok_or(Failed)?;
    constant_time::verify_slices_are_equal(expected, sealed.tag)?;

    let iv: [u8; 16] = sealed.iv.try_into().map_err(|_| Failed)?;
    let key = PaddedBlockDecryptingKey::cbc_pkcs7(UnboundCipherKey::new(aes, enc_key)?)?;
    let mut buffer = sealed.ciphertext.to_vec();
    let len = key.decrypt(&mut buffer, DecryptionContext::Iv128(FixedLength::from(iv)))?.len();
    buffer.truncate(len);
    Ok(buffer)
}

/// AES-GCM with a 96-bit IV and a 128-bit tag (both checked by the caller's length test).
fn gcm(size: AesSize, cek: &[u8], sealed: &Sealed<'_>) -> Result<Vec<u8>, Failed> {
    let alg = match size {
        AesSize::Aes128 => &aead::AES_128_GCM,
        AesSize::Aes192 => &aead::AES_192_GCM,
        AesSize::Aes256 => &aead::AES_256_GCM,
    };
    let key = LessSafeKey::new(UnboundKey::new(alg, cek)?);
    let nonce = Nonce::try_assume_unique_for_key(sealed.iv)?;
    let mut buffer = sealed.ciphertext.to_vec();
    key.open_in_place_separate_tag(nonce, Aad::from(sealed.aad), sealed.tag, &mut buffer)?;
    Ok(buffer)
}

/// AES-GCM decryption of a wrapped key (A*GCMKW, RFC 7518 §4.7): no AAD.
pub(crate) fn gcm_unwrap(
    size: AesSize,
    kek: &[u8],
    iv: &[u8],
    tag: &[u8],
    wrapped: &[u8],
) -> Result<Vec<u8>, Failed> {
    gcm(size, kek, &Sealed { aad: &[], iv, ciphertext: wrapped, tag })
}
