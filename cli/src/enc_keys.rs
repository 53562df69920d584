//! The JWE key types of `keygen`: which key each key management algorithm (`alg` of a JWE)
//! needs, with the sizes of the module's own algorithm table.

use auth_jwt_core::jwe::{ContentEncryption, KeyAlgorithm};

use crate::error::Result;
use crate::fail;
use crate::keys::{Curve, KeyType, MIN_RSA_BITS};

/// Length of a generated PBES2 password, in characters (about 144 bits).
const PASSWORD_CHARS: usize = 24;

/// The key management algorithms, for messages.
pub const JWE_ALGS: &str = "dir, A128KW, A192KW, A256KW, A128GCMKW, A192GCMKW, A256GCMKW, \
     RSA-OAEP, RSA-OAEP-256, RSA-OAEP-384, RSA-OAEP-512, ECDH-ES, ECDH-ES+A128KW, \
     ECDH-ES+A192KW, ECDH-ES+A256KW, PBES2-HS256+A128KW, PBES2-HS384+A192KW, PBES2-HS512+A256KW";

/// What `keygen` was asked for beyond the algorithm.
pub struct JweKeyOptions<'a> {
    /// The content encryption of a `dir` key, whose length it fixes.
    pub enc: Option<&'a str>,
    /// The curve of an ECDH-ES key: P-256 (default), P-384, P-521 or X25519.
    pub crv: Option<&'a str>,
    pub rsa_bits: u32,
}

/// The key for the JWE key management algorithm `alg` and its canonical name, or `None`
/// when `alg` is not one (then it names a signing algorithm, or nothing).
pub fn jwe_key_type(alg: &str, options: &JweKeyOptions) -> Result<Option<(KeyType, &'static str)>> {
    let Some(algorithm) = KeyAlgorithm::from_name(alg) else {
        if options.enc.is_some() || options.crv.is_some() {
            fail!("--enc and --crv are for JWE keys (--alg {JWE_ALGS})");
        }
        return Ok(None);
    };
    if options.enc.is_some() && algorithm != KeyAlgorithm::Dir {
        fail!("--enc is for --alg dir only (the key is then the content key)");
    }
    let is_ecdh = matches!(algorithm, KeyAlgorithm::EcdhEs | KeyAlgorithm::EcdhEsKw(_));
    if options.crv.is_some() && !is_ecdh {
        fail!("--crv is for ECDH-ES keys only");
    }
    let kind = match algorithm {
        KeyAlgorithm::Dir => {
            let Some(enc) = options.enc else {
                fail!("--alg dir needs --enc (A128GCM, A192GCM, A256GCM, A128CBC-HS256, A192CBC-HS384 or A256CBC-HS512): the key is the content key, of the length the enc needs");
            };
            let Some(enc) = ContentEncryption::from_name(enc) else {
                fail!("unknown --enc \"{enc}\": use A128GCM, A192GCM, A256GCM, A128CBC-HS256, A192CBC-HS384 or A256CBC-HS512");
            };
            KeyType::Oct(enc.cek_len())
        }
        KeyAlgorithm::AesKw(size) | KeyAlgorithm::AesGcmKw(size) => KeyType::Oct(size.key_len()),
        KeyAlgorithm::Pbes2(..) => KeyType::Password(PASSWORD_CHARS),
        KeyAlgorithm::RsaOaep(_) => {
            if options.rsa_bits < MIN_RSA_BITS {
                fail!("RSA keys must have at least {MIN_RSA_BITS} bits (the module refuses smaller ones)");
            }
            if options.rsa_bits > 16384 {
                fail!("RSA keys larger than 16384 bits are not supported");
            }
            KeyType::Rsa(options.rsa_bits)
        }
        KeyAlgorithm::EcdhEs | KeyAlgorithm::EcdhEsKw(_) => match options.crv.unwrap_or("P-256") {
            "P-256" => KeyType::Ec(Curve::P256),
            "P-384" => KeyType::Ec(Curve::P384),
            "P-521" => KeyType::Ec(Curve::P521),
            "X25519" => KeyType::X25519,
            other => fail!("unknown --crv \"{other}\": use P-256, P-384, P-521 or X25519"),
        },
    };
    Ok(Some((kind, algorithm.name())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(
        alg: &str,
        enc: Option<&str>,
        crv: Option<&str>,
    ) -> Result<Option<(KeyType, &'static str)>> {
        jwe_key_type(alg, &JweKeyOptions { enc, crv, rsa_bits: 2048 })
    }

    #[test]
    fn dir_keys_have_the_length_of_their_enc() {
        for (enc, len) in [
            ("A128GCM", 16),
            ("A192GCM", 24),
            ("A256GCM", 32),
            ("A128CBC-HS256", 32),
            ("A192CBC-HS384", 48),
            ("A256CBC-HS512", 64),
        ] {
            assert_eq!(key("dir", Some(enc), None).unwrap(), Some((KeyType::Oct(len), "dir")));
        }
    }

    #[test]
    fn each_family_gets_its_key() {
        assert_eq!(key("A192KW", None, None).unwrap(), Some((KeyType::Oct(24), "A192KW")));
        assert_eq!(key("A256GCMKW", None, None).unwrap().unwrap().0, KeyType::Oct(32));
        assert_eq!(key("RSA-OAEP-256", None, None).unwrap().unwrap().0, KeyType::Rsa(2048));
        assert_eq!(key("ECDH-ES", None, None).unwrap().unwrap().0, KeyType::Ec(Curve::P256));
        assert_eq!(
            key("ECDH-ES+A128KW", None, Some("X25519")).unwrap().unwrap().0,
            KeyType::X25519
        );
        assert!(matches!(
            key("PBES2-HS256+A128KW", None, None).unwrap().unwrap().0,
            KeyType::Password(_)
        ));
        assert_eq!(key("ES256", None, None).unwrap(), None);
    }

    #[test]
    fn argument_errors() {
        let err = |alg, enc, crv| key(alg, enc, crv).unwrap_err().0;
        assert!(err("dir", None, None).contains("needs --enc"));
        assert!(err("dir", Some("A512GCM"), None).contains("unknown --enc"));
        assert!(err("A128KW", Some("A128GCM"), None).contains("for --alg dir only"));
        assert!(err("A128KW", None, Some("P-256")).contains("for ECDH-ES keys only"));
        assert!(err("ECDH-ES", None, Some("Ed25519")).contains("unknown --crv"));
        assert!(err("ES256", Some("A128GCM"), None).contains("are for JWE keys"));
        let small =
            jwe_key_type("RSA-OAEP", &JweKeyOptions { enc: None, crv: None, rsa_bits: 1024 });
        assert!(small.unwrap_err().0.contains("at least 2048"));
    }
}
