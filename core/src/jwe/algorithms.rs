//! The JWE algorithms we accept (RFC 7518 §4 and §5) and the sizes each one fixes.
//!
//! `RSA1_5` is deliberately not representable: its PKCS #1 v1.5 padding gives a decryption
//! oracle (Bleichenbacher) that no amount of care on our side fully closes.

use std::fmt;

/// An AES key size, as used by the key wrapping algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AesSize {
    Aes128,
    Aes192,
    Aes256,
}

impl AesSize {
    /// Key length in bytes.
    #[must_use]
    pub fn key_len(self) -> usize {
        match self {
            AesSize::Aes128 => 16,
            AesSize::Aes192 => 24,
            AesSize::Aes256 => 32,
        }
    }
}

/// The hash of an RSA-OAEP variant (used for both the label hash and MGF1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OaepHash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

/// The HMAC of a PBES2 variant (RFC 7518 §4.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pbes2Hash {
    Sha256,
    Sha384,
    Sha512,
}

/// A key management algorithm: how the content encryption key (CEK) is obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// The shared `oct` key is the CEK.
    Dir,
    /// AES Key Wrap (RFC 3394) with an `oct` key.
    AesKw(AesSize),
    /// AES-GCM key wrapping with an `oct` key; `iv` and `tag` are header members.
    AesGcmKw(AesSize),
    RsaOaep(OaepHash),
    /// ECDH-ES, the derived key is the CEK.
    EcdhEs,
    /// ECDH-ES, the derived key wraps the CEK with AES Key Wrap.
    EcdhEsKw(AesSize),
    /// A password (`oct` key) through PBKDF2, then AES Key Wrap of the CEK.
    Pbes2(Pbes2Hash, AesSize),
}

const KEY_ALGORITHMS: [(&str, KeyAlgorithm); 18] = [
    ("dir", KeyAlgorithm::Dir),
    ("A128KW", KeyAlgorithm::AesKw(AesSize::Aes128)),
    ("A192KW", KeyAlgorithm::AesKw(AesSize::Aes192)),
    ("A256KW", KeyAlgorithm::AesKw(AesSize::Aes256)),
    ("A128GCMKW", KeyAlgorithm::AesGcmKw(AesSize::Aes128)),
    ("A192GCMKW", KeyAlgorithm::AesGcmKw(AesSize::Aes192)),
    ("A256GCMKW", KeyAlgorithm::AesGcmKw(AesSize::Aes256)),
    ("RSA-OAEP", KeyAlgorithm::RsaOaep(OaepHash::Sha1)),
    ("RSA-OAEP-256", KeyAlgorithm::RsaOaep(OaepHash::Sha256)),
    ("RSA-OAEP-384", KeyAlgorithm::RsaOaep(OaepHash::Sha384)),
    ("RSA-OAEP-512", KeyAlgorithm::RsaOaep(OaepHash::Sha512)),
    ("ECDH-ES", KeyAlgorithm::EcdhEs),
    ("ECDH-ES+A128KW", KeyAlgorithm::EcdhEsKw(AesSize::Aes128)),
    ("ECDH-ES+A192KW", KeyAlgorithm::EcdhEsKw(AesSize::Aes192)),
    ("ECDH-ES+A256KW", KeyAlgorithm::EcdhEsKw(AesSize::Aes256)),
    ("PBES2-HS256+A128KW", KeyAlgorithm::Pbes2(Pbes2Hash::Sha256, AesSize::Aes128)),
    ("PBES2-HS384+A192KW", KeyAlgorithm::Pbes2(Pbes2Hash::Sha384, AesSize::Aes192)),
    ("PBES2-HS512+A256KW", KeyAlgorithm::Pbes2(Pbes2Hash::Sha512, AesSize::Aes256)),
];

impl KeyAlgorithm {
    /// The algorithm for a header `alg` value, exactly as spelled in RFC 7518.
    #[must_use]
    pub fn from_name(name: &str) -> Option<KeyAlgorithm> {
        KEY_ALGORITHMS.iter().find(|(n, _)| *n == name).map(|&(_, alg)| alg)
    }

