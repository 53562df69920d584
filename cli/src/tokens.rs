//! `auth-jwt sign` (a test token) and `auth-jwt decode` (header and claims, unverified), and
//! reading a token from the command line.

use std::path::PathBuf;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use clap::Args;
use serde_json::{json, Map, Value};

use crate::error::{Context, Result};
use crate::fail;
use crate::files::read_limited;
use crate::keyfile::{load_private, parse_object};
use crate::keys::PrivateKey;
use crate::time::{format_date, now, parse_duration, relative};

#[derive(Args)]
pub struct SignArgs {
    /// Private key: a JWK, a JWK Set (choose with --kid) or a PEM file.
    #[arg(long, short = 'k')]
    pub key: PathBuf,
    /// Algorithm; default: the key's `alg`, else RS256 / ES256-512 by curve / EdDSA / HS256.
    #[arg(long, short = 'a')]
    pub alg: Option<String>,
    /// kid in the header (and the key to choose from a JWK Set); default: the key's kid, or the
    /// thumbprint of a PEM key.
    #[arg(long)]
    pub kid: Option<String>,
    /// No kid in the header.
    #[arg(long, conflicts_with = "kid")]
    pub no_kid: bool,
    #[command(flatten)]
    pub claims: ClaimArgs,
    /// A header member NAME=VALUE (JSON if it parses as JSON). Repeatable.
    #[arg(long = "header", short = 'H', value_name = "NAME=VALUE")]
    pub headers: Vec<String>,
    /// The typ header; "" leaves it out.
    #[arg(long, default_value = "JWT")]
    pub typ: String,
}

/// The claims of a token, from flags (shared by `sign` and `encrypt`).
#[derive(Args)]
pub struct ClaimArgs {
    #[arg(long)]
    pub sub: Option<String>,
    #[arg(long)]
    pub iss: Option<String>,
    /// Audience; repeat for several (then an array).
    #[arg(long)]
    pub aud: Vec<String>,
    /// Expiry, relative to now: 1h, 15m, -5m (already expired), 0.
    #[arg(long, default_value = "1h", allow_hyphen_values = true)]
    pub exp: String,
    /// No exp claim.
    #[arg(long)]
    pub no_exp: bool,
    /// Not before, relative to now (e.g. 10m for a token valid only later).
    #[arg(long, allow_hyphen_values = true)]
    pub nbf: Option<String>,
    /// No iat claim (by default iat is now).
    #[arg(long)]
    pub no_iat: bool,
    /// A claim NAME=VALUE; VALUE is JSON if it parses as JSON, else a string. Repeatable.
    #[arg(long = "claim", short = 'c', value_name = "NAME=VALUE")]
    pub claims: Vec<String>,
    /// Claims from a JSON object (a file, or - for standard input); flags override it.
    #[arg(long, value_name = "FILE")]
    pub claims_file: Option<PathBuf>,
}

#[derive(Args)]
pub struct DecodeArgs {
    #[command(flatten)]
    pub token: TokenInput,
}

/// Where a token comes from.
#[derive(Args)]
pub struct TokenInput {
    /// The token (`Bearer ...` is accepted), or - for standard input.
    #[arg(required_unless_present = "token_file")]
    pub token: Option<String>,
    /// Read the token from a file, byte for byte (nothing is trimmed).
    #[arg(long, conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
}

impl TokenInput {
    /// The token bytes as the module would receive them.
    pub fn read(&self) -> Result<Vec<u8>> {
        if let Some(file) = &self.token_file {
            return read_limited(file);
        }
        let raw = match self.token.as_deref() {
            Some("-") => {
                let mut bytes = read_limited(std::path::Path::new("-"))?;
                while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    bytes.pop();
                }
                bytes
            }
            Some(text) => text.as_bytes().to_vec(),
            None => fail!("no token given"),
        };
        // An Authorization header value pasted as is.
        if raw.len() > 7 && raw[..7].eq_ignore_ascii_case(b"bearer ") {
            return Ok(auth_jwt_core::bearer_token(&raw).unwrap_or_default().to_vec());
        }
        Ok(raw)
    }
}

