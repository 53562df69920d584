//! The JWS algorithms we accept (the NGINX Plus list, RFC 7518 and RFC 8037) and the facts about
//! each one that key selection and verification need.

use std::fmt;

/// A JWS signature algorithm. `none` is deliberately not representable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA,
}

/// Which kind of key an algorithm needs. Binding the family to the key type is what stops
/// algorithm-confusion attacks (an RSA public key used as an HMAC secret, and the like).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Hmac,
    RsaPkcs1,
    RsaPss,
    /// ECDSA on the given curve.
    Ecdsa(Curve),
    EdDsa,
}

/// The NIST curves of RFC 7518 §6.2.1.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
}

/// The hash functions the algorithms use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// Output size in bytes; also the minimum HMAC key size (RFC 7518 §3.2).
    pub(crate) fn len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }
}

impl Curve {
    pub(crate) fn from_crv(crv: &str) -> Option<Curve> {
        match crv {
            "P-256" => Some(Curve::P256),
            "P-384" => Some(Curve::P384),
            "P-521" => Some(Curve::P521),
            _ => None,
        }
    }

    pub(crate) fn crv(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    /// Size of one coordinate, and of `r` and of `s` in a JWS signature (RFC 7518 §3.4).
    pub(crate) fn field_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    pub(crate) fn nid(self) -> openssl::nid::Nid {
        match self {
            Curve::P256 => openssl::nid::Nid::X9_62_PRIME256V1,
            Curve::P384 => openssl::nid::Nid::SECP384R1,
            Curve::P521 => openssl::nid::Nid::SECP521R1,
        }
    }
}

pub(crate) const ALL: [Algorithm; 13] = [
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::ES512,
    Algorithm::EdDSA,
];

impl Algorithm {
    /// Looks up the registered JWS name, case-sensitively (RFC 7515 §4.1.1: "a case-sensitive
    /// ASCII string"), so `none`, `None` and `hs256` all stay unknown.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        ALL.into_iter().find(|alg| alg.name() == s)
    }

    /// The registered JWS name, e.g. `"ES256"`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::ES512 => "ES512",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    pub(crate) fn family(self) -> Family {
        match self {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Family::Hmac,
            Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 => Family::RsaPkcs1,
            Algorithm::PS256 | Algorithm::PS384 | Algorithm::PS512 => Family::RsaPss,
            Algorithm::ES256 => Family::Ecdsa(Curve::P256),
            Algorithm::ES384 => Family::Ecdsa(Curve::P384),
            Algorithm::ES512 => Family::Ecdsa(Curve::P521),
            Algorithm::EdDSA => Family::EdDsa,
        }
    }

    /// The hash the algorithm applies to the signing input; `None` for EdDSA, which hashes
    /// internally.
    pub(crate) fn hash(self) -> Option<Hash> {
        match self {
            Algorithm::HS256 | Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256 => {
                Some(Hash::Sha256)
            }
            Algorithm::HS384 | Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 => {
                Some(Hash::Sha384)
            }
            Algorithm::HS512 | Algorithm::RS512 | Algorithm::PS512 | Algorithm::ES512 => {
                Some(Hash::Sha512)
            }
            Algorithm::EdDSA => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// JWE key-management algorithms (RFC 7518 §4.1). A JWK whose `alg` is one of these is an
/// encryption key, which NGINX Plus key files may legitimately contain; we skip such keys
/// instead of refusing the whole file.
pub(crate) fn is_encryption_alg(name: &str) -> bool {
    matches!(
        name,
        "RSA1_5"
            | "RSA-OAEP"
            | "RSA-OAEP-256"
            | "RSA-OAEP-384"
            | "RSA-OAEP-512"
            | "A128KW"
            | "A192KW"
            | "A256KW"
            | "dir"
            | "ECDH-ES"
            | "ECDH-ES+A128KW"
            | "ECDH-ES+A192KW"
            | "ECDH-ES+A256KW"
            | "A128GCMKW"
            | "A192GCMKW"
            | "A256GCMKW"
            | "PBES2-HS256+A128KW"
            | "PBES2-HS384+A192KW"
            | "PBES2-HS512+A256KW"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for alg in ALL {
            assert_eq!(Algorithm::from_name(alg.name()), Some(alg));
            assert_eq!(alg.to_string(), alg.name());
        }
    }

    #[test]
    fn names_are_case_sensitive_and_none_is_unknown() {
        for name in ["none", "None", "NONE", "hs256", "Hs256", "eddsa", "ED25519", "", "HS256 "] {
            assert_eq!(Algorithm::from_name(name), None, "{name:?}");
        }
    }

    #[test]
    fn families_and_hashes() {
        assert_eq!(Algorithm::ES512.family(), Family::Ecdsa(Curve::P521));
        assert_eq!(Algorithm::ES512.hash().map(Hash::len), Some(64));
        assert_eq!(Algorithm::HS384.hash().map(Hash::len), Some(48));
        assert_eq!(Algorithm::EdDSA.hash(), None);
        assert_eq!(Curve::P521.field_len(), 66);
    }
}
