//! `auth-jwt encrypt`: an encrypted token (JWE) for testing, made with `josekit` (on the
//! system OpenSSL), an implementation independent of the module's decryptor (aws-lc-rs).
//!
//! Without `--sign-key` the claims themselves are encrypted (`auth_jwt_type encrypted`); with
//! it they are signed first and the JWS is encrypted with `cty: JWT` (`auth_jwt_type nested`).

use std::path::{Path, PathBuf};

use clap::Args;
use josekit::jwe::{self, JweEncrypter, JweHeader};
use serde_json::{json, Map, Value};

use crate::error::{Context, Result};
use crate::fail;
use crate::files::read_limited;
use crate::keyfile::{load_private, parse_object};
use crate::keys::strip_private;
use crate::time::now;
use crate::tokens::{build_claims, default_alg, name_value, ClaimArgs};

#[derive(Args)]
pub struct EncryptArgs {
    /// The recipient's key, as `auth-jwt keygen` wrote it for a JWE algorithm: the public JWK
    /// (or the private one; only its public part is used), or a JWK Set (choose with --kid).
    #[arg(long, short = 'k')]
    pub key: PathBuf,
    /// Key management algorithm (dir, A128KW, RSA-OAEP-256, ECDH-ES+A128KW, ...); default:
    /// the key's alg.
    #[arg(long, short = 'a')]
    pub alg: Option<String>,
    /// Content encryption: A128GCM, A192GCM, A256GCM, A128CBC-HS256, A192CBC-HS384 or
    /// A256CBC-HS512; default: for dir the one of the key's length, else A256GCM.
    #[arg(long)]
    pub enc: Option<String>,
    /// kid in the JWE header (and the key to choose from a JWK Set); default: the key's kid.
    #[arg(long)]
    pub kid: Option<String>,
    /// No kid in the JWE header.
    #[arg(long, conflicts_with = "kid")]
    pub no_kid: bool,
    /// Make a nested token: sign the claims with this private key first (as `auth-jwt sign`
    /// does), then encrypt the JWS with cty "JWT".
    #[arg(long, value_name = "FILE")]
    pub sign_key: Option<PathBuf>,
    /// Algorithm of the inner signature; default: as for `auth-jwt sign`.
    #[arg(long, requires = "sign_key")]
    pub sign_alg: Option<String>,
    /// kid of the inner JWS header (and the key to choose from a JWK Set); default: the
    /// signing key's kid.
    #[arg(long, requires = "sign_key")]
    pub sign_kid: Option<String>,
    #[command(flatten)]
    pub claims: ClaimArgs,
    /// A JWE header member NAME=VALUE (JSON if it parses as JSON). Repeatable.
    #[arg(long = "header", short = 'H', value_name = "NAME=VALUE")]
    pub headers: Vec<String>,
}