/// `NAME=VALUE` with VALUE as JSON when it is JSON (`admin=true`, `n=5`, `roles=["a","b"]`).
pub fn name_value(text: &str, what: &str) -> Result<(String, Value)> {
    let Some((name, value)) = text.split_once('=') else {
        fail!("invalid {what} \"{text}\": expected NAME=VALUE");
    };
    if name.is_empty() {
        fail!("invalid {what} \"{text}\": the name is empty");
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((name.to_owned(), value))
}

pub fn default_alg(key: &PrivateKey) -> &'static str {
    match key {
        PrivateKey::Oct(_) => "HS256",
        PrivateKey::Rsa(_) => "RS256",
        PrivateKey::Ec(curve, _) => curve.alg(),
        PrivateKey::Ed25519(_) | PrivateKey::Ed448(_) => "EdDSA",
        PrivateKey::X25519(_) => "ECDH-ES",
    }
}

/// The claims of `args`, at `now`.
pub fn build_claims(args: &ClaimArgs, now: i64) -> Result<Map<String, Value>> {
    let mut claims = match &args.claims_file {
        Some(file) => parse_object(&read_limited(file)?).context(file.display())?,
        None => Map::new(),
    };
    if !args.no_iat {
        claims.insert("iat".into(), json!(now));
    }
    if !args.no_exp {
        claims.insert("exp".into(), json!(now.saturating_add(parse_duration(&args.exp)?)));
    }
    if let Some(nbf) = &args.nbf {
        claims.insert("nbf".into(), json!(now.saturating_add(parse_duration(nbf)?)));
    }
    for (name, value) in [("sub", &args.sub), ("iss", &args.iss)] {
        if let Some(value) = value {
            claims.insert(name.into(), json!(value));
        }
    }
    // One audience is a string, several an array (RFC 7519 §4.1.3 allows both).
    let aud = match args.aud.as_slice() {
        [] => None,
        [one] => Some(json!(one)),
        many => Some(json!(many)),
    };
    if let Some(aud) = aud {
        claims.insert("aud".into(), aud);
    }
    for text in &args.claims {
        let (name, value) = name_value(text, "--claim")?;
        claims.insert(name, value);
    }
    Ok(claims)
}

/// Header and claims of `args`, at `now`.
fn build(
    args: &SignArgs,
    kid: Option<String>,
    alg: &str,
    now: i64,
) -> Result<(Map<String, Value>, Map<String, Value>)> {
    let claims = build_claims(&args.claims, now)?;
    let mut header = Map::new();
    header.insert("alg".into(), json!(alg));
    if !args.typ.is_empty() {
        header.insert("typ".into(), json!(args.typ));
    }
    if let Some(kid) = kid {
        header.insert("kid".into(), json!(kid));
    }
    for text in &args.headers {
        let (name, value) = name_value(text, "--header")?;
        if name == "alg" {
            fail!("set the algorithm with --alg, not --header alg=...");
        }
        header.insert(name, value);
    }
    Ok((header, claims))
}

pub fn sign(args: &SignArgs, json: bool) -> Result<bool> {
    let made = signed_token(args, now())?;
    if json {
        println!(
            "{}",
            json!({ "token": made.token, "header": made.header, "claims": made.claims })
        );
    } else {
        println!("{}", made.token);
    }
    Ok(true)
}

/// A compact JWS and what it says.
pub struct SignedToken {
    pub token: String,
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
}

/// The compact JWS of `args` at `now`.
pub fn signed_token(args: &SignArgs, now: i64) -> Result<SignedToken> {
    let loaded = load_private(&args.key, args.kid.as_deref())?;
    if loaded.usage.as_deref() == Some("enc") {
        fail!(
            "{}: an encryption key (use \"enc\") cannot sign: encrypt with `auth-jwt encrypt`",
            args.key.display()
        );
    }
    let alg = args
        .alg
        .clone()
        .or(loaded.alg.clone())
        .unwrap_or_else(|| default_alg(&loaded.key).to_owned());
    if auth_jwt_core::Algorithm::from_name(&alg).is_none() {
        fail!("unknown algorithm \"{alg}\"");
    }
    let kid = if args.no_kid {
        None
    } else {
        match args.kid.clone().or(loaded.kid.clone()) {
            Some(kid) => Some(kid),
            None => Some(loaded.key.thumbprint()?),
        }
    };
    let (header, claims) = build(args, kid, &alg, now)?;
    let token = crate::sign::sign(&header, &claims, &loaded.key)?;
    Ok(SignedToken { token, header, claims })
}

/// Base64url as people paste it: padding and spare bits tolerated (decode shows, it does
/// not judge; `explain` judges).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A part as JSON, or as text when it is not JSON.
fn decode_part(b64: &[u8], name: &str) -> Result<Value> {
    let bytes = LENIENT.decode(b64).context(format_args!("the {name} is not base64url"))?;
    Ok(serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())))
}

