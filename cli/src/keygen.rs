//! `auth-jwt keygen`: a new key, its private form (0600) and its public JWK.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde_json::{json, Map, Value};

use crate::error::Result;
use crate::files::{write_atomic, Access, Existing};
use crate::keys::{generate, KeyType, PrivateKey};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PrivateFormat {
    /// A private JWK (every key type).
    Jwk,
    /// PKCS#8 PEM (not for HMAC secrets).
    Pem,
}

#[derive(Args)]
pub struct KeygenArgs {
    /// Algorithm: HS256 HS384 HS512, RS256 RS384 RS512, PS256 PS384 PS512, ES256 ES384 ES512,
    /// Ed25519 (EdDSA) or Ed448.
    #[arg(long, short = 'a')]
    pub alg: String,
    /// Where to write the private key (mode 0600).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Where to write the public JWK; default: the --out name with `.pub.jwk`
    /// (for HMAC the "public" JWK is the secret too, and is also written 0600).
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
    pub public_jwk: Map<String, Value>,
}

/// The key to make.
pub struct KeySpec<'a> {
    pub alg: &'a str,
    pub rsa_bits: u32,
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
    let (kind, alg) = KeyType::for_alg(spec.alg, spec.rsa_bits)?;
    let key = generate(kind)?;
    let kid = match spec.kid {
        Some(kid) => kid.to_owned(),
        None => key.thumbprint()?,
    };
    let jwk_alg = spec.with_alg.then_some(alg);
    let private = match spec.format {
        PrivateFormat::Jwk => json_text(&key.private_jwk(&kid, jwk_alg)?),
        PrivateFormat::Pem => key.to_pem()?,
    };
    let public_jwk = key.public_jwk(&kid, jwk_alg)?;
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
    Ok(Generated { key, kid, alg, public_jwk })
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
        kid: args.kid.as_deref(),
        with_alg: !args.no_alg,
        format: args.format,
    };
    let made = generate_and_write(&spec, &args.out, Some(&public), existing)?;
    if json {
        let report = json!({
            "kid": made.kid,
            "alg": made.alg,
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
    }
    Ok(true)
}