pub fn run(args: &EncryptArgs, json: bool) -> Result<bool> {
    let recipient = recipient_key(&args.key, args.kid.as_deref())?;
    let text = |name: &str| recipient.get(name).and_then(Value::as_str).map(str::to_owned);
    let Some(alg) = args.alg.clone().or_else(|| text("alg")) else {
        fail!("{}: the key has no \"alg\": give --alg", args.key.display());
    };
    if auth_jwt_core::jwe::KeyAlgorithm::from_name(&alg).is_none() {
        fail!("unknown key management algorithm \"{alg}\": use {}", crate::enc_keys::JWE_ALGS);
    }
    let enc = match &args.enc {
        Some(enc) => enc.clone(),
        None if alg == "dir" => dir_enc(&recipient)?.to_owned(),
        None => "A256GCM".to_owned(),
    };
    if auth_jwt_core::jwe::ContentEncryption::from_name(&enc).is_none() {
        fail!("unknown --enc \"{enc}\": use A128GCM, A192GCM, A256GCM, A128CBC-HS256, A192CBC-HS384 or A256CBC-HS512");
    }
    let now = now();
    let claims = build_claims(&args.claims, now)?;
    let (payload, inner) = match &args.sign_key {
        None => (Value::Object(claims.clone()).to_string(), None),
        Some(file) => {
            let jws =
                sign_inner(file, args.sign_alg.as_deref(), args.sign_kid.as_deref(), &claims)?;
            (jws.clone(), Some(jws))
        }
    };

    let mut header = JweHeader::new();
    header.set_content_encryption(enc.as_str());
    match inner {
        // RFC 7519 §5.2: a nested JWT says so in cty.
        Some(_) => header.set_content_type("JWT"),
        None => header.set_token_type("JWT"),
    }
    if !args.no_kid {
        if let Some(kid) = args.kid.clone().or_else(|| text("kid")) {
            header.set_key_id(kid);
        }
    }
    for text in &args.headers {
        let (name, value) = name_value(text, "--header")?;
        if matches!(name.as_str(), "alg" | "enc") {
            fail!("set {name} with --{name}, not --header {name}=...");
        }
        header.set_claim(&name, Some(value)).context(format_args!("--header {name}"))?;
    }
    let jwk = josekit::jwk::Jwk::from_map(recipient.clone())
        .context(format_args!("{}", args.key.display()))?;
    let encrypter = encrypter(&alg, &jwk)
        .map_err(|e| crate::error::CliError(format!("{}: {alg}: {e}", args.key.display())))?;
    let token = jwe::serialize_compact(payload.as_bytes(), &header, &*encrypter)
        .context(format_args!("cannot encrypt with {alg} and {enc}"))?;
    if json {
        let header: Map<String, Value> = header.into_map();
        let mut out = json!({ "token": token, "header": header, "claims": claims });
        if let Some(inner) = &inner {
            out["signed"] = json!(inner);
        }
        println!("{out}");
    } else {
        println!("{token}");
    }
    Ok(true)
}

/// The recipient's key as a public JWK: from a JWK, or the one JWE key of a set (or the one
/// `kid` names). The private members are dropped: an issuer encrypts with the public key.
fn recipient_key(path: &Path, kid: Option<&str>) -> Result<Map<String, Value>> {
    let shown = path.display();
    let bytes = read_limited(path)?;
    if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        fail!("{shown}: encrypt takes a JWK (auth-jwt keygen writes one), not PEM");
    }
    let root = parse_object(&bytes).context(&shown)?;
    let jwk = match root.get("keys") {
        None => root,
        Some(Value::Array(keys)) => {
            let fits = |k: &&Map<String, Value>| {
                k.get("use").and_then(Value::as_str) != Some("sig")
                    && kid.is_none_or(|want| k.get("kid").and_then(Value::as_str) == Some(want))
            };
            let found: Vec<&Map<String, Value>> =
                keys.iter().filter_map(Value::as_object).filter(fits).collect();
            match found.as_slice() {
                [one] => (*one).clone(),
                [] => fail!(
                    "{shown}: no encryption key{} in the JWK Set",
                    kid.map(|k| format!(" with kid \"{k}\"")).unwrap_or_default()
                ),
                _ => {
                    fail!("{shown}: several encryption keys in the JWK Set: choose one with --kid")
                }
            }
        }
        Some(_) => fail!("{shown}: member \"keys\" is not an array"),
    };
    if jwk.get("use").and_then(Value::as_str) == Some("sig") {
        fail!("{shown}: a signing key (use \"sig\") cannot encrypt: make one with `auth-jwt keygen --alg <JWE alg>`");
    }
    Ok(strip_private(&jwk))
}

/// The content encryption a `dir` key is the content key of, by its length.
fn dir_enc(jwk: &Map<String, Value>) -> Result<&'static str> {
    let k = crate::keys::member(jwk, "k")?;
    let len = k.len() * 3 / 4;
    Ok(match len {
        16 => "A128GCM",
        24 => "A192GCM",
        32 => "A256GCM",
        48 => "A192CBC-HS384",
        64 => "A256CBC-HS512",
        _ => fail!("a dir key of {len} bytes fits no content encryption: give --enc"),
    })
}

