//! `auth-jwt keygen`: a new key, its private form (0600) and its public JWK.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde_json::{json, Map, Value};

use crate::enc_keys::{jwe_key_type, JweKeyOptions};
use crate::error::Result;
use crate::files::{write_atomic, Access, Existing};
use crate::keys::{generate, KeyType, PrivateKey, Usage};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PrivateFormat {
    /// A private JWK (every key type).
    Jwk,
    /// PKCS#8 PEM (not for HMAC secrets).
    Pem,
}

#[derive(Args)]
pub struct KeygenArgs {
    /// Algorithm. Signing keys (use "sig"): HS256 HS384 HS512, RS256 RS384 RS512, PS256 PS384
    /// PS512, ES256 ES384 ES512, Ed25519 (EdDSA) or Ed448. Encryption keys (use "enc", the
    /// module decrypts with the private key): dir (with --enc), A128KW A192KW A256KW,
    /// A128GCMKW A192GCMKW A256GCMKW, PBES2-HS256+A128KW PBES2-HS384+A192KW
    /// PBES2-HS512+A256KW (a password), RSA-OAEP RSA-OAEP-256 RSA-OAEP-384 RSA-OAEP-512,
    /// ECDH-ES ECDH-ES+A128KW ECDH-ES+A192KW ECDH-ES+A256KW (with --crv).
    #[arg(long, short = 'a')]
    pub alg: String,
    /// For --alg dir: the content encryption the key is for, which fixes its length
    /// (A128GCM 16 bytes, A192GCM 24, A256GCM 32, A128CBC-HS256 32, A192CBC-HS384 48,
    /// A256CBC-HS512 64).
    #[arg(long)]
    pub enc: Option<String>,
    /// For ECDH-ES keys: P-256 (default), P-384, P-521 or X25519.
    #[arg(long)]
    pub crv: Option<String>,
    /// Where to write the private key (mode 0600).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Where to write the public JWK; default: the --out name with `.pub.jwk`
    /// (for secret keys, HMAC and JWE oct keys, the "public" JWK is the secret too, and is
    /// also written 0600).
    #[arg(long)]
    pub public: Option<PathBuf>,
    /// Format of the private key file.
    #[arg(long, value_enum, default_value = "jwk")]
    pub format: PrivateFormat,
    /// Key id; default: the RFC 7638 thumbprint of the public key.
    #[arg(long)]
    pub kid: Option<String>,
    /// RSA modulus size in bits (at least 2048).
    #[arg(long, default_value_t = 2048)]
    pub bits: u32,
    /// Leave `alg` out of the JWKs (the key then serves every algorithm of its type).
    #[arg(long)]
    pub no_alg: bool,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
}

/// Where the public JWK goes by default: `key.jwk` → `key.pub.jwk`, `key.pem` → `key.pub.jwk`.
pub fn default_public_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    out.with_file_name(format!("{stem}.pub.jwk"))
}

/// A generated key, written out.
pub struct Generated {
    pub key: PrivateKey,
    pub kid: String,
    pub alg: &'static str,
    pub usage: Usage,
    pub public_jwk: Map<String, Value>,
}

/// The key to make.
pub struct KeySpec<'a> {
    pub alg: &'a str,
    pub rsa_bits: u32,
    /// For JWE keys: see [`JweKeyOptions`].
    pub enc: Option<&'a str>,
    pub crv: Option<&'a str>,
    /// `None`: the RFC 7638 thumbprint.
    pub kid: Option<&'a str>,
    /// Whether the JWKs carry `alg`.
    pub with_alg: bool,
    pub format: PrivateFormat,
}

/// Generates the key of `spec` and writes the private key to `out` and, if given, the public
/// JWK to `public`.
pub fn generate_and_write(
    spec: &KeySpec,
    out: &Path,
    public: Option<&Path>,
    existing: Existing,
) -> Result<Generated> {
    let options = JweKeyOptions { enc: spec.enc, crv: spec.crv, rsa_bits: spec.rsa_bits };
    let (kind, alg, usage) = match jwe_key_type(spec.alg, &options)? {
        Some((kind, alg)) => (kind, alg, Usage::Enc),
        None => {
            let (kind, alg) = KeyType::for_alg(spec.alg, spec.rsa_bits)?;
            (kind, alg, Usage::Sig)
        }
    };
    let key = generate(kind)?;
    let kid = match spec.kid {
        Some(kid) => kid.to_owned(),
        None => key.thumbprint()?,
    };
    let jwk_alg = spec.with_alg.then_some(alg);
    let private = match spec.format {
        PrivateFormat::Jwk => json_text(&key.private_jwk(&kid, jwk_alg, usage)?),
        PrivateFormat::Pem => key.to_pem()?,
    };
    let public_jwk = key.public_jwk(&kid, jwk_alg, usage)?;
    let public_access = if key.is_symmetric() { Access::OwnerOnly } else { Access::Public };
    // Both targets are checked before either is written, so a refusal changes nothing.
    if existing == Existing::Refuse {
        for path in [Some(out), public].into_iter().flatten() {
            if std::fs::symlink_metadata(path).is_ok() {
                crate::fail!("{}: file exists (use --force to replace it)", path.display());
            }
        }
    }
    write_atomic(out, &private, Access::OwnerOnly, existing)?;
    if let Some(public) = public {
        write_atomic(public, &json_text(&public_jwk), public_access, existing)?;
    }
    Ok(Generated { key, kid, alg, usage, public_jwk })
}

pub fn json_text(map: &Map<String, Value>) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(map).unwrap_or_default();
    text.push('\n');
    text.into_bytes()
}

pub fn run(args: &KeygenArgs, json: bool) -> Result<bool> {
    let public = args.public.clone().unwrap_or_else(|| default_public_path(&args.out));
    if public == args.out {
        crate::fail!("--public and --out name the same file");
    }
    let existing = if args.force { Existing::Replace } else { Existing::Refuse };
    let spec = KeySpec {
        alg: &args.alg,
        rsa_bits: args.bits,
        enc: args.enc.as_deref(),
        crv: args.crv.as_deref(),
        kid: args.kid.as_deref(),
        with_alg: !args.no_alg,
        format: args.format,
    };
    let made = generate_and_write(&spec, &args.out, Some(&public), existing)?;
    if json {
        let report = json!({
            "kid": made.kid,
            "alg": made.alg,
            "use": made.usage.as_str(),
            "key": made.key.describe(),
            "private": args.out,
            "public": public,
            "public_jwk": made.public_jwk,
        });
        println!("{report}");
    } else {
        println!("generated {} key for {}, kid \"{}\"", made.key.describe(), made.alg, made.kid);
        println!("private key: {} (mode 0600)", args.out.display());
        println!("public JWK:  {}", public.display());
        if made.usage == Usage::Enc {
            println!(
                "the module decrypts with the private key: give it {} (auth_jwt_key_file); \
                 token issuers encrypt with the public JWK",
                args.out.display()
            );
        }
    }
    Ok(true)
}