/// `exp`, `nbf` and `iat` as dates and relative to now.
pub fn time_notes(claims: &Value, now: i64) -> Vec<(&'static str, i64, String)> {
    let mut notes = Vec::new();
    for (name, label) in [("iat", "issued"), ("nbf", "valid from"), ("exp", "expires")] {
        let Some(t) = claims.get(name).and_then(Value::as_f64) else { continue };
        let t = t as i64;
        let rel = relative(t, now);
        let text = match name {
            "exp" if t <= now => format!("expired {} ({rel})", format_date(t)),
            "nbf" if t > now => format!("not valid before {} ({rel})", format_date(t)),
            _ => format!("{label} {} ({rel})", format_date(t)),
        };
        notes.push((name, t, text));
    }
    notes
}

/// An encrypted token shows only its protected header: the claims need the private key,
/// which `explain --type encrypted|nested --keys FILE` uses (decode never takes keys, so that
/// it stays a tool for pasting tokens, not keys).
fn decode_encrypted(header_b64: &[u8], json: bool) -> Result<bool> {
    let header = decode_part(header_b64, "protected header")?;
    let nested = header.get("cty").and_then(Value::as_str).is_some_and(|cty| {
        cty.eq_ignore_ascii_case("JWT") || cty.eq_ignore_ascii_case("application/jwt")
    });
    let kind = if nested { "nested" } else { "encrypted" };
    if json {
        println!(
            "{}",
            json!({ "header": header, "encrypted": true, "type": kind, "verified": false })
        );
        return Ok(true);
    }
    println!("protected header:\n{}", serde_json::to_string_pretty(&header).unwrap_or_default());
    println!(
        "an encrypted token (JWE, auth_jwt_type {kind}): the claims need the private key \
         (use `auth-jwt explain --type {kind} --keys FILE`)"
    );
    Ok(true)
}

pub fn decode(args: &DecodeArgs, json: bool) -> Result<bool> {
    let token = args.token.read()?;
    let parts: Vec<&[u8]> = token.split(|b| *b == b'.').collect();
    if parts.len() == 5 {
        return decode_encrypted(parts[0], json);
    }
    if parts.len() != 3 {
        fail!("not a JWT: {} dot-separated parts instead of 3", parts.len());
    }
    let header = decode_part(parts[0], "header")?;
    let claims = decode_part(parts[1], "payload")?;
    let signature_len = LENIENT.decode(parts[2]).map(|s| s.len()).unwrap_or(0);
    let now = now();
    let notes = time_notes(&claims, now);
    if json {
        let times: Map<String, Value> = notes
            .iter()
            .map(|(name, t, text)| ((*name).to_owned(), json!({ "unix": t, "text": text })))
            .collect();
        println!(
            "{}",
            json!({ "header": header, "claims": claims, "signature_bytes": signature_len, "times": times, "verified": false })
        );
        return Ok(true);
    }
    println!("header:\n{}", serde_json::to_string_pretty(&header).unwrap_or_default());
    println!("claims:\n{}", serde_json::to_string_pretty(&claims).unwrap_or_default());
    for (_, _, text) in &notes {
        println!("{text}");
    }
    println!("signature: {signature_len} bytes, NOT verified (use `auth-jwt explain --keys FILE`)");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_values_are_json_when_they_parse() {
        assert_eq!(name_value("admin=true", "--claim").unwrap(), ("admin".into(), json!(true)));
        assert_eq!(name_value("roles=[\"a\"]", "--claim").unwrap().1, json!(["a"]));
        assert_eq!(name_value("sub=alice", "--claim").unwrap().1, json!("alice"));
        assert_eq!(name_value("x==", "--claim").unwrap().1, json!("="));
        assert!(name_value("novalue", "--claim").unwrap_err().0.contains("expected NAME=VALUE"));
        assert!(name_value("=v", "--claim").unwrap_err().0.contains("name is empty"));
    }

    #[test]
    fn time_notes_say_expired_or_expires() {
        let notes = time_notes(&json!({"exp": 1000, "nbf": 2000}), 1500);
        assert_eq!(notes[0].2, "not valid before 1970-01-01 00:33:20 UTC (in 8 min)");
        assert_eq!(notes[1].2, "expired 1970-01-01 00:16:40 UTC (8 min ago)");
    }
}