    /// The RFC 7518 name.
    #[must_use]
    pub fn name(self) -> &'static str {
        KEY_ALGORITHMS.iter().find(|(_, a)| *a == self).map_or("?", |&(n, _)| n)
    }

    /// Whether the token carries the CEK in its encrypted key part (false: the part must be
    /// empty, RFC 7516 §5.1 step 5).
    pub(crate) fn has_encrypted_key(self) -> bool {
        !matches!(self, KeyAlgorithm::Dir | KeyAlgorithm::EcdhEs)
    }

    /// Whether an `oct` key serves this algorithm.
    pub(crate) fn uses_oct_key(self) -> bool {
        matches!(
            self,
            KeyAlgorithm::Dir
                | KeyAlgorithm::AesKw(_)
                | KeyAlgorithm::AesGcmKw(_)
                | KeyAlgorithm::Pbes2(..)
        )
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A content encryption algorithm (`enc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentEncryption {
    /// AES-CBC with HMAC-SHA-2, encrypt-then-MAC (RFC 7518 §5.2).
    CbcHmac(AesSize),
    AesGcm(AesSize),
}

const CONTENT_ENCRYPTIONS: [(&str, ContentEncryption); 6] = [
    ("A128CBC-HS256", ContentEncryption::CbcHmac(AesSize::Aes128)),
    ("A192CBC-HS384", ContentEncryption::CbcHmac(AesSize::Aes192)),
    ("A256CBC-HS512", ContentEncryption::CbcHmac(AesSize::Aes256)),
    ("A128GCM", ContentEncryption::AesGcm(AesSize::Aes128)),
    ("A192GCM", ContentEncryption::AesGcm(AesSize::Aes192)),
    ("A256GCM", ContentEncryption::AesGcm(AesSize::Aes256)),
];

impl ContentEncryption {
    #[must_use]
    pub fn from_name(name: &str) -> Option<ContentEncryption> {
        CONTENT_ENCRYPTIONS.iter().find(|(n, _)| *n == name).map(|&(_, enc)| enc)
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        CONTENT_ENCRYPTIONS.iter().find(|(_, e)| *e == self).map_or("?", |&(n, _)| n)
    }

    /// CEK length in bytes: for CBC-HMAC the MAC key and the AES key together.
    #[must_use]
    pub fn cek_len(self) -> usize {
        match self {
            ContentEncryption::CbcHmac(size) => 2 * size.key_len(),
            ContentEncryption::AesGcm(size) => size.key_len(),
        }
    }

    /// The only IV length accepted: a CBC block, or GCM's 96 bits (other GCM IV lengths go
    /// through GHASH and are a known source of nonce collisions).
    pub(crate) fn iv_len(self) -> usize {
        match self {
            ContentEncryption::CbcHmac(_) => 16,
            ContentEncryption::AesGcm(_) => 12,
        }
    }

    /// The only tag length accepted: half the HMAC output for CBC-HMAC, 128 bits for GCM.
    pub(crate) fn tag_len(self) -> usize {
        match self {
            ContentEncryption::CbcHmac(size) => size.key_len(),
            ContentEncryption::AesGcm(_) => 16,
        }
    }
}

impl fmt::Display for ContentEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (name, alg) in KEY_ALGORITHMS {
            assert_eq!(KeyAlgorithm::from_name(name), Some(alg));
            assert_eq!(alg.name(), name);
        }
        for (name, enc) in CONTENT_ENCRYPTIONS {
            assert_eq!(ContentEncryption::from_name(name), Some(enc));
            assert_eq!(enc.name(), name);
        }
        assert_eq!(KeyAlgorithm::from_name("RSA1_5"), None);
        assert_eq!(KeyAlgorithm::from_name("a128kw"), None);
    }

    #[test]
    fn sizes_follow_rfc_7518() {
        let enc = |n| ContentEncryption::from_name(n).unwrap();
        assert_eq!(enc("A128CBC-HS256").cek_len(), 32);
        assert_eq!(enc("A192CBC-HS384").cek_len(), 48);
        assert_eq!(enc("A256CBC-HS512").cek_len(), 64);
        assert_eq!(enc("A256CBC-HS512").tag_len(), 32);
        assert_eq!(enc("A192GCM").cek_len(), 24);
        assert_eq!(enc("A192GCM").tag_len(), 16);
    }
}