/// The JWS a nested token encloses.
fn sign_inner(
    file: &Path,
    alg: Option<&str>,
    kid: Option<&str>,
    claims: &Map<String, Value>,
) -> Result<String> {
    let loaded = load_private(file, kid)?;
    if loaded.usage.as_deref() == Some("enc") {
        fail!("{}: an encryption key (use \"enc\") cannot sign the inner token", file.display());
    }
    let alg = alg
        .map(str::to_owned)
        .or(loaded.alg.clone())
        .unwrap_or_else(|| default_alg(&loaded.key).to_owned());
    if auth_jwt_core::Algorithm::from_name(&alg).is_none() {
        fail!("unknown signing algorithm \"{alg}\"");
    }
    let kid = match kid.map(str::to_owned).or(loaded.kid.clone()) {
        Some(kid) => kid,
        None => loaded.key.thumbprint()?,
    };
    let mut header = Map::new();
    header.insert("alg".into(), json!(alg));
    header.insert("typ".into(), json!("JWT"));
    header.insert("kid".into(), json!(kid));
    crate::sign::sign(&header, claims, &loaded.key)
}

/// josekit's encrypter for `alg` with the recipient's public `jwk`.
fn encrypter(alg: &str, jwk: &josekit::jwk::Jwk) -> Result<Box<dyn JweEncrypter>> {
    use josekit::jwe::*;
    fn boxed<E: JweEncrypter + 'static>(
        made: std::result::Result<E, josekit::JoseError>,
    ) -> Result<Box<dyn JweEncrypter>> {
        made.map(|e| Box::new(e) as Box<dyn JweEncrypter>).context("the key does not fit")
    }
    match alg {
        "dir" => boxed(Dir.encrypter_from_jwk(jwk)),
        "A128KW" => boxed(A128KW.encrypter_from_jwk(jwk)),
        "A192KW" => boxed(A192KW.encrypter_from_jwk(jwk)),
        "A256KW" => boxed(A256KW.encrypter_from_jwk(jwk)),
        "A128GCMKW" => boxed(A128GCMKW.encrypter_from_jwk(jwk)),
        "A192GCMKW" => boxed(A192GCMKW.encrypter_from_jwk(jwk)),
        "A256GCMKW" => boxed(A256GCMKW.encrypter_from_jwk(jwk)),
        "RSA-OAEP" => boxed(RSA_OAEP.encrypter_from_jwk(jwk)),
        "RSA-OAEP-256" => boxed(RSA_OAEP_256.encrypter_from_jwk(jwk)),
        "RSA-OAEP-384" => boxed(RSA_OAEP_384.encrypter_from_jwk(jwk)),
        "RSA-OAEP-512" => boxed(RSA_OAEP_512.encrypter_from_jwk(jwk)),
        "ECDH-ES" => boxed(ECDH_ES.encrypter_from_jwk(jwk)),
        "ECDH-ES+A128KW" => boxed(ECDH_ES_A128KW.encrypter_from_jwk(jwk)),
        "ECDH-ES+A192KW" => boxed(ECDH_ES_A192KW.encrypter_from_jwk(jwk)),
        "ECDH-ES+A256KW" => boxed(ECDH_ES_A256KW.encrypter_from_jwk(jwk)),
        "PBES2-HS256+A128KW" => boxed(PBES2_HS256_A128KW.encrypter_from_jwk(jwk)),
        "PBES2-HS384+A192KW" => boxed(PBES2_HS384_A192KW.encrypter_from_jwk(jwk)),
        "PBES2-HS512+A256KW" => boxed(PBES2_HS512_A256KW.encrypter_from_jwk(jwk)),
        other => fail!("unknown key management algorithm \"{other}\""),
    }
}
